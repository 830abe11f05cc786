"""What the reminder rules read, in a handful of aggregate queries over the whole city.

Each function returns plain records (tracker.rules.reminders) for every live company at once —
never a query per company — so the sweep, the weekly digests and the monthly reports cost the
same few queries however large the city is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from tracker import clock
from tracker.extensions import db
from tracker.models import AnnualReport, Assignment, Company, CultivationTrack, Designation, FollowUp
from tracker.rules import follow_ups as follow_up_rules
from tracker.rules.cultivation import OPEN_STATUSES
from tracker.rules.reminders import CertificateRecord, FollowUpRecord, ReminderPolicy, TrackRecord, annual_report_year
from tracker.services.certificates.reapplication import reapplication_clause, renewed_clause
from tracker.services.stages import counted_clause, in_force_clause, not_revoked_clause


@dataclass(frozen=True)
class CompanyRef:
    """A live company with its primary officer (and, for tech SMEs, the years it was registered)."""

    company_id: int
    company_name: str
    district: str
    officer_id: int | None
    registered_years: frozenset = frozenset()
    filed_years: frozenset = frozenset()  # annual report years filed (for the annual-report campaign)


def _primary_assignment():
    return and_(Assignment.company_id == Company.id, Assignment.assigned_until.is_(None), Assignment.is_primary.is_(True))


def follow_up_records(horizon: dt.date) -> list[FollowUpRecord]:
    """Unfinished follow-ups of live companies whose (effective) due date is on or before `horizon`."""
    due = func.coalesce(FollowUp.due_on, FollowUp.referred_deadline)
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.company_id, Company.name, Company.district, FollowUp.owner_id,
               Assignment.officer_id, FollowUp.status, FollowUp.due_on, FollowUp.referred_deadline,
               FollowUp.escalated_at, FollowUp.description)
        .join(Company, Company.id == FollowUp.company_id)
        .outerjoin(Assignment, _primary_assignment())
        .where(Company.deleted_at.is_(None), FollowUp.status.in_(follow_up_rules.ACTIVE_STATUSES), due <= horizon)
    ).all()
    return [
        FollowUpRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9] is not None, r[10] or "")
        for r in rows
    ]


def certificate_records(today: dt.date, pol: ReminderPolicy) -> list[CertificateRecord]:
    """HNTE certificates of live companies ending within the widest window, with their track facts.

    `has_open_track` is the re-application of tracker.services.certificates.reapplication: a hnte
    track for the certificate's expiry year, open or recognized; a track of another year is not.
    """
    renewed = renewed_clause(Designation)  # a newer certificate (已换发新证): the one definition
    # Only the track for the expiry year is this certificate's re-application (docs/DOMAIN.md §2).
    open_track = reapplication_clause(Designation)
    horizon = today + dt.timedelta(days=max(pol.hnte_expiry_windows))
    rows = db.session.execute(
        select(Designation.id, Designation.company_id, Company.name, Company.district, Assignment.officer_id,
               Designation.valid_until, Designation.reference, open_track.label("open_track"), renewed.label("renewed"))
        .join(Company, Company.id == Designation.company_id)
        .outerjoin(Assignment, _primary_assignment())
        .where(
            Company.deleted_at.is_(None), Designation.rung == "hnte",
            Designation.valid_until >= today, Designation.valid_until <= horizon,
            or_(Designation.revoked_on.is_(None), Designation.revoked_on > today),
        )
    ).all()
    return [CertificateRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), bool(r[8])) for r in rows]


def _holding(rung: str, clause):
    return (select(Designation.id).where(Designation.company_id == Company.id, Designation.rung == rung, clause)
            .correlate(Company).exists())


def hnte_companies(today: dt.date) -> list[CompanyRef]:
    """Live companies holding an HNTE certificate in force today (they file the annual report),
    with whether they have filed this year's campaign's report (报表年度 = last year)."""
    report_year = annual_report_year(today)
    filed = (select(AnnualReport.id).where(AnnualReport.company_id == Company.id, AnnualReport.year == report_year)
             .correlate(Company).exists())
    rows = db.session.execute(
        select(Company.id, Company.name, Company.district, Assignment.officer_id, filed.label("filed"))
        .outerjoin(Assignment, _primary_assignment())
        .where(Company.deleted_at.is_(None), _holding("hnte", in_force_clause(today)))
    ).all()
    return [CompanyRef(r[0], r[1], r[2], r[3], filed_years=frozenset({report_year} if r[4] else ())) for r in rows]


def tech_sme_companies(today: dt.date) -> list[CompanyRef]:
    """Live companies evaluated as tech SMEs last year, with whether they are registered this year."""
    def in_year(year: int):
        # the evaluation year's registration, counting by today as indicator 4 counts it
        return and_(Designation.valid_from >= dt.date(year, 1, 1), Designation.valid_from <= dt.date(year, 12, 31),
                    counted_clause(today), not_revoked_clause(today))

    this_year = _holding("tech_sme", in_year(today.year))
    rows = db.session.execute(
        select(Company.id, Company.name, Company.district, Assignment.officer_id, this_year.label("this_year"))
        .outerjoin(Assignment, _primary_assignment())
        .where(Company.deleted_at.is_(None), _holding("tech_sme", in_year(today.year - 1)))
    ).all()
    return [
        CompanyRef(r[0], r[1], r[2], r[3], frozenset({today.year - 1} | ({today.year} if r[4] else set())))
        for r in rows
    ]


def stale_tracks(today: dt.date, pol: ReminderPolicy) -> list[TrackRecord]:
    """Open cultivation tracks of live companies unchanged since `track_stale_days` ago or longer."""
    last_day = today - dt.timedelta(days=pol.track_stale_days)
    cutoff = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, clock.TZ).astimezone(dt.timezone.utc)
    rows = db.session.execute(
        select(CultivationTrack.id, CultivationTrack.company_id, Company.name, Company.district,
               CultivationTrack.target_rung, CultivationTrack.status, CultivationTrack.status_since,
               CultivationTrack.owner_id, Assignment.officer_id)
        .join(Company, Company.id == CultivationTrack.company_id)
        .outerjoin(Assignment, _primary_assignment())
        .where(Company.deleted_at.is_(None), CultivationTrack.status.in_(OPEN_STATUSES),
               CultivationTrack.status_since < cutoff)
    ).all()
    return [TrackRecord(r[0], r[1], r[2], r[3], r[4], r[5], clock.local(r[6]).date(), r[7], r[8]) for r in rows]
