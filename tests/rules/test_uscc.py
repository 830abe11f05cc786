import random

import pytest

from tracker.rules import uscc

VALID = uscc.make_code("91320412MA1M1111")


def _random_code(rng: random.Random) -> str:
    body = "".join(rng.choice(uscc.ALPHABET) for _ in range(8))
    return uscc.make_code("91" + "".join(rng.choice("0123456789") for _ in range(6)) + body)


def test_make_code_produces_valid_code_with_both_check_characters():
    assert uscc.is_valid(VALID)
    assert len(VALID) == 18
    assert VALID[16] == uscc.org_code_check(VALID[8:16])


def test_make_code_from_17_characters_keeps_counters_distinct():
    codes = {uscc.make_code(f"91320412MA{n:07d}") for n in range(3000)}
    assert len(codes) == 3000 and all(uscc.is_valid(c) for c in codes)


@pytest.mark.parametrize("code,expected", [
    ("91350100M000100Y43", True),   # published sample from the standard's examples
    ("91350100M000100Y44", False),
])
def test_known_sample(code, expected):
    assert uscc.is_valid(code) is expected


def test_every_single_character_change_of_10000_random_codes_is_refused():
    rng = random.Random(16)
    is_valid, alphabet = uscc.is_valid, uscc.ALPHABET
    codes = [_random_code(rng) for _ in range(10_000)]
    assert all(map(is_valid, codes))
    accepted = [
        mutated
        for code in codes for i in range(18) for ch in alphabet if ch != code[i]
        if is_valid(mutated := code[:i] + ch + code[i + 1:])
    ]
    assert accepted == []


def test_right_final_character_with_wrong_organisation_check_is_refused():
    rng = random.Random(9)
    for _ in range(10_000):
        code = _random_code(rng)
        wrong17 = rng.choice([c for c in "0123456789X" if c != code[16]])
        first17 = code[:16] + wrong17
        forged = first17 + uscc.check_character(first17)
        with pytest.raises(uscc.InvalidCreditCode) as info:
            uscc.validate(forged)
        assert info.value.reason == "org_check" and info.value.bad_check_only, forged


def test_organisation_check_message_names_the_17th_character_and_may_be_accepted_by_an_administrator():
    first17 = VALID[:16] + ("0" if VALID[16] != "0" else "1")
    forged = first17 + uscc.check_character(first17)
    with pytest.raises(uscc.InvalidCreditCode) as info:
        uscc.validate(forged)
    assert "组织机构代码校验位" in info.value.message and f"第17位应为 {VALID[16]}" in info.value.message
    assert uscc.validate(forged, accept_bad_check=True) == forged


def test_swap_of_adjacent_characters_is_caught():
    for i in range(16):
        if VALID[i] == VALID[i + 1]:
            continue
        swapped = VALID[:i] + VALID[i + 1] + VALID[i] + VALID[i + 2:]
        assert not uscc.is_valid(swapped)


def test_normalisation_trims_and_converts_full_width_and_case():
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in VALID.lower())
    assert uscc.validate(f"  {full_width} ") == VALID
    assert uscc.validate(VALID[:9] + " " + VALID[9:]) == VALID


@pytest.mark.parametrize("decorated", [
    VALID[:8] + "-" + VALID[8:16] + "-" + VALID[16:],
    VALID[:8] + "－" + VALID[8:],                       # full-width hyphen
    "\ufeff" + VALID[:4] + "\u200b" + VALID[4:9] + "\u200c" + VALID[9:] + "\u200d",
    VALID[:8] + "\u2013" + VALID[8:],                   # an en dash pasted from a document
])
def test_hyphens_and_zero_width_characters_are_dropped_before_checking(decorated):
    assert uscc.validate(decorated) == VALID


@pytest.mark.parametrize("raw,reason,fragment", [
    ("", "empty", "请填写"),
    (None, "empty", "请填写"),
    ("9132", "length", "应为18位"),
    ("91320412MA1MIOSVZ1", "alphabet", "不允许的字符"),
    ("91ABCDEF" + "1" * 10, "region", "行政区划"),
])
def test_specific_messages_and_reasons(raw, reason, fragment):
    with pytest.raises(uscc.InvalidCreditCode) as info:
        uscc.validate(raw)
    assert fragment in info.value.message
    assert info.value.reason == reason and not info.value.bad_check_only


def test_bad_check_character_is_refused_with_expected_value_and_may_be_accepted_explicitly():
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    with pytest.raises(uscc.InvalidCreditCode) as info:
        uscc.validate(wrong)
    assert info.value.bad_check_only and info.value.reason == "check"
    assert f"末位应为 {VALID[17]}" in info.value.message
    assert uscc.validate(wrong, accept_bad_check=True) == wrong


@pytest.mark.parametrize("raw", [
    9.13204120000123e17,           # a float cell (openpyxl)
    913204120000123000,            # an int cell
    "9.13204E+17",                 # the text a spreadsheet shows
    "9.13204120000123e17",
    "913204120000123000",          # the number written out in full: 15 significant digits
    "913204120000123000.0",
])
def test_a_code_a_spreadsheet_stored_as_a_number_is_refused_with_how_to_fix_it(raw):
    with pytest.raises(uscc.InvalidCreditCode) as info:
        uscc.validate(raw)
    assert info.value.reason == "spreadsheet_number" and not info.value.bad_check_only
    assert info.value.message == (
        "该单元格被表格软件存成了数字（只保留15位有效数字，末几位已丢失）：请把该列设为“文本”格式后重新填写"
    )
    with pytest.raises(uscc.InvalidCreditCode):
        uscc.validate(raw, accept_bad_check=True)


def test_an_all_digit_code_that_passes_both_checks_is_accepted_as_text():
    code = uscc.make_code("9132041213715568")
    assert uscc.validate(code) == code


def test_every_reason_has_a_chinese_message():
    assert set(uscc.REASONS) == {"empty", "length", "alphabet", "region", "org_check", "check", "spreadsheet_number"}


def test_org_code_check_digit():
    # GB 11714 example: 00000001 -> weights give s=2, 11-2=9
    assert uscc.org_code_check("00000001") == "9"
    assert uscc.org_code_check("D2143569") in "0123456789X"
