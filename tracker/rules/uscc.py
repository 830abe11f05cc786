"""统一社会信用代码 (unified social credit code, GB 32100-2015): normalisation and both check characters.

docs/DOMAIN.md §5. Characters 9–17 are the old organisation code (GB 11714), whose 17th character is
its own check character; the 18th checks the first 17. Both are verified.
"""

from __future__ import annotations

import re
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
_ALLOWED = frozenset(ALPHABET)
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# GB 11714 values: digits 0–9, then A = 10 … Z = 35 (the credit code's alphabet is a subset).
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_VALUES = {ch: i for i, ch in enumerate(_ORG_ALPHABET)}

# Characters dropped before checking: every kind of hyphen or dash people paste, and the zero-width
# characters (U+200B–U+200D, U+FEFF, U+2060) that web pages and chat tools slip into copied text.
_DROPPED = dict.fromkeys(map(ord, "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u200b\u200c\u200d\ufeff\u2060"))
# What a spreadsheet shows for a long number: 9.13204E+17, 9.132041200001E17, 913204120000123000.0
_SCIENTIFIC = re.compile(r"^\d+(\.\d*)?E\+?\d+$|^\d+\.\d*$")

_CLEAN = re.compile(r"^[0-9A-Z]*$")

REASONS = ("empty", "length", "alphabet", "region", "org_check", "check", "spreadsheet_number")
_CHECK_REASONS = frozenset({"org_check", "check"})
SPREADSHEET_NUMBER_MESSAGE = (
    "该单元格被表格软件存成了数字（只保留15位有效数字，末几位已丢失）：请把该列设为“文本”格式后重新填写"
)


class InvalidCreditCode(ValueError):
    """Raised with a Chinese message a user can act on and the `reason` (one of REASONS)."""

    def __init__(self, message: str, *, reason: str, bad_check_only: bool = False):
        super().__init__(message)
        self.message = message
        self.reason = reason
        # True when the only fault is a check character (the organisation code's or the final one):
        # an administrator may accept such a code, because a few early pilot codes really were
        # issued that way.
        self.bad_check_only = bad_check_only


def normalize(raw: object) -> str:
    """Trim, convert full-width characters to half-width, upper-case, and drop spaces, hyphens and
    zero-width characters. A number (a spreadsheet cell) is turned into its text first."""
    if raw is None:
        return ""
    if isinstance(raw, str) and _CLEAN.match(raw):
        return raw  # already clean: most codes, and the bulk of every import
    text = unicodedata.normalize("NFKC", raw if isinstance(raw, str) else str(raw)).translate(_DROPPED)
    return "".join(text.split()).upper()


def check_character(first17: str) -> str:
    """The 18th character for the first 17 of a credit code."""
    values = _VALUES
    total = sum([values[c] * w for c, w in zip(first17, _WEIGHTS)])
    return ALPHABET[(31 - total % 31) % 31]


def org_code_check(first8: str) -> str:
    """The check character of a GB 11714 organisation code (characters 9-16 give the 17th)."""
    values = _ORG_VALUES
    total = sum([values[c] * w for c, w in zip(first8, _ORG_WEIGHTS)])
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def _is_number_cell(raw: object, code: str) -> bool:
    """True when the value is a number, or the text a spreadsheet writes for a long one (9.13204E+17)."""
    return (isinstance(raw, (int, float)) and not isinstance(raw, bool)) or bool(_SCIENTIFIC.match(code))


def _lost_digits(code: str) -> bool:
    """An 18-digit number as a spreadsheet shows it: 15 significant digits, then zeros. Asked only
    once the code has failed a check, because a real code may end in 000."""
    return code.isdigit() and len(code) == 18 and code.endswith("000")


def _fault(raw: object, code: str) -> str | None:
    """The reason (one of REASONS) the normalised `code` is refused, or None when it is valid."""
    if not code:
        return "empty"
    if _is_number_cell(raw, code):
        # A spreadsheet kept only 15 significant digits: the last ones are gone whatever the checks say.
        return "spreadsheet_number"
    if len(code) != 18:
        return "length"
    if not _ALLOWED.issuperset(code):
        return "alphabet"
    if not code[2:8].isdigit():
        return "region"
    org_ok = code[16] == org_code_check(code[8:16])
    if org_ok and code[17] == check_character(code[:17]):
        return None
    if _lost_digits(code):
        return "spreadsheet_number"
    return "check" if org_ok else "org_check"


_OVERRIDE_HINT = "；请核对，如确为早期试点发放的代码，请由管理员确认后录入"


def _message(reason: str, code: str) -> str:
    """The Chinese explanation of `reason` for `code`, naming what to fix."""
    if reason == "empty":
        return "请填写统一社会信用代码"
    if reason == "spreadsheet_number":
        return SPREADSHEET_NUMBER_MESSAGE
    if reason == "length":
        return f"统一社会信用代码应为18位，当前为{len(code)}位（长度错误）"
    if reason == "alphabet":
        bad = "、".join(sorted(set(code) - _ALLOWED))
        return f"统一社会信用代码含有不允许的字符：{bad}（只用数字和大写字母，不使用 I、O、S、V、Z）"
    if reason == "region":
        return "统一社会信用代码第3-8位应为行政区划代码（数字）"
    if reason == "org_check":
        return (f"统一社会信用代码组织机构代码校验位错误：第17位应为 {org_code_check(code[8:16])}，"
                f"实为 {code[16]}{_OVERRIDE_HINT}")
    return f"统一社会信用代码校验位错误：末位应为 {check_character(code[:17])}，实为 {code[17]}{_OVERRIDE_HINT}"


def validate(raw: object, *, accept_bad_check: bool = False) -> str:
    """Return the normalised code, or raise InvalidCreditCode explaining what is wrong.

    `raw` may be what a spreadsheet cell held (text, int or float): a number is refused with the
    reason "spreadsheet_number". `accept_bad_check` (an administrator's explicit decision) lets a
    code through whose only faults are its check characters.
    """
    code = normalize(raw)
    reason = _fault(raw, code)
    if reason is None:
        return code
    check_only = reason in _CHECK_REASONS
    if check_only and accept_bad_check:
        return code
    raise InvalidCreditCode(_message(reason, code), reason=reason, bad_check_only=check_only)


def is_valid(raw: object) -> bool:
    """True when the code passes every check."""
    return _fault(raw, normalize(raw)) is None


def make_code(chars: str) -> str:
    """A valid code from 16 or 17 characters (demo data and tests).

    16 characters get the organisation-code check character, then the final one. From 17, the
    11th character is dropped to make room for the organisation-code check character: inputs that
    differ anywhere else (a counter at the end, say) still give distinct codes.
    """
    if len(chars) == 17:
        chars = chars[:10] + chars[11:]
    if len(chars) != 16:
        raise ValueError("make_code takes 16 or 17 characters")
    first17 = chars + org_code_check(chars[8:16])
    return first17 + check_character(first17)
