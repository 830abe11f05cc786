"""One activity stream per company (企业动态, like Odoo's chatter): visits, 诉求 and their handling,
designation changes, cultivation moves and assignments in one timeline, newest first.

Each source is one function `(company_id, limit) -> list[ActivityItem]` returning its newest
`limit` items, plus a count; `SOURCES` lists them, so a source (support records, attraction
projects ...) is added with one line. A page merges the sources' newest page × per_page items,
so every query stays bounded however long the history is. Callers pass the acting user: the
company must be visible to them (tracker.services.scoping).
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import func, select
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


def visits(company_id: int, limit: int) -> list[ActivityItem]:
    rows = db.session.execute(
        select(Visit.id, Visit.visited_on, Visit.kind, Visit.summary, User.name)
        .join(User, User.id == Visit.officer_id)
        .where(Visit.company_id == company_id, Visit.live())
        .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(limit)
    ).all()
    return [ActivityItem(_day(on), "visit", f"走访（{VISIT_KINDS.get(kind, '其他')}）", _short(summary), name,
                         "visits.show", {"visit_id": i}, day_only=True) for i, on, kind, summary, name in rows]


def _visits_count(company_id: int) -> int:
    return db.session.scalar(select(func.count(Visit.id)).where(Visit.company_id == company_id, Visit.live())) or 0


def follow_ups(company_id: int, limit: int) -> list[ActivityItem]:
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.created_at, FollowUp.category, FollowUp.description)
        .where(FollowUp.company_id == company_id)
        .order_by(FollowUp.created_at.desc(), FollowUp.id.desc()).limit(limit)
    ).all()
    return [ActivityItem(at, "follow_up", f"提出诉求（{fu_rules.CATEGORY_NAMES.get(category, '其他')}）",
                         _short(text), None, "visits.follow_up", {"follow_up_id": i})
            for i, at, category, text in rows]


def _follow_ups_count(company_id: int) -> int:
    return db.session.scalar(select(func.count(FollowUp.id)).where(FollowUp.company_id == company_id)) or 0


def follow_up_events(company_id: int, limit: int) -> list[ActivityItem]:
    rows = db.session.execute(
        select(FollowUpEvent.follow_up_id, FollowUpEvent.at, FollowUpEvent.kind, FollowUpEvent.to_status,
               FollowUpEvent.note, FollowUp.description, User.name)
        .join(FollowUp, FollowUp.id == FollowUpEvent.follow_up_id)
        .outerjoin(User, User.id == FollowUpEvent.actor_id)
        .where(FollowUpEvent.company_id == company_id)
        .order_by(FollowUpEvent.at.desc(), FollowUpEvent.id.desc()).limit(limit)
    ).all()
    items = []
    for follow_up_id, at, kind, to_status, note, description, name in rows:
        label = fu_rules.EVENT_NAMES.get(kind, "办理记录")
        if kind == "status" and to_status:
            label = f"诉求{fu_rules.STATUS_NAMES.get(to_status, '')}"
        items.append(ActivityItem(at, "follow_up", f"{label}：{_short(description, 24)}", _short(note), name,
                                  "visits.follow_up", {"follow_up_id": follow_up_id}))
    return items


def _follow_up_events_count(company_id: int) -> int:
    return db.session.scalar(select(func.count(FollowUpEvent.id)).where(FollowUpEvent.company_id == company_id)) or 0


def designations(company_id: int, limit: int) -> list[ActivityItem]:
    """Grants and revocations (a revoked designation is two lines)."""
    rows = db.session.execute(
        select(Designation.rung, Designation.reference, Designation.granted_on, Designation.revoked_on,
               Designation.revoke_reason)
        .where(Designation.company_id == company_id)
        .order_by(func.coalesce(Designation.revoked_on, Designation.granted_on).desc(), Designation.id.desc())
        .limit(limit)
    ).all()
    items = []
    for rung, reference, granted_on, revoked_on, reason in rows:
        name = STAGE_NAMES.get(rung, "资质")
        items.append(ActivityItem(_day(granted_on), "designation", f"认定为{name}",
                                  f"编号 {reference}" if reference else None, day_only=True))
        if revoked_on:
            items.append(ActivityItem(_day(revoked_on), "designation", f"撤销{name}", _short(reason), day_only=True))
    return items


def _designations_count(company_id: int) -> int:
    grants = db.session.scalar(select(func.count(Designation.id)).where(Designation.company_id == company_id)) or 0
    revoked = db.session.scalar(select(func.count(Designation.id)).where(
        Designation.company_id == company_id, Designation.revoked_on.is_not(None))) or 0
    return grants + revoked


def cultivation(company_id: int, limit: int) -> list[ActivityItem]:
    rows = db.session.execute(
        select(TrackTransition.track_id, TrackTransition.at, TrackTransition.from_status, TrackTransition.to_status,
               TrackTransition.reason, CultivationTrack.year, CultivationTrack.target_rung, User.name)
        .join(CultivationTrack, CultivationTrack.id == TrackTransition.track_id)
        .outerjoin(User, User.id == TrackTransition.by_id)
        .where(CultivationTrack.company_id == company_id)
        .order_by(TrackTransition.at.desc(), TrackTransition.id.desc()).limit(limit)
    ).all()
    items = []
    for track_id, at, from_status, to_status, reason, year, rung, name in rows:
        track = f"{year}年{STAGE_NAMES.get(rung, '')}培育"
        move = (f"{TRACK_STATUS_NAMES.get(from_status, '')} → {TRACK_STATUS_NAMES.get(to_status, '')}"
                if from_status else f"加入名单（{TRACK_STATUS_NAMES.get(to_status, '')}）")
        items.append(ActivityItem(at, "cultivation", f"{track}：{move}", _short(reason), name,
                                  "cultivation.track", {"track_id": track_id}))
    return items


def _cultivation_count(company_id: int) -> int:
    return db.session.scalar(
        select(func.count(TrackTransition.id)).join(CultivationTrack, CultivationTrack.id == TrackTransition.track_id)
        .where(CultivationTrack.company_id == company_id)) or 0


def assignments(company_id: int, limit: int) -> list[ActivityItem]:
    officer, by = aliased(User), aliased(User)
    rows = db.session.execute(
        select(Assignment.assigned_from, Assignment.assigned_until, Assignment.is_primary, officer.name, by.name)
        .join(officer, officer.id == Assignment.officer_id)
        .outerjoin(by, by.id == Assignment.assigned_by_id)
        .where(Assignment.company_id == company_id)
        .order_by(Assignment.assigned_from.desc(), Assignment.id.desc()).limit(limit)
    ).all()
    items = []
    for start, until, primary, officer_name, by_name in rows:
        items.append(ActivityItem(_day(start), "assignment", f"分配服务专员：{officer_name}{'（主）' if primary else ''}",
                                  None, by_name, day_only=True))
        if until:
            items.append(ActivityItem(_day(until), "assignment", f"{officer_name}不再担任服务专员", None, day_only=True))
    return items


def _assignments_count(company_id: int) -> int:
    opened = db.session.scalar(select(func.count(Assignment.id)).where(Assignment.company_id == company_id)) or 0
    ended = db.session.scalar(select(func.count(Assignment.id)).where(
        Assignment.company_id == company_id, Assignment.assigned_until.is_not(None))) or 0
    return opened + ended


def support_records(company_id: int, limit: int) -> list[ActivityItem]:
    """扶持记录 as they were recorded (by hand, imported or from a paid policy claim); removed ones not."""
    rows = db.session.execute(
        select(SupportRecord, User.name)
        .outerjoin(User, User.id == SupportRecord.recorded_by_id)
        .where(SupportRecord.company_id == company_id, SupportRecord.deleted_at.is_(None))
        .order_by(SupportRecord.created_at.desc(), SupportRecord.id.desc()).limit(limit)
    ).all()
    items = []
    for record, name in rows:
        values = {f: getattr(record, f) for f in support_rules.TYPED_FIELDS}
        title = f"登记{support_rules.kind_name(record.kind)}（{record.year}年）"
        items.append(ActivityItem(record.created_at, "support", title,
                                  _short(support_rules.summary(record.kind, values)), name))
    return items


def _support_records_count(company_id: int) -> int:
    return db.session.scalar(select(func.count(SupportRecord.id)).where(
        SupportRecord.company_id == company_id, SupportRecord.deleted_at.is_(None))) or 0


Source = tuple[str, Callable[[int, int], list[ActivityItem]], Callable[[int], int]]
# (kind, items, count): add a source with one line.
SOURCES: list[Source] = [
    ("visit", visits, _visits_count),
    ("follow_up", follow_ups, _follow_ups_count),
    ("follow_up", follow_up_events, _follow_up_events_count),
    ("designation", designations, _designations_count),
    ("cultivation", cultivation, _cultivation_count),
    ("assignment", assignments, _assignments_count),
    ("support", support_records, _support_records_count),
]


def company_activity(user: User, company_id: int, *, kind: str | None = None, page: int = 1,
                     per_page: int = 20) -> Page[ActivityItem]:
    """One page of the company's stream, newest first, optionally one kind only (KIND_NAMES)."""
    get_company_for(user, company_id, db.session)  # NotFound unless the user may see it
    page = max(1, min(page, MAX_PAGE))
    wanted = [s for s in SOURCES if kind in (None, "", s[0])]
    limit = page * per_page
    streams = [sorted(items(company_id, limit), key=_key, reverse=True) for _, items, _ in wanted]
    merged = list(heapq.merge(*streams, key=_key, reverse=True))
    total = min(sum(count(company_id) for _, _, count in wanted), MAX_PAGE * per_page)
    return Page(rows=merged[(page - 1) * per_page: limit], total=total, page=page, per_page=per_page)
