"""Obviously wrong telephone numbers (联系电话核查), for the company export and import warnings.

Mainland numbers only, as the bureau's lists write them: a mobile is 11 digits starting 13–19; a
landline is an area code 0xx / 0xxx and 7–8 digits (常州 0519-8xxxxxxx), optionally an extension;
400 / 800 service numbers are 10 digits. +86 / 0086 and spaces, hyphens and brackets are allowed.
Several numbers in one cell (、 ， ; /) are checked one by one. Only what is certainly wrong is
flagged: a number that merely looks unusual is left alone.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[、，,;；/]|\s{2,}")
_DECORATION = re.compile(r"[\s\-－—()（）.]")
_EXTENSION = re.compile(r"(转|ext\.?|x|#)\s*\d{1,6}$", re.IGNORECASE)


def phone_problem(text: str | None) -> str | None:
    """Why a phone cell is certainly wrong, in Chinese; None when it is empty or plausible."""
    if text is None or not str(text).strip():
        return None
    for part in (p for p in _SEPARATORS.split(str(text)) if p.strip()):
        problem = _one(part.strip())
        if problem:
            return problem
    return None


def _one(number: str) -> str | None:
    number = _EXTENSION.sub("", number)
    digits = _DECORATION.sub("", number)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits.isdigit():
        return "电话号码含有非数字字符"
    if len(set(digits)) == 1:
        return "电话号码为同一数字重复"
    if digits.startswith("1"):
        if len(digits) != 11:
            return f"手机号应为11位（现为{len(digits)}位）"
        if digits[1] in "012":
            return "手机号第二位应为3—9"
        return None
    if digits.startswith(("400", "800")):
        return None if len(digits) == 10 else "400/800 电话应为10位"
    if digits.startswith("0"):
        return None if 10 <= len(digits) <= 12 else "固定电话应为区号加7—8位号码"
    if 7 <= len(digits) <= 8:
        return None  # a local number without its area code
    return "电话号码位数不对"
