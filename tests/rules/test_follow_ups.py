"""The follow-up (诉求) status machine, referral, deadlines, chasing and escalation."""

import datetime as dt

import pytest

from tracker.models.visit import FOLLOW_UP_STATUSES, SATISFACTION
from tracker.rules import follow_ups as r

D = dt.date
TODAY = D(2026, 11, 24)  # a Tuesday


def test_names_agree_with_the_model():
    assert r.STATUS_NAMES == FOLLOW_UP_STATUSES
    assert r.SATISFACTION_NAMES == SATISFACTION


@pytest.mark.parametrize("src, dst", [
    ("open", "in_progress"), ("open", "resolved"), ("in_progress", "resolved"),
    ("resolved", "closed"), ("resolved", "in_progress"),
])
def test_allowed_moves(src, dst):
    r.check_transition(src, dst, resolution="已协调解决", satisfaction="satisfied")


@pytest.mark.parametrize("src, dst, words", [
    ("open", "closed", "不能从“待办”直接变更为“已销号”"),
    ("in_progress", "open", "可变更为：已办结"),
    ("closed", "in_progress", "已销号，不能再变更"),
    ("open", "open", "已处于“待办”"),
    ("open", "lost", "未知的办理状态"),
])
def test_refused_moves_say_why(src, dst, words):
    with pytest.raises(r.FollowUpRefused) as err:
        r.check_transition(src, dst, resolution="x", satisfaction="satisfied")
    assert words in err.value.message


def test_resolving_needs_a_note_and_closing_needs_satisfaction():
    with pytest.raises(r.FollowUpRefused) as err:
        r.check_transition("in_progress", "resolved", resolution="  ")
    assert err.value.field == "resolution" and "办理结果" in err.value.message
    with pytest.raises(r.FollowUpRefused) as err:
        r.check_transition("resolved", "closed", satisfaction=None)
    assert err.value.field == "satisfaction" and "满意度" in err.value.message
    with pytest.raises(r.FollowUpRefused):
        r.check_transition("resolved", "closed", satisfaction="great")


def test_referral_only_while_active_with_unit_and_future_deadline():
    r.check_referral("open", "市场监管局", "王科长", TODAY, TODAY)
    r.check_referral("in_progress", "市场监管局", None, TODAY + dt.timedelta(days=5), TODAY)
    for status, unit, deadline, field in [
        ("resolved", "某局", TODAY, "status"), ("open", " ", TODAY, "unit"),
        ("open", "某局", None, "deadline"), ("open", "某局", TODAY - dt.timedelta(days=1), "deadline"),
    ]:
        with pytest.raises(r.FollowUpRefused) as err:
            r.check_referral(status, unit, None, deadline, TODAY)
        assert err.value.field == field


def test_deadline_as_date_or_working_days():
    assert r.deadline_from(D(2026, 9, 30), workdays_count=1) == D(2026, 10, 8)
    assert r.deadline_from(TODAY, due_on=D(2026, 12, 1)) == D(2026, 12, 1)
    cases = [
        ({"due_on": TODAY, "workdays_count": 3}, "只填写日期或工作日数"),
        ({}, "请填写办理期限"),
        ({"due_on": TODAY - dt.timedelta(days=1)}, "不能早于"),
        ({"workdays_count": 0}, "工作日数应在"),
        ({"due_on": TODAY + dt.timedelta(days=800)}, "过远"),
    ]
    for kwargs, words in cases:
        with pytest.raises(r.FollowUpRefused) as err:
            r.deadline_from(TODAY, **kwargs)
        assert words in err.value.message


def test_deadline_states():
    assert r.deadline_state("open", TODAY - dt.timedelta(days=1), TODAY) == r.OVERDUE
    assert r.deadline_state("in_progress", TODAY, TODAY) == r.DUE_SOON
    assert r.deadline_state("open", TODAY + dt.timedelta(days=7), TODAY) == r.DUE_SOON
    assert r.deadline_state("open", TODAY + dt.timedelta(days=8), TODAY) == r.OK
    assert r.deadline_state("open", None, TODAY) == r.NO_DUE
    assert r.deadline_state("resolved", TODAY - dt.timedelta(days=30), TODAY) == r.DONE


def test_chase_only_when_overdue_and_unfinished():
    r.check_chase("open", TODAY - dt.timedelta(days=1), TODAY)
    with pytest.raises(r.FollowUpRefused, match="尚未逾期"):
        r.check_chase("open", TODAY, TODAY)
    with pytest.raises(r.FollowUpRefused, match="无需催办"):
        r.check_chase("resolved", TODAY - dt.timedelta(days=9), TODAY)


def test_escalation_after_chase_and_working_days_or_at_once_by_a_manager():
    due = D(2026, 11, 10)
    chased = D(2026, 11, 20)  # Friday; 3 working days later is Wednesday 25 Nov
    assert r.escalation_due_on(chased) == D(2026, 11, 25)
    with pytest.raises(r.FollowUpRefused, match="请先催办"):
        r.check_escalate("open", due, None, False, TODAY)
    with pytest.raises(r.FollowUpRefused, match="2026-11-25"):
        r.check_escalate("open", due, chased, False, TODAY)
    r.check_escalate("open", due, chased, False, D(2026, 11, 25))
    r.check_escalate("open", due, None, False, TODAY, by_manager=True)
    with pytest.raises(r.FollowUpRefused, match="尚未逾期"):
        r.check_escalate("open", TODAY, None, False, TODAY, by_manager=True)
    with pytest.raises(r.FollowUpRefused, match="已在督办中"):
        r.check_escalate("open", due, chased, True, TODAY)
    assert r.needs_escalation("in_progress", due, chased, False, D(2026, 11, 26))
    assert not r.needs_escalation("in_progress", due, chased, False, TODAY)
