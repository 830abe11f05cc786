"""统一社会信用代码 (unified social credit code, GB 32100-2015): normalisation and check digits."""

from __future__ import annotations

import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class InvalidCreditCode(ValueError):
    """Raised with a Chinese message a user can act on."""

    def __init__(self, message: str, *, bad_check_only: bool = False):
        super().__init__(message)
        self.message = message
        # True when the only fault is the final check character: an administrator may accept
        # such a code, because a few early pilot codes really were issued that way.
        self.bad_check_only = bad_check_only


def normalize(raw: str | None) -> str:
    """Trim, convert full-width characters to half-width, drop inner spaces and upper-case."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", raw)
    return "".join(text.split()).upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 of a credit code."""
    total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check(first8: str) -> str:
    """The check character of a GB 11714 organisation code (characters 9-17 of a credit code)."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def validate(raw: str | None, *, accept_bad_check: bool = False) -> str:
    """Return the normalised code, or raise InvalidCreditCode explaining what is wrong."""
    code = normalize(raw)
    if not code:
        raise InvalidCreditCode("请填写统一社会信用代码")
    if len(code) != 18:
        raise InvalidCreditCode(f"统一社会信用代码应为18位，当前为{len(code)}位")
    bad = sorted({c for c in code if c not in _VALUES})
    if bad:
        raise InvalidCreditCode(
            f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用 I、O、S、V、Z）"
        )
    if not code[2:8].isdigit():
        raise InvalidCreditCode("统一社会信用代码第3-8位应为行政区划代码（数字）")
    expected = check_character(code[:17])
    if code[17] != expected:
        if accept_bad_check:
            return code
        raise InvalidCreditCode(
            f"统一社会信用代码校验位错误：末位应为 {expected}，实为 {code[17]}；请核对，"
            "如确为早期试点发放的代码，请由管理员确认后录入",
            bad_check_only=True,
        )
    return code


def is_valid(raw: str | None) -> bool:
    """True when the code passes every check."""
    try:
        validate(raw)
    except InvalidCreditCode:
        return False
    return True


def make_code(first17: str) -> str:
    """Complete 17 characters into a valid code (used by demo data and tests)."""
    return first17 + check_character(first17)
