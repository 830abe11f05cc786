"""What counts as a certificate's re-application (重新认定), as one SQL clause.

docs/DOMAIN.md §2: a certificate's re-application is the HNTE cultivation track for its expiry
year; it is what keeps a certificate out of "lapsing" — a track of another year does not. The
reminders, the maintenance list and the year-end projection all use this one definition.

The same goes for "a newer certificate exists" (已换发新证): another HNTE certificate of the company,
not revoked, that counts from a later day than this one — counting from the later of its grant
date and its valid_from, the one date rule of docs/DOMAIN.md §1 (stages.counts_from_column). The
reminders, the maintenance list and My work use `renewed_clause` / `renewed_until`.
"""

from __future__ import annotations

from sqlalchemy import and_, extract, func, select
from sqlalchemy.orm import aliased

from tracker.models import CultivationTrack, Designation
from tracker.rules.cultivation import OPEN_STATUSES, RECOGNIZED
from tracker.services.stages import counts_from_column

# A re-application still under way, or already decided in the company's favour.
REAPPLICATION_STATUSES: tuple[str, ...] = tuple(sorted(OPEN_STATUSES)) + (RECOGNIZED,)


def expiry_year(designation):
    """The calendar year of a designation's valid_until, as a SQL expression (any dialect)."""
    return extract("year", designation.valid_until)


def reapplication_clause(designation, track=CultivationTrack):
    """True when the certificate `designation` has a re-application: a hnte track of the same
    company for the year of its valid_until, open (储备/重点培育/已申报) or recognized (已认定).

    `designation` is the Designation model or an `aliased()` of it; the clause is correlated to it
    and is answered by the track's (company_id, target_rung, year) unique index.
    """
    return (
        select(track.id)
        .where(
            track.company_id == designation.company_id,
            track.target_rung == "hnte",
            track.year == expiry_year(designation),
            track.status.in_(REAPPLICATION_STATUSES),
        )
        .correlate(designation)
        .exists()
    )


def _newer_where(designation, newer):
    """`newer` is another certificate of the same company and rung, not revoked, counting from a
    later day than `designation` (the one date rule: the later of grant date and valid_from)."""
    return and_(
        newer.company_id == designation.company_id, newer.rung == designation.rung, newer.id != designation.id,
        newer.revoked_on.is_(None), counts_from_column(newer) > counts_from_column(designation),
    )


def renewed_clause(designation=Designation):
    """True when a newer certificate exists for `designation` (已换发新证), as a correlated EXISTS."""
    newer = aliased(Designation)
    return select(newer.id).where(_newer_where(designation, newer)).correlate(designation).exists()


def renewed_until(designation=Designation):
    """The latest end of a newer certificate of `designation` (None: none), as a scalar subquery."""
    newer = aliased(Designation)
    return (
        select(func.max(newer.valid_until)).where(_newer_where(designation, newer))
        .correlate(designation).scalar_subquery()
    )
