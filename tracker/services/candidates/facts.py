"""Facts for the eligibility rules from the database, for many companies at once.

Shared by the ranking (the reference computation and the page's full reasons), the stored results
(tracker.services.candidates.results) and the company profile: "holds a valid HNTE" and the
figures a rung reads, in a few queries per batch of companies, never one per company.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Sequence

from sqlalchemy import select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Company, CompanyYearFigures, Designation
from tracker.rules.eligibility import CompanyFacts, YearFigures
from tracker.rules.eligibility_thresholds import thresholds_for
from tracker.services.stages import in_force_clause

BATCH_SIZE = 5000
FIGURE_FIELDS = tuple(CompanyYearFigures.FIELDS)

def evaluation_date(year: int, on: dt.date | None = None) -> dt.date:
    """The day "holds the rung" is judged on for evaluation year `year`.

    Today for the current year; 31 Dec for a past year (what the company held by its end); 1 Jan
    for a future year (certificates that lapse before then do not count).
    """
    current = on or today()
    if year == current.year:
        return current
    if year < current.year:
        return dt.date(year, 12, 31)
    return dt.date(year, 1, 1)


def year_figures(row) -> YearFigures:
    """A rules YearFigures from a CompanyYearFigures row (or any object with the same fields)."""
    return YearFigures(year=row.year, **{name: getattr(row, name) for name in FIGURE_FIELDS})


def facts_from_rows(founded_on: dt.date | None, rows: Iterable, holds_valid_hnte: bool) -> CompanyFacts:
    """The rules' CompanyFacts from a founding date, figure rows (or YearFigures) and the HNTE flag."""
    return CompanyFacts(
        founded_on=founded_on,
        figures={
            row.year: row if isinstance(row, YearFigures) else year_figures(row) for row in rows
        },
        holds_valid_hnte=bool(holds_valid_hnte),
    )


def _holders(rung: str, on: dt.date):
    """Uncorrelated: ids of companies holding `rung` on `on`.

    Used as `Company.id IN (...)` rather than a correlated EXISTS: the set is built once per
    query, and SQLite's planner (no statistics) would otherwise scan the designations of that
    rung once per company through the (rung, valid_from) index.
    """
    return select(Designation.company_id).where(Designation.rung == rung, in_force_clause(on))


def _hnte_in_force(on: dt.date):
    return Company.id.in_(_holders("hnte", on))



def _first_year_needed(target_rung: str | None, year: int) -> int | None:
    """The earliest figures year a rung's check reads (None: every year, for investment history).

    Reading only those years keeps the rows per company low (one for tech SME instead of five).
    """
    t = thresholds_for(year)
    if target_rung == "tech_sme":
        return year - 1
    if target_rung == "hnte":
        return year - t.hnte.rd_window_years
    if target_rung == "gazelle":
        return year - t.gazelle.base_year_offset
    return None


def _figures_by_company(company_ids: Sequence[int], first_year: int | None, last_year: int) -> dict[int, list[YearFigures]]:
    """YearFigures of many companies in one query, grouped by company.

    Plain column rows turned straight into YearFigures: no ORM identity map to fill and no
    attribute lookups per value, which matters at 100,000 companies.
    """
    columns = [CompanyYearFigures.company_id, CompanyYearFigures.year] + [
        getattr(CompanyYearFigures, name) for name in FIGURE_FIELDS
    ]
    query = select(*columns).where(
        CompanyYearFigures.company_id.in_(company_ids), CompanyYearFigures.year <= last_year
    )
    if first_year is not None:
        query = query.where(CompanyYearFigures.year >= first_year)
    result: dict[int, list[YearFigures]] = {}
    names = FIGURE_FIELDS
    for row in db.session.execute(query).tuples():
        result.setdefault(row[0], []).append(YearFigures(row[1], **dict(zip(names, row[2:]))))
    return result


def load_facts(
    company_ids: Sequence[int], year: int, *, on: dt.date | None = None, target_rung: str | None = None
) -> dict[int, CompanyFacts]:
    """CompanyFacts for many companies in two queries per chunk of ids (no query per company).

    `year` is the evaluation year: figures up to Y − 1 are read (from the years `target_rung` needs),
    and "holds a valid HNTE" is judged on `evaluation_date(year, on)`. Callers pass ids they
    already scoped.
    """
    day = evaluation_date(year, on)
    facts: dict[int, CompanyFacts] = {}
    ids = list(dict.fromkeys(company_ids))
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = ids[start:start + BATCH_SIZE]
        heads = db.session.execute(
            select(Company.id, Company.founded_on, _hnte_in_force(day).label("hnte"))
            .where(Company.id.in_(chunk))
        ).all()
        figures = _figures_by_company(chunk, _first_year_needed(target_rung, year), year - 1)
        for company_id, founded_on, hnte in heads:
            facts[company_id] = facts_from_rows(founded_on, figures.get(company_id, ()), hnte)
    return facts
