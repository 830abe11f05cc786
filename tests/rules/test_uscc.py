import pytest

from tracker.rules import uscc

# A well-known published code (国家市场监督管理总局's examples follow the same algorithm).
VALID = uscc.make_code("91320412MA1MXXXX0"[:17].replace("X", "1"))


def test_make_code_produces_valid_code():
    assert uscc.is_valid(VALID)
    assert len(VALID) == 18


@pytest.mark.parametrize("code,expected", [
    ("91350100M000100Y43", True),   # published sample from the standard's examples
    ("91350100M000100Y44", False),
])
def test_known_sample(code, expected):
    assert uscc.is_valid(code) is expected


def test_every_single_character_mutation_of_the_body_is_caught():
    caught = 0
    for i in range(17):
        for ch in uscc.ALPHABET:
            if ch == VALID[i]:
                continue
            mutated = VALID[:i] + ch + VALID[i + 1:]
            if i in range(2, 8) and not ch.isdigit():
                continue  # rejected for the division code anyway
            assert not uscc.is_valid(mutated), mutated
            caught += 1
    assert caught == 17 * 30 - 6 * 21


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


@pytest.mark.parametrize("raw,fragment", [
    ("", "请填写"),
    ("9132", "应为18位"),
    ("91320412MA1MIOSVZ1", "不允许的字符"),
    ("91ABCDEF" + "1" * 10, "行政区划"),
])
def test_specific_messages(raw, fragment):
    with pytest.raises(uscc.InvalidCreditCode) as info:
        uscc.validate(raw)
    assert fragment in info.value.message


def test_bad_check_character_is_refused_with_expected_value_and_may_be_accepted_explicitly():
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    with pytest.raises(uscc.InvalidCreditCode) as info:
        uscc.validate(wrong)
    assert info.value.bad_check_only
    assert f"末位应为 {VALID[17]}" in info.value.message
    assert uscc.validate(wrong, accept_bad_check=True) == wrong


def test_org_code_check_digit():
    # GB 11714 example: 00000001 -> weights give s=2, 11-2=9
    assert uscc.org_code_check("00000001") == "9"
    assert uscc.org_code_check("D2143569") in "0123456789X"
