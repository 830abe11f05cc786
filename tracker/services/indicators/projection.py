"""Year-end projection (年末预计) of indicators 1–4 from today's value and the cultivation lists."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import Company, CultivationTrack, User
from tracker.rules import indicators as rules
from tracker.rules.cultivation import OPEN_STATUSES, RECOGNIZED, REJECTED, SUBMITTED
from tracker.services.indicators.definitions import companies_counted
from tracker.services.indicators.scope import scope_for


def projections(
    as_of: dt.date, user: User | None = None, district: str | None = None,
    today_values: dict[str, int] | None = None,
) -> dict[str, rules.Projection]:
    """Year-end estimate of indicators 1–4: today's value + submitted × last year's recognition
    rate − companies that stop counting before 31 Dec with no open re-application track.

    `today_values` (code → actual as of `as_of`, from a roll-up the caller already has) saves
    recounting them.
    """
    scope = scope_for(user, district)
    year = as_of.year
    year_end = rules.year_end(year)
    all_rungs = sorted({r for rungs in rules.PROJECTION_TRACK_RUNGS.values() for r in rungs})
    # Track counts for this year (submitted) and last year (decided), for every rung in one query.
    tracks: dict[tuple[str, int, str], int] = {}
    for rung, track_year, status, count in db.session.execute(
        select(CultivationTrack.target_rung, CultivationTrack.year, CultivationTrack.status, func.count(CultivationTrack.id))
        .join(Company, Company.id == CultivationTrack.company_id)
        .where(
            scope.company_clause(), CultivationTrack.target_rung.in_(all_rungs),
            CultivationTrack.year.in_((year, year - 1)),
            CultivationTrack.status.in_((SUBMITTED, RECOGNIZED, REJECTED)),
        )
        .group_by(CultivationTrack.target_rung, CultivationTrack.year, CultivationTrack.status)
    ).all():
        tracks[(rung, track_year, status)] = int(count)
    result = {}
    for code, rungs in rules.PROJECTION_TRACK_RUNGS.items():
        if today_values is not None and code in today_values:
            today_value = today_values[code]
        else:
            today_value = int(db.session.scalar(
                select(func.count(Company.id)).where(scope.company_clause(), companies_counted(code, as_of))
            ) or 0)
        expiring = 0
        if as_of < year_end:
            open_tracks = select(CultivationTrack.company_id).where(
                CultivationTrack.target_rung.in_(rungs), CultivationTrack.year == year,
                CultivationTrack.status.in_(tuple(OPEN_STATUSES)),
            )
            # Counted today, no longer counted on 31 Dec (a certificate expires or a revocation
            # takes effect), and no open track to renew: these drop out by year end.
            expiring = int(db.session.scalar(
                select(func.count(Company.id)).where(
                    scope.company_clause(), companies_counted(code, as_of),
                    ~companies_counted(code, year_end), Company.id.not_in(open_tracks),
                )
            ) or 0)
        submitted = sum(tracks.get((r, year, SUBMITTED), 0) for r in rungs)
        rate = rules.recognition_rate(
            sum(tracks.get((r, year - 1, RECOGNIZED), 0) for r in rungs),
            sum(tracks.get((r, year - 1, REJECTED), 0) for r in rungs),
        )
        result[code] = rules.Projection(today_value, submitted, rate, expiring)
    return result
