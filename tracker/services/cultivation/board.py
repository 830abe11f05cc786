"""Reading the cultivation board (培育看板) and the funnel (培育漏斗), scoped and in aggregate SQL.

The board is one GROUP BY for the column counts and one windowed query for the cards of every
column (the first N per status), so its cost does not grow with the number of tracks shown.
The funnel is one GROUP BY over this year and last year together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select

from tracker.clock import local, now
from tracker.extensions import db
from tracker.models import Company, CultivationTrack, TrackTransition, User
from tracker.rules import cultivation as rules
from tracker.services.pagination import Page
from tracker.services.scoping import company_scope_clause

CARDS_PER_COLUMN = 30
COLUMN_PAGE_SIZE = 100

# How far along the funnel a status proves a track got: a rejected track was submitted first.
FUNNEL_STEPS: tuple[str, ...] = (rules.POOL, rules.KEY, rules.SUBMITTED, rules.RECOGNIZED)
FUNNEL_LEVEL: dict[str, int] = {
    rules.POOL: 0, rules.KEY: 1, rules.SUBMITTED: 2, rules.RECOGNIZED: 3, rules.REJECTED: 2, rules.WITHDRAWN: 0,
}


@dataclass
class BoardFilters:
    """What the board and the funnel show: one target rung and year, optionally narrowed."""

    rung: str
    year: int
    district: str | None = None
    officer_id: int | None = None
    industry: str | None = None

    def clauses(self, user: User) -> list:
        """WHERE clauses over CultivationTrack joined to Company (scope included)."""
        clauses = [
            CultivationTrack.target_rung == self.rung,
            company_scope_clause(user),
        ]
        if self.district:
            clauses.append(Company.district == self.district)
        if self.industry:
            clauses.append(Company.industry == self.industry)
        if self.officer_id:
            clauses.append(CultivationTrack.owner_id == self.officer_id)
        return clauses


def move_targets(status: str) -> tuple[list[str], list[str]]:
    """(statuses the state machine allows from `status`, the other statuses), in board order.

    The move form offers both: the refused ones so that a manager can read why they are refused.
    """
    allowed = [s for s in rules.STATUSES if s in rules.ALLOWED.get(status, ())]
    others = [s for s in rules.STATUSES if s != status and s not in allowed]
    return allowed, others


@dataclass
class Card:
    """One track as a card on the board: its company, officer and how long it has waited."""

    track_id: int
    version: int
    status: str
    company_id: int
    company_name: str
    owner_name: str | None
    days_in_status: int
    stale: bool

    @property
    def allowed_targets(self) -> list[str]:
        """Statuses the state machine lets this card move to, in board order."""
        return move_targets(self.status)[0]

    @property
    def other_targets(self) -> list[str]:
        """Statuses the table refuses from here (offered so the refusal reason can be read)."""
        return move_targets(self.status)[1]


@dataclass
class Column:
    """One status of the board: how many tracks it holds, how many are stale, and the cards shown."""

    status: str
    name: str
    count: int = 0
    stale_count: int = 0
    cards: list[Card] = field(default_factory=list)

    @property
    def hidden(self) -> int:
        """Tracks of this status not shown as cards (the column page lists them)."""
        return max(0, self.count - len(self.cards))

    @property
    def is_open(self) -> bool:
        """Whether cards in this column can still move (储备, 重点培育, 已申报)."""
        return self.status in rules.OPEN_STATUSES


@dataclass
class Board:
    """The board of one rung and year: its six columns in state-machine order."""

    filters: BoardFilters
    columns: list[Column]
    stale_days: int

    @property
    def total(self) -> int:
        """Tracks on the board, in every column."""
        return sum(c.count for c in self.columns)


def _stale_cutoff(stale_days: int) -> dt.datetime:
    return now() - dt.timedelta(days=stale_days)


def _card(row, today: dt.date, cutoff: dt.datetime) -> Card:
    since = row.status_since
    if since.tzinfo is None:  # SQLite hands back naive UTC
        since = since.replace(tzinfo=dt.timezone.utc)
    return Card(
        track_id=row.id, version=row.version, status=row.status, company_id=row.company_id,
        company_name=row.company_name, owner_name=row.owner_name,
        days_in_status=max(0, (today - local(since).date()).days),
        stale=row.status in rules.OPEN_STATUSES and since < cutoff,
    )


def _card_columns():
    return (
        CultivationTrack.id, CultivationTrack.version, CultivationTrack.status, CultivationTrack.status_since,
        CultivationTrack.company_id, Company.name.label("company_name"), User.name.label("owner_name"),
    )


def board(user: User, filters: BoardFilters, today: dt.date, stale_days: int,
          per_column: int = CARDS_PER_COLUMN) -> Board:
    """The board of one rung and year: every status column with its count, stale count and first cards.

    Open columns show the longest-waiting cards first (those need attention); closed columns the
    most recent first.
    """
    cutoff = _stale_cutoff(stale_days)
    where = [*filters.clauses(user), CultivationTrack.year == filters.year]
    columns = {s: Column(s, rules.STATUS_NAMES[s]) for s in rules.STATUSES}

    counts = db.session.execute(
        select(
            CultivationTrack.status, func.count(CultivationTrack.id),
            func.sum(case((CultivationTrack.status_since < cutoff, 1), else_=0)),
        )
        .join(Company, Company.id == CultivationTrack.company_id)
        .where(*where)
        .group_by(CultivationTrack.status)
    ).all()
    for status, count, stale in counts:
        if status in columns:
            columns[status].count = count
            columns[status].stale_count = int(stale or 0) if status in rules.OPEN_STATUSES else 0

    closed_recent = case(
        (CultivationTrack.status.in_(rules.CLOSED_STATUSES), CultivationTrack.status_since), else_=None,
    )
    position = func.row_number().over(
        partition_by=CultivationTrack.status,
        order_by=(closed_recent.desc(), CultivationTrack.status_since.asc(), CultivationTrack.id.asc()),
    ).label("position")
    ranked = (
        select(*_card_columns(), position)
        .join(Company, Company.id == CultivationTrack.company_id)
        .outerjoin(User, User.id == CultivationTrack.owner_id)
        .where(*where)
        .subquery()
    )
    rows = db.session.execute(
        select(ranked).where(ranked.c.position <= per_column).order_by(ranked.c.status, ranked.c.position)
    ).all()
    for row in rows:
        if row.status in columns:
            columns[row.status].cards.append(_card(row, today, cutoff))
    return Board(filters=filters, columns=[columns[s] for s in rules.STATUSES], stale_days=stale_days)


@dataclass
class ColumnPage(Page[Card]):
    """A page of one column's cards: a `Page` (rows are the cards) that also carries the column.

    The extra field is the column header the page shows above the cards (status, name, count
    and stale count); `column.cards` is the same list as `rows`.
    """

    column: Column


def board_column(user: User, filters: BoardFilters, status: str, today: dt.date, stale_days: int,
                 page: int = 1, per_page: int = COLUMN_PAGE_SIZE) -> ColumnPage:
    """Every card of one status, a page at a time (for columns longer than the board shows)."""
    if status not in rules.STATUSES:
        status = rules.POOL
    cutoff = _stale_cutoff(stale_days)
    where = [*filters.clauses(user), CultivationTrack.year == filters.year, CultivationTrack.status == status]
    column = Column(status, rules.STATUS_NAMES[status])
    count, stale = db.session.execute(
        select(func.count(CultivationTrack.id), func.sum(case((CultivationTrack.status_since < cutoff, 1), else_=0)))
        .join(Company, Company.id == CultivationTrack.company_id).where(*where)
    ).one()
    column.count = count
    column.stale_count = int(stale or 0) if status in rules.OPEN_STATUSES else 0
    page = max(1, page)
    order = CultivationTrack.status_since.desc() if status in rules.CLOSED_STATUSES else CultivationTrack.status_since.asc()
    rows = db.session.execute(
        select(*_card_columns())
        .join(Company, Company.id == CultivationTrack.company_id)
        .outerjoin(User, User.id == CultivationTrack.owner_id)
        .where(*where)
        .order_by(order, CultivationTrack.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    column.cards = [_card(row, today, cutoff) for row in rows]
    return ColumnPage(rows=column.cards, total=column.count, page=page, per_page=per_page, column=column)


@dataclass
class FunnelStep:
    """One step of the funnel: tracks that reached it this year and last, and the step's rate."""

    status: str
    name: str
    count: int
    last_year: int
    rate: float | None  # share of the previous step that reached this one
    last_year_rate: float | None


@dataclass
class Funnel:
    """The funnel of one rung and year: pool → key → submitted → recognized, beside last year."""

    filters: BoardFilters
    steps: list[FunnelStep]
    overall_rate: float | None  # recognized ÷ pool
    last_year_overall_rate: float | None


def _rate(part: int, whole: int) -> float | None:
    return round(part * 100.0 / whole, 1) if whole else None


def funnel(user: User, filters: BoardFilters) -> Funnel:
    """pool → key → submitted → recognized for the year and the year before, in one query.

    A step counts every track that *reached* it: the furthest of its current status and every
    status in its transition log (a track moved back from 重点培育 to 储备 still reached 重点培育).
    """
    level_of = case(FUNNEL_LEVEL, value=TrackTransition.to_status, else_=0)
    logged = (
        select(func.max(level_of)).where(TrackTransition.track_id == CultivationTrack.id)
        .correlate(CultivationTrack).scalar_subquery()
    )
    current = case(FUNNEL_LEVEL, value=CultivationTrack.status, else_=0)
    reached = case((func.coalesce(logged, 0) > current, func.coalesce(logged, 0)), else_=current)
    per_track = (
        select(CultivationTrack.year.label("year"), reached.label("reached"))
        .join(Company, Company.id == CultivationTrack.company_id)
        .where(*filters.clauses(user), CultivationTrack.year.in_((filters.year, filters.year - 1)))
        .subquery()
    )
    sums = [func.sum(case((per_track.c.reached >= level, 1), else_=0)) for level in range(len(FUNNEL_STEPS))]
    rows = db.session.execute(select(per_track.c.year, *sums).group_by(per_track.c.year)).all()
    by_year = {row[0]: [int(v or 0) for v in row[1:]] for row in rows}
    this = by_year.get(filters.year, [0] * len(FUNNEL_STEPS))
    last = by_year.get(filters.year - 1, [0] * len(FUNNEL_STEPS))
    steps = []
    for i, status in enumerate(FUNNEL_STEPS):
        steps.append(FunnelStep(
            status=status, name=rules.STATUS_NAMES[status], count=this[i], last_year=last[i],
            rate=_rate(this[i], this[i - 1]) if i else None,
            last_year_rate=_rate(last[i], last[i - 1]) if i else None,
        ))
    return Funnel(filters=filters, steps=steps, overall_rate=_rate(this[-1], this[0]),
                  last_year_overall_rate=_rate(last[-1], last[0]))


@dataclass
class TrackView:
    """What the track page shows: the track, its company and officer, its history and other years."""

    track: CultivationTrack
    company: Company
    owner_name: str | None
    transitions: list[tuple[TrackTransition, str | None]]  # (transition, by whom)
    related: list[CultivationTrack]  # the same company's other tracks of this rung (reopened chain)


def track_detail(track: CultivationTrack) -> TrackView:
    """A visible track (from tracks.get_track_for) with its history, in three queries."""
    transitions = db.session.execute(
        select(TrackTransition, User.name).outerjoin(User, User.id == TrackTransition.by_id)
        .where(TrackTransition.track_id == track.id).order_by(TrackTransition.at, TrackTransition.id)
    ).all()
    related = list(db.session.scalars(
        select(CultivationTrack).where(
            CultivationTrack.company_id == track.company_id, CultivationTrack.target_rung == track.target_rung,
            CultivationTrack.id != track.id,
        ).order_by(CultivationTrack.year)
    ))
    owner = db.session.get(User, track.owner_id) if track.owner_id else None
    return TrackView(
        track=track, company=db.session.get(Company, track.company_id), owner_name=owner.name if owner else None,
        transitions=[(t, name) for t, name in transitions], related=related,
    )


def company_tracks(user: User, company_id: int) -> list[CultivationTrack]:
    """The cultivation tracks of one visible company, newest year first (for the company page)."""
    return list(db.session.scalars(
        select(CultivationTrack).join(Company, Company.id == CultivationTrack.company_id)
        .where(CultivationTrack.company_id == company_id, company_scope_clause(user))
        .order_by(CultivationTrack.year.desc(), CultivationTrack.target_rung)
    ))

