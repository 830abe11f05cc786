"""Who may not apply this year: a company whose HNTE was revoked in year Y cannot re-apply in Y.

docs/DOMAIN.md §1 ("a disqualified company cannot re-apply the same year"). One query for any
number of companies, so the board, the bulk add, the recognition and the track import
(tracker/services/imports) all ask the same function and give the same reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from sqlalchemy import and_, func, select

from tracker.extensions import db
from tracker.models import Designation
from tracker.rules.ladder import RUNG_BY_CODE

HNTE = "hnte"
CHUNK = 5000  # ids per IN list: well under SQLite's and PostgreSQL's bound-parameter limits
REVOKED_THIS_YEAR = "该企业高企资格已于 {date} 被取消，当年不得重新申请"


def revoked_hnte_in_year_clause(year: int, model=Designation):
    """WHERE clause: an HNTE designation revoked in `year` (the one definition, also used as SQL
    by the candidates ranking)."""
    return and_(model.rung == HNTE, model.revoked_on >= dt.date(year, 1, 1), model.revoked_on <= dt.date(year, 12, 31))


def revoked_hnte_in_year(company_ids: Iterable[int], year: int) -> dict[int, dt.date]:
    """Company id → the date its HNTE was revoked in `year` (the latest, if several), for the
    companies of `company_ids` that had one revoked that year (docs/DOMAIN.md §1).

    One query (one per 5,000 ids for a whole import), using ix_designation_company_rung.
    """
    ids = sorted({int(i) for i in company_ids})
    found: dict[int, dt.date] = {}
    for start in range(0, len(ids), CHUNK):
        rows = db.session.execute(
            select(Designation.company_id, func.max(Designation.revoked_on))
            .where(
                Designation.company_id.in_(ids[start:start + CHUNK]), revoked_hnte_in_year_clause(year),
            )
            .group_by(Designation.company_id)
        ).all()
        found.update({company_id: revoked_on for company_id, revoked_on in rows})
    return found


def revoked_this_year_message(revoked_on: dt.date) -> str:
    """The Chinese reason shown when a track or a recognition is refused for that revocation."""
    return REVOKED_THIS_YEAR.format(date=revoked_on.isoformat())


def still_holding_message(year: int, rung: str) -> str:
    """The Chinese reason a company is not put on `rung`'s list of `year`: it holds the rung anyway."""
    return f"{year}年底前仍持有有效的{RUNG_BY_CODE[rung].name}资质"
