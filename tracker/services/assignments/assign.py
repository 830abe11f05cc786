"""Assigning companies to service officers (服务专员分配), in bulk, keeping the history.

A (re)assignment ends every open assignment of the company (assigned_until = today) and opens a
new primary one, so "who served this company when" stays answerable. Open cultivation tracks
follow the company to its new officer. One transaction, one audit row per company.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from tracker.clock import today as local_today
from tracker.extensions import db
from tracker.models import Assignment, Company, CultivationTrack, User
from tracker.models.user import OFFICER
from tracker.rules import cultivation as track_rules
from tracker.rules.districts import DISTRICT_NAMES
from tracker.services import audit
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.scoping import company_scope_clause
from tracker.services.unit_of_work import use_case

BULK_LIMIT = 5000  # companies per bulk action: keeps one request's transaction bounded


@dataclass
class AssignResult:
    """What a bulk assignment did: the companies (re)assigned and those skipped, each with why."""

    assigned: list[int] = field(default_factory=list)  # company ids
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (company id, reason in Chinese)
    officer_name: str = ""


def assignable_officers(user: User, district: str | None = None) -> list[User]:
    """Active officers `user` may pick in filters and assignments: their district's, or all for admins."""
    query = select(User).where(User.role == OFFICER, User.active.is_(True))
    if user.is_admin:
        if district:
            query = query.where(User.district == district)
    elif user.is_manager:
        query = query.where(User.district == user.district)
    else:
        query = query.where(User.id == user.id)
    return list(db.session.scalars(query.order_by(User.district, User.name, User.id)))


@use_case
def assign_companies(actor: User, company_ids: list[int], officer_id: int, *,
                     on: dt.date | None = None) -> AssignResult:
    """Make `officer_id` the officer of each company (assign, or reassign with history).

    Skipped with a reason: companies the actor cannot see, companies of another district than the
    officer's, and companies the officer already serves alone.
    """
    if not (actor.is_admin or actor.is_manager):
        raise Forbidden("只有管理员可以分配服务专员")
    officer = db.session.get(User, officer_id) if officer_id else None
    if officer is None or officer.role != OFFICER or not officer.active:
        raise ServiceError("请选择有效的服务专员", field="officer_id")
    if actor.is_manager and officer.district != actor.district:
        raise ServiceError("只能分配本辖区的服务专员", field="officer_id")
    wanted = list(dict.fromkeys(int(i) for i in company_ids))
    if len(wanted) > BULK_LIMIT:
        raise ServiceError(f"一次最多分配{BULK_LIMIT}家企业，请缩小筛选范围")
    result = AssignResult(officer_name=officer.name)
    if not wanted:
        return result
    day = on or local_today()

    visible = dict(db.session.execute(
        select(Company.id, Company.district).where(Company.id.in_(wanted), company_scope_clause(actor))
    ).all())
    open_rows: dict[int, list[Assignment]] = {}
    for row in db.session.scalars(
        select(Assignment).where(Assignment.company_id.in_(wanted), Assignment.assigned_until.is_(None))
    ):
        open_rows.setdefault(row.company_id, []).append(row)
    open_tracks: dict[int, list[CultivationTrack]] = {}
    for track in db.session.scalars(
        select(CultivationTrack).where(
            CultivationTrack.company_id.in_(wanted), CultivationTrack.status.in_(track_rules.OPEN_STATUSES),
        )
    ):
        open_tracks.setdefault(track.company_id, []).append(track)

    for company_id in wanted:
        district = visible.get(company_id)
        current = open_rows.get(company_id, [])
        if district is None:
            result.skipped.append((company_id, "企业不存在或无权操作"))
            continue
        if district != officer.district:
            result.skipped.append((company_id, (
                f"{officer.name}属于{DISTRICT_NAMES.get(officer.district or '', '其他辖区')}，"
                f"不能负责{DISTRICT_NAMES.get(district, district)}的企业"
            )))
            continue
        if len(current) == 1 and current[0].officer_id == officer.id and current[0].is_primary:
            result.skipped.append((company_id, f"已由{officer.name}负责"))
            continue
        before = sorted(row.officer_id for row in current)
        for row in current:
            row.assigned_until = day
        db.session.add(Assignment(company_id=company_id, officer_id=officer.id, is_primary=True,
                                  assigned_from=day, assigned_by_id=actor.id))
        moved_tracks = []
        for track in open_tracks.get(company_id, []):
            if track.owner_id != officer.id:
                track.owner_id = officer.id
                moved_tracks.append(track.id)
        audit.record(
            actor.id, "assignment.reassign" if current else "assignment.assign",
            entity_type="company", entity_id=company_id, company_id=company_id,
            before={"officer_ids": before} if current else None,
            after={"officer_id": officer.id, "assigned_from": day, "tracks": moved_tracks},
        )
        result.assigned.append(company_id)
    return result
