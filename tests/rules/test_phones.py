"""Obviously wrong phone numbers are flagged; plausible ones, in the ways lists write them, are not."""

import pytest

from tracker.rules.phones import phone_problem


@pytest.mark.parametrize("text", [
    None, "", "13812345678", "+86 138-1234-5678", "0086 13812345678", "0519-86123456", "(0519)86123456",
    "0519-86123456转8001", "025 8312 3456", "4008123456", "86123456", "13812345678、0519-86123456",
])
def test_plausible_numbers_pass(text):
    assert phone_problem(text) is None


@pytest.mark.parametrize("text, reason", [
    ("1381234567", "11位"), ("138123456789", "11位"), ("12812345678", "第二位"), ("00000000000", "同一数字"),
    ("0519-861", "区号"), ("电话待补", "非数字"), ("912", "位数"), ("13812345678、138", "11位"),
    ("40081234", "10位"),
])
def test_wrong_numbers_are_flagged(text, reason):
    assert reason in phone_problem(text)
