"""One activity stream per company (企业动态, like Odoo's chatter): visits, 诉求 and their handling,
designation changes, cultivation moves and assignments in one timeline, newest first.

Each source is a Source: a SELECT of its newest `limit` rows in the stream's common columns
(`_columns`), the function turning those rows into ActivityItems, and a COUNT; `SOURCES` lists
them, so a source (support records, attraction projects ...) is added with one entry. A page
asks every source's rows and every count in ONE UNION ALL statement (the card used to run 16),
then merges the sources' newest page × per_page items, so every query stays bounded however
long the history is. Callers pass the acting user: the company must be visible to them
(tracker.services.scoping); the company page, which has scoped the company already, calls
`activity_page`.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import Date, DateTime, Integer, Select, String, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.orm import aliased

from tracker.clock import TZ
from tracker.extensions import db
from tracker.models import (
    Assignment, CultivationTrack, Designation, FollowUp, FollowUpEvent, SupportRecord, TrackTransition, User, Visit,
)
from tracker.models.visit import VISIT_KINDS
from tracker.rules import follow_ups as fu_rules
from tracker.rules import support as support_rules
from tracker.rules.cultivation import STATUS_NAMES as TRACK_STATUS_NAMES
from tracker.rules.ladder import STAGE_NAMES
from tracker.services.pagination import Page
from tracker.services.scoping import get_company_for

MAX_PAGE = 50  # deeper than this is the audit log's job


@dataclass(frozen=True)
class ActivityItem:
    """One line of the stream; `endpoint`/`args` open the record it is about."""

    at: dt.datetime  # when it happened (a calendar day counts as noon, Asia/Shanghai)
    kind: str  # a key of KIND_NAMES
    title: str
    detail: str | None = None
    actor: str | None = None
    endpoint: str | None = None
    args: dict = field(default_factory=dict, compare=False)
    day_only: bool = False  # `at` stands for a calendar day, show the date only


KIND_NAMES = {"visit": "走访", "follow_up": "诉求", "designation": "资质", "cultivation": "培育", "assignment": "服务专员",
              "support": "扶持"}


def _key(item: ActivityItem) -> dt.datetime:
    # SQLite hands back stored instants without their zone (they are UTC); days are local noon.
    return item.at if item.at.tzinfo else item.at.replace(tzinfo=dt.timezone.utc)


def _day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), TZ)


def _short(text: str | None, size: int = 60) -> str | None:
    text = " ".join((text or "").split())
    return (text if len(text) <= size else text[: size - 1] + "…") or None


# --- the sources ---------------------------------------------------------------------------------
# Every source selects the same columns (`_columns`), so all of them and their counts go in one
# UNION ALL. Unused columns are typed NULLs: PostgreSQL must see one type per column of a UNION.
# `company_id` and `limit` are bound parameters: the statement is built once (`_stream_select`).

_SHAPE = {"ref": Integer(), "at": DateTime(timezone=True), "day": Date(), "day2": Date(), "a": String(),
          "b": String(), "c": String(), "d": String(), "n": Integer(), "name": String()}


def _columns(**values) -> list:
    """The stream's common columns in their fixed order; those not given are typed NULLs."""
    unknown = set(values) - set(_SHAPE)
    assert not unknown, unknown
    return [(values[k] if k in values else cast(null(), t)).label(k) for k, t in _SHAPE.items()]


def _visits_rows(company_id, limit) -> Select:
    return (
        select(*_columns(ref=Visit.id, day=Visit.visited_on, a=Visit.kind, b=Visit.summary, name=User.name))
        .join(User, User.id == Visit.officer_id)
        .where(Visit.company_id == company_id, Visit.live())
        .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(limit)
    )


def _visits_items(rows) -> list[ActivityItem]:
    return [ActivityItem(_day(r.day), "visit", f"走访（{VISIT_KINDS.get(r.a, '其他')}）", _short(r.b), r.name,
                         "visits.show", {"visit_id": r.ref}, day_only=True) for r in rows]


def _visits_count(company_id) -> Select:
    return select(func.count(Visit.id)).where(Visit.company_id == company_id, Visit.live())


def _follow_ups_rows(company_id, limit) -> Select:
    return (
        select(*_columns(ref=FollowUp.id, at=FollowUp.created_at, a=FollowUp.category, b=FollowUp.description))
        .where(FollowUp.company_id == company_id)
        .order_by(FollowUp.created_at.desc(), FollowUp.id.desc()).limit(limit)
    )


def _follow_ups_items(rows) -> list[ActivityItem]:
    return [ActivityItem(r.at, "follow_up", f"提出诉求（{fu_rules.CATEGORY_NAMES.get(r.a, '其他')}）",
                         _short(r.b), None, "visits.follow_up", {"follow_up_id": r.ref}) for r in rows]


def _follow_ups_count(company_id) -> Select:
    return select(func.count(FollowUp.id)).where(FollowUp.company_id == company_id)


def _follow_up_events_rows(company_id, limit) -> Select:
    return (
        select(*_columns(ref=FollowUpEvent.follow_up_id, at=FollowUpEvent.at, a=FollowUpEvent.kind,
                         b=FollowUpEvent.to_status, c=FollowUpEvent.note, d=FollowUp.description, name=User.name))
        .join(FollowUp, FollowUp.id == FollowUpEvent.follow_up_id)
        .outerjoin(User, User.id == FollowUpEvent.actor_id)
        .where(FollowUpEvent.company_id == company_id)
        .order_by(FollowUpEvent.at.desc(), FollowUpEvent.id.desc()).limit(limit)
    )


def _follow_up_events_items(rows) -> list[ActivityItem]:
    items = []
    for r in rows:
        label = fu_rules.EVENT_NAMES.get(r.a, "办理记录")
        if r.a == "status" and r.b:
            label = f"诉求{fu_rules.STATUS_NAMES.get(r.b, '')}"
        items.append(ActivityItem(r.at, "follow_up", f"{label}：{_short(r.d, 24)}", _short(r.c), r.name,
                                  "visits.follow_up", {"follow_up_id": r.ref}))
    return items


def _follow_up_events_count(company_id) -> Select:
    return select(func.count(FollowUpEvent.id)).where(FollowUpEvent.company_id == company_id)


def _designations_rows(company_id, limit) -> Select:
    return (
        select(*_columns(day=Designation.granted_on, day2=Designation.revoked_on, a=Designation.rung,
                         b=Designation.reference, c=Designation.revoke_reason))
        .where(Designation.company_id == company_id)
        .order_by(func.coalesce(Designation.revoked_on, Designation.granted_on).desc(), Designation.id.desc())
        .limit(limit)
    )


def _designations_items(rows) -> list[ActivityItem]:
    """Grants and revocations (a revoked designation is two lines)."""
    items = []
    for r in rows:
        name = STAGE_NAMES.get(r.a, "资质")
        items.append(ActivityItem(_day(r.day), "designation", f"认定为{name}",
                                  f"编号 {r.b}" if r.b else None, day_only=True))
        if r.day2:
            items.append(ActivityItem(_day(r.day2), "designation", f"撤销{name}", _short(r.c), day_only=True))
    return items


def _designations_count(company_id) -> Select:
    # A revoked designation is two lines: count(revoked_on) counts the revocations.
    return select(func.count(Designation.id) + func.count(Designation.revoked_on)).where(
        Designation.company_id == company_id)


def _cultivation_rows(company_id, limit) -> Select:
    return (
        select(*_columns(ref=TrackTransition.track_id, at=TrackTransition.at, a=TrackTransition.from_status,
                         b=TrackTransition.to_status, c=TrackTransition.reason, n=CultivationTrack.year,
                         d=CultivationTrack.target_rung, name=User.name))
        .join(CultivationTrack, CultivationTrack.id == TrackTransition.track_id)
        .outerjoin(User, User.id == TrackTransition.by_id)
        .where(CultivationTrack.company_id == company_id)
        .order_by(TrackTransition.at.desc(), TrackTransition.id.desc()).limit(limit)
    )


def _cultivation_items(rows) -> list[ActivityItem]:
    items = []
    for r in rows:
        track = f"{r.n}年{STAGE_NAMES.get(r.d, '')}培育"
        move = (f"{TRACK_STATUS_NAMES.get(r.a, '')} → {TRACK_STATUS_NAMES.get(r.b, '')}"
                if r.a else f"加入名单（{TRACK_STATUS_NAMES.get(r.b, '')}）")
        items.append(ActivityItem(r.at, "cultivation", f"{track}：{move}", _short(r.c), r.name,
                                  "cultivation.track", {"track_id": r.ref}))
    return items


def _cultivation_count(company_id) -> Select:
    return (select(func.count(TrackTransition.id))
            .join(CultivationTrack, CultivationTrack.id == TrackTransition.track_id)
            .where(CultivationTrack.company_id == company_id))


_officer, _assigned_by = aliased(User), aliased(User)


def _assignments_rows(company_id, limit) -> Select:
    return (
        select(*_columns(day=Assignment.assigned_from, day2=Assignment.assigned_until,
                         n=cast(Assignment.is_primary, Integer), a=_officer.name, name=_assigned_by.name))
        .join(_officer, _officer.id == Assignment.officer_id)
        .outerjoin(_assigned_by, _assigned_by.id == Assignment.assigned_by_id)
        .where(Assignment.company_id == company_id)
        .order_by(Assignment.assigned_from.desc(), Assignment.id.desc()).limit(limit)
    )


def _assignments_items(rows) -> list[ActivityItem]:
    items = []
    for r in rows:
        items.append(ActivityItem(_day(r.day), "assignment", f"分配服务专员：{r.a}{'（主）' if r.n else ''}",
                                  None, r.name, day_only=True))
        if r.day2:
            items.append(ActivityItem(_day(r.day2), "assignment", f"{r.a}不再担任服务专员", None, day_only=True))
    return items


def _assignments_count(company_id) -> Select:
    # An ended assignment is two lines: count(assigned_until) counts the endings.
    return select(func.count(Assignment.id) + func.count(Assignment.assigned_until)).where(
        Assignment.company_id == company_id)


def _support_rows(company_id, limit) -> Select:
    return (
        select(*_columns(ref=SupportRecord.id, at=SupportRecord.created_at, name=User.name))
        .outerjoin(User, User.id == SupportRecord.recorded_by_id)
        .where(SupportRecord.company_id == company_id, SupportRecord.deleted_at.is_(None))
        .order_by(SupportRecord.created_at.desc(), SupportRecord.id.desc()).limit(limit)
    )


def _support_items(rows) -> list[ActivityItem]:
    """扶持记录 as they were recorded (by hand, imported or from a paid policy claim); removed ones not.

    The summary reads the record's typed fields, too many for the common columns: one more
    SELECT of at most `limit` records, only when the page has any."""
    if not rows:
        return []
    records = {r.id: r for r in db.session.scalars(
        select(SupportRecord).where(SupportRecord.id.in_([row.ref for row in rows])))}
    items = []
    for row in rows:
        record = records[row.ref]
        values = {f: getattr(record, f) for f in support_rules.TYPED_FIELDS}
        title = f"登记{support_rules.kind_name(record.kind)}（{record.year}年）"
        items.append(ActivityItem(row.at, "support", title, _short(support_rules.summary(record.kind, values)),
                                  row.name))
    return items


def _support_count(company_id) -> Select:
    return select(func.count(SupportRecord.id)).where(
        SupportRecord.company_id == company_id, SupportRecord.deleted_at.is_(None))


@dataclass(frozen=True)
class Source:
    """One source of the stream: its kind (KIND_NAMES), its newest rows, their items, its count."""

    kind: str
    rows: Callable[..., Select]  # (company_id, limit) bound parameters -> its newest rows
    items: Callable[[list], list[ActivityItem]]
    count: Callable[..., Select]  # (company_id) -> its COUNT


SOURCES: list[Source] = [
    Source("visit", _visits_rows, _visits_items, _visits_count),
    Source("follow_up", _follow_ups_rows, _follow_ups_items, _follow_ups_count),
    Source("follow_up", _follow_up_events_rows, _follow_up_events_items, _follow_up_events_count),
    Source("designation", _designations_rows, _designations_items, _designations_count),
    Source("cultivation", _cultivation_rows, _cultivation_items, _cultivation_count),
    Source("assignment", _assignments_rows, _assignments_items, _assignments_count),
    Source("support", _support_rows, _support_items, _support_count),
]


@functools.lru_cache(maxsize=None)
def _stream_select(kind: str | None):
    """One UNION ALL over the sources of `kind` (None: all): each source's newest `:limit` rows
    tagged (src, is_count=0), and one row per source with its count in `n` (is_count=1), for the
    company `:company_id`. A branch with its own ORDER BY/LIMIT is wrapped in a subquery (SQLite
    allows neither on a UNION member). Built once per kind: building it costs more than running it."""
    company_id, limit = bindparam("company_id", type_=Integer), bindparam("limit", type_=Integer)
    branches = []
    for index, source in enumerate(_sources_of(kind)):
        rows = source.rows(company_id, limit).subquery()
        branches.append(select(literal(index, Integer).label("src"), literal(0, Integer).label("is_count"),
                               *rows.c))
        count = source.count(company_id).scalar_subquery()
        branches.append(select(literal(index, Integer).label("src"), literal(1, Integer).label("is_count"),
                               *_columns(n=count)))
    return union_all(*branches)


def _sources_of(kind: str | None) -> list[Source]:
    return [s for s in SOURCES if kind in (None, "", s.kind)]


def activity_page(company_id: int, *, kind: str | None = None, page: int = 1,
                  per_page: int = 20) -> Page[ActivityItem]:
    """One page of the stream of a company the caller has already scoped (the company page has),
    newest first, optionally one kind only (KIND_NAMES)."""
    page = max(1, min(page, MAX_PAGE))
    kind = kind or None
    if kind is not None and kind not in KIND_NAMES:
        return Page(rows=[], total=0, page=page, per_page=per_page)
    wanted = _sources_of(kind)
    limit = page * per_page
    rows: dict[int, list] = {i: [] for i in range(len(wanted))}
    total = 0
    for row in db.session.execute(_stream_select(kind), {"company_id": company_id, "limit": limit}):
        if row.is_count:
            total += row.n or 0
        else:
            rows[row.src].append(row)
    streams = [sorted(source.items(rows[i]), key=_key, reverse=True) for i, source in enumerate(wanted)]
    merged = list(heapq.merge(*streams, key=_key, reverse=True))
    total = min(total, MAX_PAGE * per_page)
    return Page(rows=merged[(page - 1) * per_page: limit], total=total, page=page, per_page=per_page)


def company_activity(user: User, company_id: int, *, kind: str | None = None, page: int = 1,
                     per_page: int = 20) -> Page[ActivityItem]:
    """One page of the company's stream, newest first, optionally one kind only (KIND_NAMES);
    NotFound unless `user` may see the company."""
    get_company_for(user, company_id, db.session)
    return activity_page(company_id, kind=kind, page=page, per_page=per_page)
