"""My work (我的工作): what an officer should do next, each line one click from its action.

Four lists, each one aggregate query over what the user may see:
- companies due (or about to be due) a visit, from tracker.services.visits.due (the same query the
  reminders and the workload table use), grouped by urgency — 已逾期 / 今天 / 本周 / 从未走访, the
  terms of tracker.rules.glossary — sorted most urgent first, filtered by stage and paged;
- follow-ups the user owns that are due within a week or overdue;
- HNTE certificates expiring within 180 days with no open re-application track and no newer
  certificate;
- cultivation tracks the user owns that have not moved for TRACK_STALE_DAYS.
For a manager the same lists cover the whole district rather than what they own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from tracker.clock import now
from tracker.extensions import db
from tracker.models import Company, CultivationTrack, Designation, FollowUp, User
from tracker.rules.ladder import STAGE_RANK
from tracker.rules import cadence
from tracker.rules import cultivation as track_rules
from tracker.rules import follow_ups as fu_rules
from tracker.services.certificates.reapplication import reapplication_clause, renewed_clause
from tracker.services.pagination import Page
from tracker.services.scoping import company_scope_clause
from tracker.services.stages import in_force_clause
from tracker.services.visits.due import DueVisit, due_visits

EXPIRY_HORIZON_DAYS = 180
LIST_LIMIT = 100  # lines shown per list of follow-ups, certificates and tracks
PER_PAGE = 30  # visit lines per page

# Visit groups, most urgent first (labels and tooltips: tracker.rules.glossary).
OVERDUE, TODAY, WEEK, NEVER = "overdue", "today", "week", "never"
GROUPS = (OVERDUE, TODAY, WEEK, NEVER)
GROUP_TERMS = {OVERDUE: "visits_overdue", TODAY: "visits_today", WEEK: "visits_week", NEVER: "visits_never"}


def group_of(visit: DueVisit) -> str:
    """The group of a due visit: overdue (incl. 逾期督办 and never-visited companies past the grace
    period), today (due, within the grace period), this week (upcoming) or never visited yet."""
    if visit.state in (cadence.OVERDUE, cadence.ESCALATED):
        return OVERDUE
    if visit.last_visited_on is None and visit.next_planned_on is None:
        return NEVER
    return TODAY if visit.state == cadence.DUE else WEEK


def urgency_key(visit: DueVisit) -> tuple:
    """Most urgent first: by group, then 逾期督办 before 已逾期, the oldest due date, the higher stage."""
    return (GROUPS.index(group_of(visit)), 0 if visit.state == cadence.ESCALATED else 1, visit.due_on,
            -STAGE_RANK.get(visit.stage, 0), visit.company_id)


@dataclass(frozen=True)
class FollowUpLine:
    id: int
    company_id: int
    company_name: str
    description: str
    status: str
    owner_name: str | None
    due_on: dt.date
    deadline_state: str
    chased: bool
    escalated: bool


@dataclass(frozen=True)
class ExpiringLine:
    designation_id: int
    company_id: int
    company_name: str
    reference: str | None
    valid_until: dt.date
    days_left: int


@dataclass(frozen=True)
class StaleTrackLine:
    track_id: int
    company_id: int
    company_name: str
    target_rung: str
    year: int
    status: str
    days_in_status: int


@dataclass
class MyWork:
    on: dt.date
    scope_label: str
    visits: list[DueVisit] = field(default_factory=list)  # the page shown
    visits_total: int = 0  # lines of the chosen group and stage, over all pages
    visit_page: Page[DueVisit] | None = None
    group_counts: dict[str, int] = field(default_factory=dict)  # every group, before the group filter
    group: str | None = None
    stage: str | None = None
    follow_ups: list[FollowUpLine] = field(default_factory=list)
    expiring: list[ExpiringLine] = field(default_factory=list)
    stale_tracks: list[StaleTrackLine] = field(default_factory=list)
    stale_days: int = 60

    @property
    def empty(self) -> bool:
        return not (self.visits or self.follow_ups or self.expiring or self.stale_tracks)

    @property
    def overdue_count(self) -> int:
        """已逾期 (glossary visits_overdue) among the lines of the chosen stage."""
        return self.group_counts.get(OVERDUE, 0)


def _owns(user: User) -> bool:
    """Officers see what they own; managers and administrators their whole scope."""
    return user.is_officer


def follow_ups_due(user: User, on: dt.date, policy: fu_rules.FollowUpPolicy = fu_rules.DEFAULT_POLICY) -> list[FollowUpLine]:
    """Unfinished follow-ups due within `policy.due_soon_days` or overdue, soonest first."""
    query = (
        select(FollowUp.id, FollowUp.company_id, Company.name, FollowUp.description, FollowUp.status, User.name,
               FollowUp.due_on, FollowUp.chased_at, FollowUp.escalated_at)
        .join(Company, Company.id == FollowUp.company_id)
        .outerjoin(User, User.id == FollowUp.owner_id)
        .where(
            company_scope_clause(user), FollowUp.status.in_(fu_rules.ACTIVE_STATUSES),
            FollowUp.due_on <= on + dt.timedelta(days=policy.due_soon_days),
        )
        .order_by(FollowUp.due_on, FollowUp.id).limit(LIST_LIMIT)
    )
    if _owns(user):
        query = query.where(FollowUp.owner_id == user.id)
    return [
        FollowUpLine(r[0], r[1], r[2], r[3], r[4], r[5], r[6], fu_rules.deadline_state(r[4], r[6], on, policy),
                     r[7] is not None, r[8] is not None)
        for r in db.session.execute(query)
    ]


def expiring_certificates(user: User, on: dt.date, horizon_days: int = EXPIRY_HORIZON_DAYS) -> list[ExpiringLine]:
    """HNTE certificates in force that end within `horizon_days`, for companies with no re-application.

    A re-application is an HNTE cultivation track in an open status; a newer HNTE certificate
    (already re-certified) also takes the company off the list.
    """
    reapplying = reapplication_clause(Designation)  # a track of the expiry year, as the reminders
    recertified = renewed_clause(Designation)  # a newer certificate: the one definition
    query = (
        select(Designation.id, Designation.company_id, Company.name, Designation.reference, Designation.valid_until)
        .join(Company, Company.id == Designation.company_id)
        .where(
            company_scope_clause(user), Designation.rung == "hnte", in_force_clause(on),
            Designation.valid_until.is_not(None),
            Designation.valid_until <= on + dt.timedelta(days=horizon_days),
            ~reapplying, ~recertified,
        )
        .order_by(Designation.valid_until, Designation.id).limit(LIST_LIMIT)
    )
    return [ExpiringLine(r[0], r[1], r[2], r[3], r[4], (r[4] - on).days) for r in db.session.execute(query)]


def stale_tracks(user: User, stale_days: int, moment: dt.datetime | None = None) -> list[StaleTrackLine]:
    """Open cultivation tracks (owned by the officer, or in the manager's district) unmoved for `stale_days`."""
    moment = moment or now()
    cutoff = moment - dt.timedelta(days=stale_days)
    query = (
        select(CultivationTrack.id, CultivationTrack.company_id, Company.name, CultivationTrack.target_rung,
               CultivationTrack.year, CultivationTrack.status, CultivationTrack.status_since)
        .join(Company, Company.id == CultivationTrack.company_id)
        .where(company_scope_clause(user), CultivationTrack.status.in_(track_rules.OPEN_STATUSES),
               CultivationTrack.status_since <= cutoff)
        .order_by(CultivationTrack.status_since, CultivationTrack.id).limit(LIST_LIMIT)
    )
    if _owns(user):
        query = query.where(CultivationTrack.owner_id == user.id)
    lines = []
    for r in db.session.execute(query):
        since = r[6] if r[6].tzinfo else r[6].replace(tzinfo=dt.timezone.utc)  # SQLite returns naive UTC
        lines.append(StaleTrackLine(r[0], r[1], r[2], r[3], r[4], r[5], (moment - since).days))
    return lines


def my_work(
    user: User, on: dt.date, *, stale_days: int = 60, policy: cadence.CadencePolicy = cadence.DEFAULT_POLICY,
    group: str | None = None, stage: str | None = None, page: int = 1, per_page: int = PER_PAGE,
) -> MyWork:
    """Everything on the user's My work page as of `on`: one page of the visit lines of `group`
    (None: every group, most urgent first) and `stage` (None: every stage), and the other lists."""
    group = group if group in GROUPS else None
    stage = stage if stage in STAGE_RANK else None
    visits = due_visits(user, on, policy, officer_id=user.id if _owns(user) else None, min_state=cadence.UPCOMING)
    if stage:
        visits = [v for v in visits if v.stage == stage]
    counts = {g: 0 for g in GROUPS}
    for v in visits:
        counts[group_of(v)] += 1
    if group:
        visits = [v for v in visits if group_of(v) == group]
    visits.sort(key=urgency_key)
    pages = max(1, -(-len(visits) // per_page))
    page = min(max(1, page), pages)
    shown = visits[(page - 1) * per_page: page * per_page]
    return MyWork(
        on=on,
        scope_label="我负责的企业" if _owns(user) else ("本辖区" if user.is_manager else "全市"),
        visits=shown,
        visits_total=len(visits),
        visit_page=Page(rows=shown, total=len(visits), page=page, per_page=per_page),
        group_counts=counts,
        group=group,
        stage=stage,
        follow_ups=follow_ups_due(user, on),
        expiring=expiring_certificates(user, on),
        stale_tracks=stale_tracks(user, stale_days),
        stale_days=stale_days,
    )


def overdue_visit_count(user: User, on: dt.date, policy: cadence.CadencePolicy = cadence.DEFAULT_POLICY) -> int:
    """已逾期 (glossary visits_overdue) for what the user sees: an officer their own companies, a
    manager the district (companies without an officer included), an administrator the city."""
    return len(due_visits(user, on, policy, officer_id=user.id if _owns(user) else None, min_state=cadence.OVERDUE))
