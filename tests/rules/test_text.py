"""The text rules of every form, import and service (tracker/rules/text.py)."""

from __future__ import annotations

import pytest

from tracker.rules import text


@pytest.mark.parametrize("value, reason", [
    ("常州某某科技有限公司", None),
    ("A&B 科技（常州）有限公司", None),
    ("带\t制表符", None),
    ("", None),
    ("   ", None),  # whitespace-only is empty, not refused
    ("名称\r\n第二行", text.LINE_BREAK_MESSAGE),
    ("名称\n", text.LINE_BREAK_MESSAGE),
    ("名称\r", text.LINE_BREAK_MESSAGE),
    ("名称\u2028第二行", text.LINE_BREAK_MESSAGE),
    ("名称\x85", text.CONTROL_MESSAGE),  # NEL is a C1 control too
    ("a\x00b", text.CONTROL_MESSAGE),
    ("a\x1bb", text.CONTROL_MESSAGE),
    ("a\x7fb", text.CONTROL_MESSAGE),
    ("\u202e司公限有技科", text.BIDI_MESSAGE),
    ("名称\u2066隔离\u2069", text.BIDI_MESSAGE),
    ("\u202a", text.BIDI_MESSAGE),
    ("\u200b", text.INVISIBLE_MESSAGE),
    (" \u200b\u200c\u200d\ufeff ", text.INVISIBLE_MESSAGE),
    ("\u3000\u2060", text.INVISIBLE_MESSAGE),
    ("中\u200b文", None),  # a zero-width character inside real text is left alone
])
def test_single_line(value, reason):
    assert text.problem(value) == reason


def test_multi_line_allows_line_breaks_only():
    assert text.problem("第一行\r\n第二行", multiline=True) is None
    assert text.problem("第一行\n\u202e", multiline=True) == text.BIDI_MESSAGE
    assert text.problem("\u200b\n\u200b", multiline=True) == text.INVISIBLE_MESSAGE
    assert text.problem("a\x00", multiline=True) == text.CONTROL_MESSAGE


def test_clean():
    assert text.clean("  常州  ") == "常州"
    assert text.clean(" \u3000 ") is None
    assert text.clean(None) is None
    with pytest.raises(text.TextError) as refused:
        text.clean("a\nb")
    assert refused.value.reason == text.LINE_BREAK_MESSAGE


@pytest.mark.parametrize("stored, shown", [
    ("应走访：甲公司\r\nBcc: x@evil.example", "应走访：甲公司 Bcc: x@evil.example"),
    ("a\x00b\x1bc", "a b c"),
    ("\u202e司公", "司公"),
    ("  多个   空格  ", "多个 空格"),
    (None, ""),
])
def test_header_text_never_holds_a_line_break(stored, shown):
    assert text.header_text(stored) == shown


def test_header_text_is_bounded():
    assert len(text.header_text("长" * 1000)) == 200
