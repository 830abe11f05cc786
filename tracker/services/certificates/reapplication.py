"""What counts as a certificate's re-application (重新认定), as one SQL clause.

docs/DOMAIN.md §2: a certificate's re-application is the HNTE cultivation track for its expiry
year; it is what keeps a certificate out of "lapsing" — a track of another year does not. The
reminders, the maintenance list and the year-end projection all use this one definition.
"""

from __future__ import annotations

from sqlalchemy import extract, select

from tracker.models import CultivationTrack
from tracker.rules.cultivation import OPEN_STATUSES, RECOGNIZED

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
