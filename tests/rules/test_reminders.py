"""Reminder rules as pure functions of records and a date (DOMAIN.md §7)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import pytest

from tracker.rules import cadence
from tracker.rules import reminders as r

D = dt.date


@dataclass
class V:
    company_id: int
    due_on: dt.date
    state: str
    stage: str = "hnte"
    officer_id: int | None = 7
    company_name: str = "甲公司"
    district: str = "wujin"


@dataclass
class F:
    id: int
    due_on: dt.date | None
    status: str = "open"
    escalated: bool = False
    owner_id: int | None = 7
    officer_id: int | None = 8
    referred_deadline: dt.date | None = None
    company_id: int = 1
    company_name: str = "甲公司"
    district: str = "wujin"
    description: str = "融资需求"


@dataclass
class C:
    valid_until: dt.date
    has_open_track: bool = False
    renewed: bool = False
    designation_id: int = 5
    company_id: int = 1
    company_name: str = "甲公司"
    district: str = "wujin"
    officer_id: int | None = 7
    reference: str | None = "GR202332000001"


@dataclass
class Ref:
    company_id: int
    officer_id: int | None = 7
    company_name: str = "甲公司"
    district: str = "wujin"
    registered_years: frozenset = frozenset()
    filed_years: frozenset = frozenset()  # annual report years filed


@dataclass
class T:
    track_id: int
    status_since: dt.date
    status: str = "key"
    owner_id: int | None = 7
    officer_id: int | None = 8
    target_rung: str = "hnte"
    company_id: int = 1
    company_name: str = "甲公司"
    district: str = "wujin"


def keys(reminders):
    return {(x.recipient.key, x.kind, x.subject_key, x.period) for x in reminders}


# --- visits -------------------------------------------------------------------------------

@pytest.mark.parametrize("stage, days", sorted(cadence.DEFAULT_CADENCE_DAYS.items()))
def test_visit_cadence_by_stage_drives_due_overdue_and_escalation(stage, days):
    last = D(2026, 1, 10)
    due = cadence.visit_due_on(stage, last, None, last)
    assert due == last + dt.timedelta(days=days)
    pol = r.DEFAULT_POLICY

    def on(day):
        state = cadence.visit_state(due, day, pol.cadence)
        return r.visit_reminders([V(1, due, state, stage)], day, pol)

    assert on(due - dt.timedelta(days=1)) == []  # upcoming: only in the digest
    assert {x.kind for x in on(due)} == {r.VISIT_DUE}
    overdue = on(due + dt.timedelta(days=14))
    assert {x.kind for x in overdue} == {r.VISIT_OVERDUE}
    escalated = on(due + dt.timedelta(days=14 + 30))
    assert {x.kind for x in escalated} == {r.VISIT_OVERDUE, r.VISIT_ESCALATED}
    manager = next(x for x in escalated if x.kind == r.VISIT_ESCALATED)
    assert manager.recipient == r.managers_of("wujin") and manager.urgent
    # Every reminder of the same due date shares the period: the sweep re-run adds nothing.
    assert {x.period for x in on(due) + overdue + escalated} == {due.isoformat()}


def test_a_rescheduled_visit_gets_a_new_period():
    first = r.visit_reminders([V(1, D(2026, 3, 1), cadence.DUE)], D(2026, 3, 1))
    moved = r.visit_reminders([V(1, D(2026, 3, 20), cadence.DUE)], D(2026, 3, 20))
    assert keys(first) != keys(moved)
    assert [x.period for x in moved] == ["2026-03-20"]


def test_an_unassigned_company_reminds_the_district_managers():
    [rem] = r.visit_reminders([V(1, D(2026, 3, 1), cadence.DUE, officer_id=None, district="liyang")], D(2026, 3, 1))
    assert rem.recipient.role == r.MANAGERS and rem.recipient.district == "liyang"


# --- follow-ups -----------------------------------------------------------------------------

def test_follow_up_due_overdue_and_escalated():
    due = D(2026, 6, 10)
    assert r.follow_up_reminders([F(1, due)], D(2026, 6, 6)) == []  # 4 days ahead: too early
    [soon] = r.follow_up_reminders([F(1, due)], D(2026, 6, 7))
    assert soon.kind == r.FOLLOW_UP_DUE and soon.recipient.user_id == 7 and soon.period == "2026-06-10"
    [late] = r.follow_up_reminders([F(1, due)], D(2026, 6, 11))
    assert late.kind == r.FOLLOW_UP_OVERDUE and not late.urgent
    escalated = r.follow_up_reminders([F(1, due)], D(2026, 6, 17))
    assert {x.kind for x in escalated} == {r.FOLLOW_UP_OVERDUE, r.FOLLOW_UP_ESCALATED}
    # An escalation (督办) recorded by the workflow reaches the manager at once.
    flagged = r.follow_up_reminders([F(1, due, escalated=True)], D(2026, 6, 11))
    assert r.FOLLOW_UP_ESCALATED in {x.kind for x in flagged}


def test_finished_or_undated_follow_ups_never_remind_and_the_owner_wins():
    day = D(2026, 6, 20)
    assert r.follow_up_reminders([F(1, D(2026, 6, 10), status="resolved"), F(2, None)], day) == []
    [x, *_] = r.follow_up_reminders([F(3, D(2026, 6, 10), owner_id=None)], day)
    assert x.recipient.user_id == 8  # no owner: the company's officer
    [y, *_] = r.follow_up_reminders([F(4, None, referred_deadline=D(2026, 6, 19))], day)
    assert y.period == "2026-06-19"  # a referral's deadline when no due date of its own


# --- HNTE certificates ----------------------------------------------------------------------

@pytest.mark.parametrize("days_left, window", [(200, None), (181, None), (180, 180), (91, 180), (90, 90),
                                               (31, 90), (30, 30), (0, 30), (-1, None)])
def test_expiry_windows(days_left, window):
    assert r.expiry_window(days_left) == window


def test_one_certificate_reminder_per_window_across_a_year_boundary():
    until = D(2027, 3, 31)
    periods = set()
    day = D(2026, 9, 1)
    while day <= D(2027, 4, 5):
        periods |= {x.period for x in r.certificate_reminders([C(until)], day)}
        day += dt.timedelta(days=1)
    assert periods == {"2027-03-31/180d", "2027-03-31/90d", "2027-03-31/30d"}
    [last] = r.certificate_reminders([C(until)], D(2027, 3, 15))
    assert last.urgent and "16天" in last.title


def test_no_certificate_reminder_with_an_open_track_or_a_renewal():
    day = D(2027, 1, 1)
    assert r.certificate_reminders([C(D(2027, 3, 31), has_open_track=True)], day) == []
    assert r.certificate_reminders([C(D(2027, 3, 31), renewed=True)], day) == []


# --- campaigns ------------------------------------------------------------------------------

def test_annual_report_before_31_may():
    companies = [Ref(1), Ref(2), Ref(3, officer_id=9), Ref(4, officer_id=None)]
    assert r.annual_report_reminders(companies, D(2026, 4, 30)) == []
    may1 = r.annual_report_reminders(companies, D(2026, 5, 1))
    assert {x.recipient.key: x.payload["total"] for x in may1} == {"user:7": 2, "user:9": 1, "district:wujin": 1}
    assert {x.period for x in may1} == {"2026-05-01"}
    assert {x.period for x in r.annual_report_reminders(companies, D(2026, 5, 20))} == {"2026-05-01"}
    assert {x.period for x in r.annual_report_reminders(companies, D(2026, 5, 31))} == {"2026-05-24"}
    assert r.annual_report_reminders(companies, D(2026, 6, 1)) == []
    assert {x.period for x in r.annual_report_reminders(companies, D(2027, 5, 2))} == {"2027-05-01"}


def test_tech_sme_registered_last_year_not_yet_this_year_as_the_window_closes():
    companies = [
        Ref(1, registered_years=frozenset({2025})),
        Ref(2, registered_years=frozenset({2025, 2026})),  # done this year
        Ref(3, registered_years=frozenset({2024})),  # lapsed before last year
    ]
    assert r.tech_sme_reminders(companies, D(2026, 7, 31)) == []
    [x] = r.tech_sme_reminders(companies, D(2026, 8, 1))
    assert x.payload["companies"] == [{"company_id": 1, "name": "甲公司"}] and x.period == "2026-08-01"
    assert [y.period for y in r.tech_sme_reminders(companies, D(2026, 8, 25))] == ["2026-08-21"]
    assert r.tech_sme_reminders(companies, D(2026, 9, 1)) == []
    # Next year, last year means 2026.
    assert [y.payload["total"] for y in r.tech_sme_reminders([Ref(2, registered_years=frozenset({2026}))], D(2027, 8, 2))] == [1]


# --- cultivation tracks ---------------------------------------------------------------------

def test_stale_tracks_nag_weekly_per_owner():
    day = D(2026, 11, 24)
    tracks = [T(1, day - dt.timedelta(days=60)), T(2, day - dt.timedelta(days=59)),
              T(3, day - dt.timedelta(days=90), status="recognized"), T(4, day - dt.timedelta(days=100), owner_id=None)]
    found = r.stale_track_reminders(tracks, day)
    assert {x.recipient.key: x.payload["total"] for x in found} == {"user:7": 1, "user:8": 1}
    assert {x.period for x in found} == {"2026-W48"}
    assert r.stale_track_reminders(tracks, day, r.ReminderPolicy(track_stale_days=120)) == []


# --- periods, preferences, backoff ----------------------------------------------------------

@pytest.mark.parametrize("day, week", [(D(2026, 11, 23), "2026-W48"), (D(2026, 11, 29), "2026-W48"),
                                       (D(2026, 12, 31), "2026-W53"), (D(2027, 1, 1), "2026-W53"),
                                       (D(2027, 1, 4), "2027-W01"), (D(2025, 12, 29), "2026-W01")])
def test_iso_week_across_year_boundaries(day, week):
    assert r.iso_week(day) == week


def test_digest_and_report_due_moments():
    assert r.digest_due_at(D(2026, 11, 26)) == dt.datetime(2026, 11, 23, 8, 0)
    assert r.digest_due_at(D(2026, 11, 23)) == dt.datetime(2026, 11, 23, 8, 0)
    assert r.report_due_at(D(2026, 12, 17)) == dt.datetime(2026, 12, 1, 8, 0)
    assert r.month_key(D(2027, 1, 1)) == "2027-01"


def test_email_wanted_by_preference():
    assert r.email_wanted(r.VISIT_DUE, False, "immediate", False) is True
    assert r.email_wanted(r.VISIT_DUE, False, "digest", False) is False
    assert r.email_wanted(r.VISIT_ESCALATED, True, "digest", True) is True  # escalations always go
    assert r.email_wanted(r.DIGEST_WEEKLY, False, "digest", True) is False
    assert r.email_wanted(r.DIGEST_WEEKLY, False, "immediate", False) is True


def test_backoff_is_exponential_capped_and_jittered():
    rng = random.Random(1)
    delays = [r.backoff_seconds(n, 30, 900, rng) for n in range(1, 10)]
    for n, delay in enumerate(delays, start=1):
        nominal = min(900, 30 * 2 ** (n - 1))
        assert nominal / 2 <= delay <= nominal
    assert max(delays) <= 900
    assert len({round(r.backoff_seconds(3, 30, 900, rng), 6) for _ in range(20)}) > 10  # jitter spreads
