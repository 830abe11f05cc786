"""Cultivation lists (培育名单): adding companies, moving tracks through the state machine, reopening.

The state machine itself is tracker.rules.cultivation; this module applies it to records, writes
the transition log and the audit row, and — on `recognized` — creates the designation in the
same transaction. Each use case is one unit of work (tracker.services.unit_of_work).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, select

from tracker.clock import now
from tracker.extensions import db
from tracker.models import Assignment, Company, CultivationTrack, Designation, TrackTransition, User
from tracker.rules import cultivation as rules
from tracker.rules.ladder import RUNG_BY_CODE
from tracker.services import audit
from tracker.services.cultivation.refusals import revoked_hnte_in_year, revoked_this_year_message, still_holding_message
from tracker.services.designations.grants import build_designation
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.scoping import company_scope_clause, get_company_record_for
from tracker.services.stages import in_force_clause, refresh_company_stages
from tracker.services.unit_of_work import use_case

TRACK_FIELDS = ("company_id", "target_rung", "year", "status", "owner_id")
MOVED_BY_SOMEONE_ELSE = "该培育记录已被他人调整，请刷新看板后重试"


@dataclass
class AddResult:
    """What a bulk add did: the tracks created and the companies skipped, each with why."""

    created: list[int] = field(default_factory=list)  # track ids
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (company id, reason in Chinese)


def _check_rung_and_year(target_rung: str, year: int) -> None:
    if target_rung not in RUNG_BY_CODE:
        raise ServiceError(f"未知的目标资质：{target_rung}", field="target_rung")
    if not 2000 <= year <= 2100:
        raise ServiceError("年度不正确", field="year")


# Statuses that are an HNTE application of the track's year: refused after a revocation that year.
_APPLYING = frozenset({rules.SUBMITTED, rules.RECOGNIZED})


def _refuse_if_revoked(company_id: int, target_rung: str, year: int, *, field: str | None = None) -> None:
    """A company whose HNTE was revoked in `year` cannot apply for it in `year` (docs/DOMAIN.md §1)."""
    if target_rung != "hnte":
        return
    revoked = revoked_hnte_in_year([company_id], year).get(company_id)
    if revoked is not None:
        raise ServiceError(revoked_this_year_message(revoked), field=field)


@use_case
def add_companies(
    actor: User, company_ids: list[int], target_rung: str, year: int, *, owner_id: int | None = None,
    note: str | None = None,
) -> AddResult:
    """Put companies on the cultivation list of `target_rung` for `year` (status 储备).

    Companies the actor cannot see, already on that list, already holding the rung through the
    end of that year, or (HNTE) disqualified that year are skipped with a reason; the rest are
    added in one transaction.
    """
    _check_rung_and_year(target_rung, year)
    if actor.is_officer:
        raise Forbidden("只有管理员可以调整培育名单")
    wanted = list(dict.fromkeys(int(i) for i in company_ids))
    result = AddResult()
    if not wanted:
        return result
    visible = dict(
        db.session.execute(
            select(Company.id, Company.name).where(Company.id.in_(wanted), company_scope_clause(actor))
        ).all()
    )
    existing = set(
        db.session.scalars(
            select(CultivationTrack.company_id).where(
                CultivationTrack.company_id.in_(wanted), CultivationTrack.target_rung == target_rung,
                CultivationTrack.year == year,
            )
        )
    )
    year_end = dt.date(year, 12, 31)
    holding = set(
        db.session.scalars(
            select(Designation.company_id).where(
                Designation.company_id.in_(wanted), Designation.rung == target_rung, in_force_clause(year_end),
            )
        )
    )
    revoked = revoked_hnte_in_year(wanted, year) if target_rung == "hnte" else {}
    officers = dict(
        db.session.execute(
            select(Assignment.company_id, Assignment.officer_id).where(
                Assignment.company_id.in_(wanted), Assignment.assigned_until.is_(None), Assignment.is_primary.is_(True),
            )
        ).all()
    )
    moment = now()
    for company_id in wanted:
        if company_id not in visible:
            result.skipped.append((company_id, "企业不存在或无权操作"))
        elif company_id in existing:
            result.skipped.append((company_id, f"已在{year}年{RUNG_BY_CODE[target_rung].name}培育名单中"))
        elif company_id in holding:
            result.skipped.append((company_id, still_holding_message(year, target_rung)))
        elif company_id in revoked:
            result.skipped.append((company_id, revoked_this_year_message(revoked[company_id])))
        else:
            track = CultivationTrack(
                company_id=company_id, target_rung=target_rung, year=year, status=rules.POOL,
                status_since=moment, owner_id=owner_id or officers.get(company_id), note=note,
            )
            db.session.add(track)
            db.session.flush()
            db.session.add(TrackTransition(track_id=track.id, from_status=None, to_status=rules.POOL, at=moment,
                                           by_id=actor.id, reason=note or "加入培育名单"))
            audit.record(actor.id, "track.create", track, after=audit.snapshot(track, TRACK_FIELDS))
            result.created.append(track.id)
    return result


def get_track_for(actor: User, track_id: int) -> CultivationTrack:
    """The track if its company is visible to `actor`, else NotFound."""
    return get_company_record_for(actor, CultivationTrack, track_id, "培育记录不存在或您无权查看")


@dataclass
class RecognitionData:
    """The certificate data a move to `recognized` needs (认定信息)."""

    granted_on: dt.date
    reference: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    batch: str | None = None


@use_case(conflict=MOVED_BY_SOMEONE_ELSE)
def move_track(
    actor: User, track: CultivationTrack, to_status: str, *, reason: str | None = None,
    version: int | None = None, recognition: RecognitionData | None = None,
) -> CultivationTrack:
    """Move a card on the board; refused moves raise ServiceError with the state machine's reason."""
    if actor.is_officer and track.owner_id != actor.id:
        raise Forbidden("只能调整自己负责的培育记录")
    if version is not None and version != track.version:
        raise Conflict(MOVED_BY_SOMEONE_ELSE)
    try:
        rules.check_move(track.status, to_status, reason=reason)
    except rules.MoveRefused as exc:
        raise ServiceError(exc.message, field="to_status") from exc
    if to_status in _APPLYING:
        _refuse_if_revoked(track.company_id, track.target_rung, track.year, field="to_status")
    before = audit.snapshot(track, TRACK_FIELDS)
    if to_status == rules.RECOGNIZED:
        if recognition is None or recognition.granted_on is None:
            raise ServiceError("变更为“已认定”须填写认定日期和证书编号", field="granted_on")
        company = db.session.get(Company, track.company_id)
        designation = build_designation(
            company, track.target_rung, granted_on=recognition.granted_on, valid_from=recognition.valid_from,
            valid_until=recognition.valid_until, reference=recognition.reference,
            batch=recognition.batch, source=f"track:{track.id}", actor_id=actor.id,
        )
        db.session.add(designation)
        db.session.flush()
        refresh_company_stages([track.company_id])
        track.designation_id = designation.id
        audit.record(actor.id, "designation.grant", designation,
                     after=audit.snapshot(designation, ("rung", "reference", "granted_on", "valid_from", "valid_until")))
    moment = now()
    db.session.add(TrackTransition(track_id=track.id, from_status=track.status, to_status=to_status, at=moment,
                                   by_id=actor.id, reason=(reason or "").strip() or None))
    track.status = to_status
    track.status_since = moment
    audit.record(actor.id, "track.move", track, before=before, after=audit.snapshot(track, TRACK_FIELDS))
    return track


@use_case
def reopen_track(actor: User, track: CultivationTrack, year: int, *, reason: str | None = None) -> CultivationTrack:
    """Start a new track for a later year from a rejected or withdrawn one; the old one is kept."""
    if not rules.can_reopen(track.status):
        raise ServiceError("只有“未通过”或“退出”的培育记录可以转入下一年度")
    if year <= track.year:
        raise ServiceError("新的培育年度须晚于原年度", field="year")
    _refuse_if_revoked(track.company_id, track.target_rung, year, field="year")
    exists = db.session.scalar(
        select(CultivationTrack.id).where(and_(
            CultivationTrack.company_id == track.company_id, CultivationTrack.target_rung == track.target_rung,
            CultivationTrack.year == year,
        ))
    )
    if exists:
        raise ServiceError(f"该企业已在{year}年的培育名单中")
    moment = now()
    new = CultivationTrack(company_id=track.company_id, target_rung=track.target_rung, year=year, status=rules.POOL,
                           status_since=moment, owner_id=track.owner_id, reopened_from_id=track.id)
    db.session.add(new)
    db.session.flush()
    db.session.add(TrackTransition(track_id=new.id, from_status=None, to_status=rules.POOL, at=moment, by_id=actor.id,
                                   reason=reason or f"由{track.year}年培育记录转入"))
    audit.record(actor.id, "track.reopen", new, after={**audit.snapshot(new, TRACK_FIELDS), "reopened_from": track.id})
    return new


def last_move(track: CultivationTrack) -> TrackTransition | None:
    """The track's latest transition (its creation included), or None."""
    return db.session.scalar(
        select(TrackTransition).where(TrackTransition.track_id == track.id)
        .order_by(TrackTransition.at.desc(), TrackTransition.id.desc()).limit(1)
    )


def undo_refusal(track: CultivationTrack) -> str | None:
    """Why the last move of `track` cannot be undone (撤销上一步), or None when it can."""
    last = last_move(track)
    if last is None or last.from_status is None:
        return "该培育记录还没有可撤销的调整"
    if last.undoes_id is not None:
        return "上一步已是撤销操作，请直接调整状态"
    if last.to_status == rules.RECOGNIZED:
        return "已认定并登记了资质，不能撤销；如有误请在企业页面撤销该资质"
    return None


@use_case(conflict=MOVED_BY_SOMEONE_ELSE)
def undo_last_move(actor: User, track: CultivationTrack, *, version: int | None) -> CultivationTrack:
    """Reverse the track's last move if nothing happened to it since (the card's version still
    holds). History is kept: the reversal is a new transition that names the one it undoes."""
    if actor.is_officer:
        raise Forbidden("只有管理员可以调整培育名单")
    if version is None or version != track.version:
        raise Conflict(MOVED_BY_SOMEONE_ELSE)
    refusal = undo_refusal(track)
    if refusal:
        raise ServiceError(refusal, field="to_status")
    last = last_move(track)
    earlier = db.session.scalar(
        select(TrackTransition.at).where(TrackTransition.track_id == track.id, TrackTransition.id != last.id,
                                         TrackTransition.at <= last.at)
        .order_by(TrackTransition.at.desc(), TrackTransition.id.desc()).limit(1)
    )
    before = audit.snapshot(track, TRACK_FIELDS)
    db.session.add(TrackTransition(
        track_id=track.id, from_status=track.status, to_status=last.from_status, at=now(), by_id=actor.id,
        reason=f"撤销上一步（{rules.STATUS_NAMES[last.from_status]} → {rules.STATUS_NAMES[last.to_status]}）",
        undoes_id=last.id,
    ))
    track.status = last.from_status
    track.status_since = earlier or track.created_at  # back in the earlier status since it entered it
    audit.record(actor.id, "track.undo", track, before=before, after=audit.snapshot(track, TRACK_FIELDS))
    return track
