"""Text people type or import: what a single-line or multi-line value may contain. Pure Python.

One rule for every way text gets in: the WTForms fields of every form (`tracker.web.forms`), the
importers (`tracker.rules.import_formats.clean_text`) and the services that store names. The rule:

- control characters (C0 other than tab / CR / LF, DEL, C1) are refused everywhere: they are
  invisible, PostgreSQL cannot store NUL, and openpyxl refuses them in an xlsx export;
- a single-line value (a company name, an address, a title) refuses line breaks: a stored CR/LF
  in a name breaks every e-mail header built from it and every one-line display;
- bidirectional embedding / override / isolate controls (U+202A–U+202E, U+2066–U+2069) are
  refused: they make a name read backwards and can hide what a cell really says;
- a value made only of invisible characters (zero-width spaces, joiners, BOM, soft hyphen ...)
  is refused: it looks empty but is not;
- leading and trailing whitespace (full-width spaces included) is dropped, so whitespace-only
  is empty.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls other than tab, LF and CR; DEL; the C1 controls.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Every way Unicode can break a line: CR, LF, VT, FF, NEL, LINE and PARAGRAPH SEPARATOR.
LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")
BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Characters that occupy no space: format characters (Cf: zero-width space/joiners, word joiner,
# BOM, soft hyphen, bidi marks ...), the Hangul fillers and the Mongolian vowel separator.
_INVISIBLE_EXTRA = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u180e"}

CONTROL_MESSAGE = "含有不可见的控制字符，请删除后重试"
LINE_BREAK_MESSAGE = "不能包含换行符，请写在一行内"
BIDI_MESSAGE = "含有改变文字显示方向的隐藏控制字符（会使文字倒序显示），请删除后重新输入"
INVISIBLE_MESSAGE = "只含有不可见字符（如零宽空格），请填写实际内容"


class TextError(ValueError):
    """A value the text rules refuse; `reason` is a Chinese sentence shown to the user as is."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _is_invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Cf" or ch in _INVISIBLE_EXTRA


def problem(value: str | None, *, multiline: bool = False) -> str | None:
    """The Chinese reason `value` is refused, or None when it is acceptable text (or empty)."""
    if not value:
        return None
    if CONTROL_CHARACTERS.search(value):
        return CONTROL_MESSAGE
    if not multiline and LINE_BREAKS.search(value):
        return LINE_BREAK_MESSAGE
    if BIDI_CONTROLS.search(value):
        return BIDI_MESSAGE
    if value.strip() and all(_is_invisible(ch) for ch in value):
        return INVISIBLE_MESSAGE
    return None


def strip(value: str | None) -> str | None:
    """Leading and trailing whitespace dropped (full-width spaces too); None stays None."""
    return value.strip() if isinstance(value, str) else value


def clean(value: str | None, *, multiline: bool = False) -> str | None:
    """The value trimmed, None when empty or whitespace-only; raises TextError when refused."""
    if value is None:
        return None
    reason = problem(value, multiline=multiline)
    if reason is not None:
        raise TextError(reason)
    text = value.strip()
    return text or None


def header_text(value: object, max_length: int = 200) -> str:
    """`value` made safe for one line of a header (an e-mail subject): never raises.

    For text already stored before these rules existed: line breaks, controls and bidi controls
    become spaces, runs of whitespace one space, and an over-long value is cut with "…".
    """
    text = "" if value is None else str(value)
    text = CONTROL_CHARACTERS.sub(" ", text)
    text = LINE_BREAKS.sub(" ", text)
    text = BIDI_CONTROLS.sub("", text)
    text = " ".join(text.split())
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    return text
