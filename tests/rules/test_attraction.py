"""The attraction status machine, channel and status parsing, the weekly follow-up rule."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.rules import attraction as rules

D = dt.date
TODAY = D(2026, 6, 10)


def test_forward_moves_skip_allowed_never_back():
    assert rules.allowed_moves("lead") == ("talking", "signed", "dropped")
    assert rules.allowed_moves("signed") == ("dropped",)
    assert rules.allowed_moves("settled") == () and rules.allowed_moves("dropped") == ()
    move = rules.check_move("lead", "signed", D(2026, 6, 1), last_step_on=D(2026, 5, 1), today=TODAY)
    assert (move.from_status, move.to_status) == ("lead", "signed")


@pytest.mark.parametrize("status, wanted, message", [
    ("signed", "talking", "不能从“签约”退回“在谈”；可变更为：终止"),
    ("settled", "dropped", "项目已落户，不能再变更状态"),
    ("dropped", "talking", "项目已终止，不能再变更状态"),
    ("talking", "talking", "项目已处于“在谈”状态"),
    ("talking", "settled", "落户需填写落户企业（统一社会信用代码和企业名称），请使用“确认落户”"),
    ("lead", "won", "未知的项目状态：won"),
])
def test_refusals_say_why_in_chinese(status, wanted, message):
    with pytest.raises(rules.MoveRefused) as caught:
        rules.check_move(status, wanted, D(2026, 6, 1), last_step_on=None, today=TODAY)
    assert caught.value.message == message


def test_dates_and_drop_reason():
    with pytest.raises(rules.MoveRefused, match="不能晚于今天"):
        rules.check_move("lead", "talking", D(2026, 6, 11), last_step_on=None, today=TODAY)
    with pytest.raises(rules.MoveRefused, match="不能早于上一步骤的日期（2026-05-01）"):
        rules.check_move("lead", "talking", D(2026, 4, 30), last_step_on=D(2026, 5, 1), today=TODAY)
    with pytest.raises(rules.MoveRefused) as caught:
        rules.check_move("lead", "dropped", D(2026, 6, 1), last_step_on=None, today=TODAY, reason="  ")
    assert caught.value.field == "reason"
    assert rules.check_move("lead", "dropped", D(2026, 6, 1), last_step_on=None, today=TODAY, reason="企业外迁").to_status == "dropped"
    with pytest.raises(rules.MoveRefused, match="项目已终止，不能落户"):
        rules.check_settle("dropped", D(2026, 6, 1), last_step_on=None, today=TODAY)
    assert rules.step_dates_error({"signed_on": D(2026, 5, 1), "settled_on": D(2026, 4, 1)})[0] == "settled_on"
    assert rules.step_dates_error({"lead_on": D(2026, 1, 1), "settled_on": D(2026, 4, 1)}) is None


def test_parse_channel_and_status():
    channels = dict(rules.BUILTIN_CHANNELS, incubator_east="东区孵化")
    assert rules.parse_channel("载体招引", channels) == "carrier"
    assert rules.parse_channel(" 载体 ", channels) == "carrier"
    assert rules.parse_channel("FUND", channels) == "fund"
    assert rules.parse_channel("飞地孵化", channels) == "enclave"
    assert rules.parse_channel("东区孵化", channels) == "incubator_east"
    assert rules.parse_channel("", channels) is None
    with pytest.raises(ValueError, match="未知的招引渠道：路演"):
        rules.parse_channel("路演", channels)
    assert rules.parse_status("落户") == "settled" and rules.parse_status("talking") == "talking"
    with pytest.raises(ValueError, match="可选：线索、在谈、签约、落户、终止"):
        rules.parse_status("洽谈中")
    assert rules.check_channel_code("Carrier") and rules.check_channel_code("x") and not rules.check_channel_code("east_1")


def test_weekly_follow_up_is_iso_week():
    wednesday = D(2026, 6, 10)
    assert rules.week_start(wednesday) == D(2026, 6, 8)
    assert rules.needs_follow_up("talking", None, wednesday)
    assert rules.needs_follow_up("talking", D(2026, 6, 7), wednesday)  # last Sunday: another week
    assert not rules.needs_follow_up("talking", D(2026, 6, 8), wednesday)
    assert not rules.needs_follow_up("settled", None, wednesday)
    assert rules.conversion_rate(1, 4) == 0.25 and rules.conversion_rate(0, 0) is None
