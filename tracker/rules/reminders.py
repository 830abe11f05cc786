"""Reminder rules (提醒规则): which reminders are due on a given day, as pure functions.

Each rule takes plain records (anything with the named attributes) and a date and returns
`Reminder`s. A reminder carries its outbox key — recipient, kind, subject, period — and the period
is chosen so that the reminder repeats only when it should:

- a visit reminder's period is the visit's due date: logging a visit or rescheduling it moves the
  due date, so a new reminder can follow; the same due date never reminds twice per state;
- a follow-up's period is its due date; a certificate's is its expiry date plus the window
  (180/90/30 days), so each window reminds once;
- the campaign reminders (HNTE annual report, tech SME renewal) use the nudge date of the year
  (the tech SME ones count back from the closing date of the year's evaluation window, which is
  data per year: `tech_sme_window`);
  the annual report reminds only the HNTEs that have not filed last year's report;
  a weekly nag (cultivation tracks stuck in a status) uses the ISO week.

Rules are *level-triggered*: a reminder is due for as long as its condition holds, so a sweep of
today also covers the days a sweep missed, and the outbox's UNIQUE key keeps it to one row.
Every threshold lives in ReminderPolicy (docs/DOMAIN.md §7 defaults). No Flask, SQLAlchemy or Celery here.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Protocol

from tracker.rules import cadence
from tracker.rules import follow_ups as follow_up_rules
from tracker.rules.cultivation import OPEN_STATUSES, STATUS_NAMES
from tracker.rules.ladder import RUNG_BY_CODE, STAGE_NAMES

# Kinds of notification (the outbox's `kind` column).
VISIT_DUE, VISIT_OVERDUE, VISIT_ESCALATED = "visit_due", "visit_overdue", "visit_escalated"
FOLLOW_UP_DUE, FOLLOW_UP_OVERDUE, FOLLOW_UP_ESCALATED = "follow_up_due", "follow_up_overdue", "follow_up_escalated"
FOLLOW_UP_ASSIGNED = "follow_up_assigned"
HNTE_EXPIRING, HNTE_ANNUAL_REPORT, TECH_SME_RENEWAL = "hnte_expiring", "hnte_annual_report", "tech_sme_renewal"
TRACK_STALE = "track_stale"
DIGEST_WEEKLY, REPORT_MONTHLY = "digest_weekly", "report_monthly"
TEST_EMAIL = "test_email"
REMINDER_BATCH = "reminder_batch"  # many reminders of one sweep for one person, emailed as one

KIND_NAMES: dict[str, str] = {
    VISIT_DUE: "走访到期", VISIT_OVERDUE: "走访逾期", VISIT_ESCALATED: "走访逾期督办",
    FOLLOW_UP_DUE: "诉求即将到期", FOLLOW_UP_OVERDUE: "诉求逾期", FOLLOW_UP_ESCALATED: "诉求逾期督办",
    FOLLOW_UP_ASSIGNED: "新诉求待办理",
    HNTE_EXPIRING: "高企证书到期", HNTE_ANNUAL_REPORT: "高企年报", TECH_SME_RENEWAL: "科小评价入库",
    TRACK_STALE: "培育停滞", DIGEST_WEEKLY: "每周工作摘要", REPORT_MONTHLY: "辖区月报", TEST_EMAIL: "测试邮件",
    REMINDER_BATCH: "汇总提醒",
}
DIGEST_KINDS = frozenset({DIGEST_WEEKLY, REPORT_MONTHLY})

# Who receives a reminder before it is resolved to accounts.
OFFICER, MANAGERS = "officer", "managers"


@dataclass(frozen=True)
class ReminderPolicy:
    """Every threshold of the reminder rules; the defaults are docs/DOMAIN.md §7."""

    cadence: cadence.CadencePolicy = field(default_factory=cadence.CadencePolicy)
    follow_up_ahead_days: int = 3  # remind the owner this many days before the due date
    follow_up_escalate_days: int = 7  # overdue this many days → the district manager
    hnte_expiry_windows: tuple[int, ...] = (180, 90, 30)  # days before the certificate ends
    hnte_urgent_window: int = 30  # the last window is urgent (goes out even in digest mode)
    annual_report_nudges: tuple[tuple[int, int], ...] = ((5, 1), (5, 24))  # (month, day)
    annual_report_deadline: tuple[int, int] = (5, 31)
    tech_sme_nudge_days: tuple[int, ...] = (30, 10)  # days before the year's window closes
    tech_sme_default_window: tuple[tuple[int, int], tuple[int, int]] = ((6, 1), (8, 31))  # when none is recorded
    track_stale_days: int = 60
    digest_weekday: int = 0  # Monday
    report_day: int = 1  # of the month
    digest_hour: int = 8  # 08:00 Asia/Shanghai for both digests and reports
    digest_list_limit: int = 30  # items per section shown in an email


DEFAULT_POLICY = ReminderPolicy()


@dataclass(frozen=True)
class Recipient:
    """The assigned officer (`user_id`), or the district's managers when there is none.

    An officer recipient keeps the district so the sweep can fall back to its managers when the
    officer's account is no longer active.
    """

    role: str
    user_id: int | None = None
    district: str | None = None

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.role == OFFICER else f"district:{self.district}"


def recipient_for(officer_id: int | None, district: str) -> Recipient:
    """A company's reminders go to its officer; an unassigned company's to the district managers."""
    if officer_id is not None:
        return Recipient(OFFICER, user_id=officer_id, district=district)
    return Recipient(MANAGERS, district=district)


def managers_of(district: str) -> Recipient:
    """The district managers as recipients (escalations)."""
    return Recipient(MANAGERS, district=district)


@dataclass(frozen=True)
class Reminder:
    """One due reminder: its outbox key, what it says, and where its link points."""

    recipient: Recipient
    kind: str
    subject_key: str
    period: str
    title: str
    body: str = ""
    urgent: bool = False
    company_id: int | None = None
    link: tuple[str, tuple[tuple[str, int], ...]] | None = None  # (endpoint, ((arg, value), ...))
    payload: dict | None = None


def _company_link(company_id: int):
    return ("companies.show", (("company_id", company_id),))


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------

def iso_week(day: dt.date) -> str:
    """The ISO week of a day, e.g. "2026-W48" (2027-01-01 belongs to "2026-W53")."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: dt.date) -> str:
    """The month of a day, e.g. "2026-11"."""
    return f"{day.year}-{day.month:02d}"


def week_start(day: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> dt.date:
    """The digest day (Monday by default) of the week containing `day`."""
    return day - dt.timedelta(days=(day.weekday() - policy.digest_weekday) % 7)


def digest_due_at(day: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> dt.datetime:
    """The local moment (naive, Asia/Shanghai) this week's digest is due: Monday 08:00."""
    return dt.datetime.combine(week_start(day, policy), dt.time(policy.digest_hour))


def report_due_at(day: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> dt.datetime:
    """The local moment (naive, Asia/Shanghai) this month's report is due: the 1st, 08:00."""
    return dt.datetime.combine(day.replace(day=policy.report_day), dt.time(policy.digest_hour))


# --------------------------------------------------------------------------------------------
# Visits (走访)
# --------------------------------------------------------------------------------------------

class DueVisitLike(Protocol):
    company_id: int
    company_name: str
    district: str
    officer_id: int | None
    stage: str
    due_on: dt.date
    state: str


UNASSIGNED = "未分配服务专员"


def visit_reminders(visits: Iterable[DueVisitLike], today: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> list[Reminder]:
    """Due → the officer; overdue → the officer; escalated → the district managers (and the officer).

    Only the current state reminds: a company found already overdue does not also get a stale
    "due" reminder. `state` was computed by rules.cadence for `today`. A company without an
    officer (未分配服务专员) is its district managers' item on the same ladder: its due date is the
    day it became unassigned (rules.cadence.unassigned_since), so the period — and the reminder —
    stays the same from one sweep to the next; escalated, the managers get the escalation only.
    """
    result: list[Reminder] = []
    for v in visits:
        state = v.state or cadence.visit_state(v.due_on, today, policy.cadence)
        subject = f"company:{v.company_id}"
        period = v.due_on.isoformat()
        stage = STAGE_NAMES.get(v.stage, v.stage)
        who = recipient_for(v.officer_id, v.district)
        late = (today - v.due_on).days
        unassigned = v.officer_id is None
        note = f"{v.company_name}（{stage}）自 {period} 起未分配服务专员" if unassigned else ""
        if state == cadence.DUE:
            result.append(Reminder(
                who, VISIT_DUE, subject, period,
                f"{UNASSIGNED}：{v.company_name}" if unassigned else f"应走访：{v.company_name}",
                f"{note}，请分配服务专员并安排走访。" if unassigned
                else f"{v.company_name}（{stage}）按走访频次应于 {period} 前后走访，请安排。",
                company_id=v.company_id, link=_company_link(v.company_id),
            ))
        elif state == cadence.OVERDUE or (state == cadence.ESCALATED and not unassigned):
            result.append(Reminder(
                who, VISIT_OVERDUE, subject, period,
                f"走访已逾期（{UNASSIGNED}）：{v.company_name}" if unassigned else f"走访已逾期：{v.company_name}",
                f"{note}，已逾期 {late} 天，请尽快分配服务专员并走访。" if unassigned
                else f"{v.company_name}（{stage}）应于 {period} 走访，已逾期 {late} 天，请尽快走访并登记。",
                company_id=v.company_id, link=_company_link(v.company_id),
            ))
        if state == cadence.ESCALATED:
            result.append(Reminder(
                managers_of(v.district), VISIT_ESCALATED, subject, period,
                f"走访逾期督办（{UNASSIGNED}）：{v.company_name}" if unassigned else f"走访逾期督办：{v.company_name}",
                f"{note}，已逾期 {late} 天，请立即分配服务专员并督促走访。" if unassigned
                else f"{v.company_name}（{stage}）应于 {period} 走访，已逾期 {late} 天，请督促服务专员走访。",
                urgent=True, company_id=v.company_id, link=_company_link(v.company_id),
            ))
    return result


# --------------------------------------------------------------------------------------------
# Follow-ups (诉求)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FollowUpRecord:
    """An open follow-up as the rules need it (built by the sweep from one query)."""

    id: int
    company_id: int
    company_name: str
    district: str
    owner_id: int | None
    officer_id: int | None
    status: str
    due_on: dt.date | None
    referred_deadline: dt.date | None
    escalated: bool
    description: str


def _short(text: str | None, limit: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def follow_up_reminders(items: Iterable[FollowUpRecord], today: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> list[Reminder]:
    """Due soon → the owner; overdue → the owner; overdue long enough or escalated (督办) → managers."""
    result: list[Reminder] = []
    for f in items:
        if f.status not in follow_up_rules.ACTIVE_STATUSES:
            continue
        due = follow_up_rules.effective_due_on(f.due_on, f.referred_deadline)
        if due is None:
            continue
        subject, period = f"follow_up:{f.id}", due.isoformat()
        who = recipient_for(f.owner_id or f.officer_id, f.district)
        link = ("visits.follow_up", (("follow_up_id", f.id),))
        what = _short(f.description)
        days_left = (due - today).days
        if 0 <= days_left <= policy.follow_up_ahead_days:
            result.append(Reminder(
                who, FOLLOW_UP_DUE, subject, period, f"诉求即将到期：{f.company_name}",
                f"{f.company_name}的诉求“{what}”办理期限为 {period}（还剩 {days_left} 天）。",
                company_id=f.company_id, link=link,
            ))
        elif days_left < 0:
            result.append(Reminder(
                who, FOLLOW_UP_OVERDUE, subject, period, f"诉求已逾期：{f.company_name}",
                f"{f.company_name}的诉求“{what}”办理期限为 {period}，已逾期 {-days_left} 天。",
                company_id=f.company_id, link=link,
            ))
            if f.escalated or -days_left >= policy.follow_up_escalate_days:
                result.append(Reminder(
                    managers_of(f.district), FOLLOW_UP_ESCALATED, subject, period, f"诉求逾期督办：{f.company_name}",
                    f"{f.company_name}的诉求“{what}”办理期限为 {period}，已逾期 {-days_left} 天，请督办。",
                    urgent=True, company_id=f.company_id, link=link,
                ))
    return result


# --------------------------------------------------------------------------------------------
# HNTE certificates (高企证书)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CertificateRecord:
    """An HNTE certificate in force, with what the rules need to know about its renewal."""

    designation_id: int
    company_id: int
    company_name: str
    district: str
    officer_id: int | None
    valid_until: dt.date
    reference: str | None
    has_open_track: bool  # a re-application: the HNTE track for the expiry year, open or recognized
    renewed: bool  # a later HNTE certificate exists already


def expiry_window(days_left: int, policy: ReminderPolicy = DEFAULT_POLICY) -> int | None:
    """The window (e.g. 180, 90 or 30 days) a certificate with `days_left` days to go is in, or None."""
    if days_left < 0:
        return None
    fitting = [w for w in policy.hnte_expiry_windows if days_left <= w]
    return min(fitting) if fitting else None


def certificate_reminders(items: Iterable[CertificateRecord], today: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> list[Reminder]:
    """One reminder per certificate per window while it expires without a re-application under way."""
    result: list[Reminder] = []
    for c in items:
        if c.has_open_track or c.renewed:
            continue
        days_left = (c.valid_until - today).days
        window = expiry_window(days_left, policy)
        if window is None:
            continue
        ref = f"（证书编号 {c.reference}）" if c.reference else ""
        result.append(Reminder(
            recipient_for(c.officer_id, c.district), HNTE_EXPIRING, f"designation:{c.designation_id}",
            f"{c.valid_until.isoformat()}/{window}d",
            f"高企证书{days_left}天后到期：{c.company_name}",
            f"{c.company_name}的高新技术企业证书{ref}将于 {c.valid_until.isoformat()} 到期（剩余 {days_left} 天），"
            f"尚无重新认定的培育记录，请提醒企业及时申报。",
            urgent=window <= policy.hnte_urgent_window, company_id=c.company_id, link=_company_link(c.company_id),
        ))
    return result


# --------------------------------------------------------------------------------------------
# Campaigns: HNTE annual report, tech SME renewal (grouped per recipient)
# --------------------------------------------------------------------------------------------

class CompanyRefLike(Protocol):
    company_id: int
    company_name: str
    district: str
    officer_id: int | None


def _nudge(today: dt.date, nudges: tuple[tuple[int, int], ...], closes: tuple[int, int]) -> dt.date | None:
    """The latest nudge date on or before `today`, while the window is still open."""
    if today > dt.date(today.year, *closes):
        return None
    passed = [dt.date(today.year, m, d) for m, d in nudges if dt.date(today.year, m, d) <= today]
    return max(passed) if passed else None


def annual_report_nudge(today: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> dt.date | None:
    """The current HNTE annual-report nudge date (1 May, then 24 May), or None outside the window."""
    return _nudge(today, policy.annual_report_nudges, policy.annual_report_deadline)


@dataclass(frozen=True)
class EvaluationWindow:
    """A year's national tech SME evaluation window (评价窗口), as recorded or as assumed.

    `basis_year` is the year whose recorded window gave the dates: the year itself when recorded,
    the latest recorded year when this year has none (its month and day applied to this year),
    None when no window is recorded at all (the policy's default dates).
    """

    year: int
    opens_on: dt.date
    closes_on: dt.date
    basis_year: int | None

    @property
    def assumed(self) -> bool:
        """True when the year has no window recorded and the dates are inferred."""
        return self.basis_year != self.year

    def note(self) -> str:
        """'' for a recorded window, else how its dates were inferred (shown in the reminder)."""
        if not self.assumed:
            return ""
        span = f"{self.opens_on.month}月{self.opens_on.day}日至{self.closes_on.month}月{self.closes_on.day}日"
        if self.basis_year is None:
            return f"（{self.year}年评价窗口尚未录入，暂按默认的{span}推算）"
        return f"（{self.year}年评价窗口尚未录入，暂按{self.basis_year}年窗口的日期{span}推算）"


def _same_day_in(year: int, day: dt.date) -> dt.date:
    """`day`'s month and day in `year` (29 February becomes the 28th in a common year)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return dt.date(year, day.month, 28)


def tech_sme_window(year: int, recorded: dict[int, tuple[dt.date, dt.date]],
                    policy: ReminderPolicy = DEFAULT_POLICY) -> EvaluationWindow:
    """The window of `year`: as recorded ({year: (opens, closes)}), else the latest recorded one's dates."""
    if year in recorded:
        opens, closes = recorded[year]
        return EvaluationWindow(year, opens, closes, year)
    if recorded:
        basis = max(recorded)
        opens, closes = recorded[basis]
        return EvaluationWindow(year, _same_day_in(year, opens), _same_day_in(year, closes), basis)
    (om, od), (cm, cd) = policy.tech_sme_default_window
    return EvaluationWindow(year, dt.date(year, om, od), dt.date(year, cm, cd), None)


def tech_sme_nudges(window: EvaluationWindow, policy: ReminderPolicy = DEFAULT_POLICY) -> list[dt.date]:
    """The nudge dates of a window: `tech_sme_nudge_days` before it closes, never before it opens."""
    return sorted({max(window.opens_on, window.closes_on - dt.timedelta(days=n)) for n in policy.tech_sme_nudge_days})


def tech_sme_nudge(today: dt.date, policy: ReminderPolicy = DEFAULT_POLICY,
                   window: EvaluationWindow | None = None) -> dt.date | None:
    """The current tech-SME renewal nudge date, or None outside the nudges of this year's window.

    With the 2026 window (closing 31 August) the nudges are 1 and 21 August; with 2025's (closing
    30 September) 31 August and 20 September. `window` defaults to the policy's default dates.
    """
    window = window or tech_sme_window(today.year, {}, policy)
    if today > window.closes_on:
        return None
    passed = [d for d in tech_sme_nudges(window, policy) if d <= today]
    return max(passed) if passed else None


def _grouped(companies: Iterable[CompanyRefLike], kind: str, period: str, title, body, policy: ReminderPolicy) -> list[Reminder]:
    groups: dict[str, list] = defaultdict(list)
    whom: dict[str, Recipient] = {}
    for c in companies:
        who = recipient_for(c.officer_id, c.district)
        whom.setdefault(who.key, who)
        groups[who.key].append(c)
    result = []
    for key, items in groups.items():
        who = whom[key]
        items.sort(key=lambda c: (c.company_name, c.company_id))
        shown = [{"company_id": c.company_id, "name": c.company_name} for c in items[: policy.digest_list_limit]]
        result.append(Reminder(
            who, kind, f"group:{who.key}", period, title(len(items)), body(len(items)),
            payload={"companies": shown, "total": len(items)},
        ))
    return result


def annual_report_year(day: dt.date) -> int:
    """The report year (报表年度) whose annual report is due on 31 May of `day`'s year: the year before."""
    return day.year - 1


def report_deadline(report_year: int, policy: ReminderPolicy = DEFAULT_POLICY) -> dt.date:
    """The day the annual report on `report_year` is due: 31 May of the following year."""
    return dt.date(report_year + 1, *policy.annual_report_deadline)


def last_report_years(today: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> tuple[int, int]:
    """The two most recent report years whose deadline has passed by `today`, older first."""
    latest = annual_report_year(today)
    if report_deadline(latest, policy) >= today:
        latest -= 1
    return (latest - 1, latest)


def two_years_unfiled(years: tuple[int, int], *, required: Iterable[int], filed: Iterable[int]) -> bool:
    """Two consecutive reports due and not filed: a ground for disqualification (docs/DOMAIN.md §1).

    `required` are the report years the company had to file (it held an HNTE on their deadline);
    `filed` the report years it filed.
    """
    required, filed = set(required), set(filed)
    return all(y in required and y not in filed for y in years)


EARLIEST_REPORT_YEAR = 2008  # the first year of certificates under the 2008 recognition rules


def filing_problem(report_year: int, filed_on: dt.date, today: dt.date) -> tuple[str, str] | None:
    """Why a recorded filing cannot be right, as (field, Chinese reason), or None when it can.

    The report on year R is filed in R + 1 (by 31 May, or late): never before 1 January R + 1,
    never in the future.
    """
    if not EARLIEST_REPORT_YEAR <= report_year <= today.year - 1:
        return "year", f"报表年度应在 {EARLIEST_REPORT_YEAR}–{today.year - 1} 之间（年报于次年报送）"
    if filed_on > today:
        return "filed_on", "报送日期不能晚于今天"
    if filed_on < dt.date(report_year + 1, 1, 1):
        return "filed_on", f"{report_year} 年度年报应于 {report_year + 1} 年报送，报送日期不能早于 {report_year + 1}-01-01"
    return None


class AnnualReportLike(CompanyRefLike, Protocol):
    filed_years: frozenset[int]  # report years (报表年度) the company has filed


def annual_report_reminders(companies: Iterable[AnnualReportLike], today: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> list[Reminder]:
    """In May: one reminder per officer listing their HNTEs that have not yet filed last year's report."""
    nudge = annual_report_nudge(today, policy)
    if nudge is None:
        return []
    deadline = dt.date(today.year, *policy.annual_report_deadline)
    report_year = annual_report_year(today)
    when = f"{deadline.month}月{deadline.day}日"
    unfiled = [c for c in companies if report_year not in c.filed_years]
    return _grouped(
        unfiled, HNTE_ANNUAL_REPORT, nudge.isoformat(),
        lambda n: f"高企年报提醒：{n} 家企业须在{when}前填报",
        lambda n: f"您服务的 {n} 家高新技术企业尚未报送 {report_year} 年度发展情况报表（年报），"
                  f"须在 {deadline.isoformat()} 前完成填报，请提醒企业按时填报。",
        policy,
    )


class TechSmeLike(CompanyRefLike, Protocol):
    registered_years: frozenset[int]  # years in which the company was evaluated as a tech SME


def tech_sme_reminders(companies: Iterable[TechSmeLike], today: dt.date, policy: ReminderPolicy = DEFAULT_POLICY,
                       window: EvaluationWindow | None = None) -> list[Reminder]:
    """As this year's window closes: companies registered as tech SMEs last year but not yet this year."""
    window = window or tech_sme_window(today.year, {}, policy)
    nudge = tech_sme_nudge(today, policy, window)
    if nudge is None:
        return []
    due = [c for c in companies if today.year - 1 in c.registered_years and today.year not in c.registered_years]
    closes = window.closes_on
    return _grouped(
        due, TECH_SME_RENEWAL, nudge.isoformat(),
        lambda n: f"科小评价入库提醒：{n} 家企业{today.year}年尚未入库",
        lambda n: f"您服务的 {n} 家企业{today.year - 1}年已入库科技型中小企业，{today.year}年尚未评价入库；"
                  f"本年度评价窗口将于 {closes.isoformat()} 关闭{window.note()}，请提醒企业及时填报。",
        policy,
    )


# --------------------------------------------------------------------------------------------
# Cultivation tracks stuck in a status (培育停滞)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrackRecord:
    """An open cultivation track and how long it has stayed in its status."""

    track_id: int
    company_id: int
    company_name: str
    district: str
    target_rung: str
    status: str
    status_since: dt.date
    owner_id: int | None
    officer_id: int | None


def stale_track_reminders(tracks: Iterable[TrackRecord], today: dt.date, policy: ReminderPolicy = DEFAULT_POLICY) -> list[Reminder]:
    """Once a week, per owner, the open tracks that have not moved for `track_stale_days`."""
    stale = [t for t in tracks if t.status in OPEN_STATUSES and (today - t.status_since).days >= policy.track_stale_days]
    groups: dict[str, list] = defaultdict(list)
    whom: dict[str, Recipient] = {}
    for t in stale:
        who = recipient_for(t.owner_id or t.officer_id, t.district)
        whom.setdefault(who.key, who)
        groups[who.key].append(t)
    result = []
    for key, items in groups.items():
        who = whom[key]
        items.sort(key=lambda t: (t.status_since, t.track_id))
        shown = [
            {"company_id": t.company_id, "name": t.company_name,
             "target": RUNG_BY_CODE[t.target_rung].name if t.target_rung in RUNG_BY_CODE else t.target_rung,
             "status": STATUS_NAMES.get(t.status, t.status), "days": (today - t.status_since).days}
            for t in items[: policy.digest_list_limit]
        ]
        result.append(Reminder(
            who, TRACK_STALE, f"group:{who.key}", iso_week(today),
            f"培育停滞提醒：{len(items)} 条培育记录超过{policy.track_stale_days}天未推进",
            f"以下培育记录在当前状态停留已超过 {policy.track_stale_days} 天，请跟进或调整状态。",
            link=("cultivation.board", ()), payload={"tracks": shown, "total": len(items)},
        ))
    return result


# --------------------------------------------------------------------------------------------
# Preferences and delivery
# --------------------------------------------------------------------------------------------

def email_wanted(kind: str, urgent: bool, notify_mode: str, digest_opt_out: bool) -> bool:
    """Whether a notification is also emailed, or shown in the app (and the digest) only.

    Digests and reports are emailed unless the user opted out (then they are not created at
    all); urgent reminders (escalations, a certificate's last window) always go; other reminders
    go one by one only to users who chose "immediate".
    """
    if kind in DIGEST_KINDS:
        return not digest_opt_out
    if urgent:
        return True
    return notify_mode != "digest"


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` (1, 2, ...): exponential, capped, with jitter.

    "Equal jitter": half the capped delay is fixed, half random, so retries of many messages
    after one outage spread out while each still waits at least half the nominal delay.
    """
    nominal = min(cap, base * (2 ** max(0, attempt - 1)))
    rand = (rng or random).random()
    return nominal / 2 + rand * nominal / 2


# --------------------------------------------------------------------------------------------
# Catching up a past day (补扫)
# --------------------------------------------------------------------------------------------

def reminder_key(reminder: Reminder) -> tuple[str, str, str]:
    """What identifies a reminder across days: its kind, subject and period (not its recipient)."""
    return (reminder.kind, reminder.subject_key, reminder.period)


def still_true_today(past: Iterable[Reminder], due_today: Iterable[Reminder]) -> list[Reminder]:
    """Of the reminders due on a past day, those a catch-up may still create: the ones due today
    under the same key. Anything else is false today — the visit or follow-up was done, the
    certificate expired or moved on to its next window (a 90-day notice is not sent once the
    30-day one is due), a stale-track nag belongs to a week already nagged about — and sending it
    now would only mislead."""
    keys = {reminder_key(r) for r in due_today}
    return [r for r in past if reminder_key(r) in keys]


def period_catch_up_allowed(period: str, latest_done: str | None) -> bool:
    """Whether a catch-up may still create a digest or report of `period` (an ISO week like
    "2026-W48" or a month like "2026-11"; both sort as text): only while no later period's run
    is recorded — a later digest or report supersedes it."""
    return latest_done is None or latest_done <= period
