"""Stage in SQL: the same definition as rules.ladder.stage_as_of, and the current-stage table.

Used to filter and sort company lists by stage without loading designations row by row. Two
sources give the same answer: the designations themselves (any day), and the current-stage table
(tracker/models/company_stage.py) for the one day it holds, read by an index. Readers ask
`stage_table_holds(on)` and use the table only for that day, so a past date or a table not yet
rebuilt for today still gets the answer from the designations.

The table is kept in step here and only here: every service that writes a designation calls
`refresh_company_stages(company_ids)` in its own unit of work (no ORM event hooks), and
`rebuild_company_stages(day)` moves the whole table to a new day (the nightly task, `flask stages
rebuild`, the demo city), since a designation lapses by the calendar without any write.
"""

from __future__ import annotations

import datetime as dt

from typing import Iterable

from sqlalchemy import and_, case, delete, func, insert, or_, select
from sqlalchemy.orm import aliased

from tracker.clock import today
from tracker.extensions import db

from tracker.models import Company, CompanyStage, CompanyStageDay, Designation
from tracker.rules.ladder import RUNG_RANK, STAGE_RANK
from tracker.services.unit_of_work import use_case

STAGE_DAY_ID = 1  # the single row of company_stage_day
REFRESH_CHUNK = 5000  # company ids per IN (…): far below every database's parameter limit


def counted_clause(on: dt.date, model=Designation):
    """Designation rows granted and started by `on`: both the grant date and valid_from on or before
    it (rules.ladder.counts_from, as SQL: the one date rule for the stage and every indicator)."""
    return and_(model.granted_on <= on, model.valid_from <= on)


def counts_from_column(model=Designation):
    """The first day a designation row counts, as a SQL expression: the later of its grant date and
    its valid_from (rules.ladder.counts_from). For grouping by that day (by month, by year)."""
    return case((model.granted_on > model.valid_from, model.granted_on), else_=model.valid_from)


def not_revoked_clause(on: dt.date, model=Designation):
    """Designation rows not revoked by `on` (a revocation takes effect on its day)."""
    return or_(model.revoked_on.is_(None), model.revoked_on > on)


def in_force_clause(on: dt.date, model=Designation):
    """Designation rows that count on day `on` (rules.ladder.in_force, as SQL)."""
    return and_(
        counted_clause(on, model),
        or_(model.valid_until.is_(None), model.valid_until >= on),
        not_revoked_clause(on, model),
    )


def rank_case(model=Designation):
    """The rank of a designation row's rung (1 = tech SME … 5 = unicorn), as SQL."""
    return case(RUNG_RANK, value=model.rung, else_=0)


def designation_stage_rank_subquery(on: dt.date):
    """Scalar subquery: the company's highest rung rank in force on `on` (0 = prospect), computed
    from the designations (any day)."""
    return (
        select(func.coalesce(func.max(rank_case()), 0))
        .where(Designation.company_id == Company.id, in_force_clause(on))
        .correlate(Company)
        .scalar_subquery()
    )


def designation_stage_clause(stage: str, on: dt.date):
    """WHERE clause: the company's stage on `on` is `stage`, computed from the designations.

    Written as IN / NOT EXISTS over designations rather than comparing the per-row subquery, so
    PostgreSQL can use semi- and anti-joins: filtering 100,000 companies by stage stays fast.
    """
    target = STAGE_RANK[stage]
    higher = [rung for rung, rank in RUNG_RANK.items() if rank > target]
    held = aliased(Designation)
    above = aliased(Designation)
    not_above = ~(
        select(above.id)
        .where(above.company_id == Company.id, above.rung.in_(higher), in_force_clause(on, above))
        .correlate(Company)
        .exists()
    )
    if target == 0:
        return not_above
    holds = Company.id.in_(select(held.company_id).where(held.rung == stage, in_force_clause(on, held)))
    return and_(holds, not_above) if higher else holds


def stage_rank_counts(scope_clause, on: dt.date, *, use_table: bool | None = None) -> dict[int, int]:
    """Companies matching `scope_clause` counted by stage rank on `on` (rank 0 = prospect).

    From the current-stage table when it holds `on` (one outer join on its key), else aggregating
    the designations in force once (GROUP BY company) instead of a subquery per company.
    """
    if _table_for(on, use_table):
        rows = db.session.execute(
            select(CompanyStage.stage_rank, func.count())
            .select_from(Company)
            .outerjoin(CompanyStage, CompanyStage.company_id == Company.id)
            .where(scope_clause)
            .group_by(CompanyStage.stage_rank)
        ).all()
        return _by_rank(rows)
    ranks = (
        select(Designation.company_id.label("company_id"), func.max(rank_case()).label("rank"))
        .where(in_force_clause(on))
        .group_by(Designation.company_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ranks.c.rank, func.count())
        .select_from(Company)
        .outerjoin(ranks, ranks.c.company_id == Company.id)
        .where(scope_clause)
        .group_by(ranks.c.rank)
    ).all()
    return _by_rank(rows)


def _by_rank(rows) -> dict[int, int]:
    counts: dict[int, int] = {}
    for rank, count in rows:  # NULL rank: no designation (no table row) in force, a prospect
        counts[int(rank or 0)] = counts.get(int(rank or 0), 0) + count
    return counts


# --- the current-stage table -----------------------------------------------------------------

def stage_table_day() -> dt.date | None:
    """The day the current-stage table holds, or None before its first rebuild."""
    return db.session.scalar(select(CompanyStageDay.as_of).where(CompanyStageDay.id == STAGE_DAY_ID))


def stage_table_holds(on: dt.date) -> bool:
    """True when the current-stage table holds day `on` (readers may use it for that day)."""
    return stage_table_day() == on


def _table_for(on: dt.date, use_table: bool | None) -> bool:
    return stage_table_holds(on) if use_table is None else use_table


def stage_rank_subquery(on: dt.date, *, use_table: bool | None = None):
    """Scalar subquery: the company's highest rung rank in force on `on` (0 = prospect).

    A lookup by key in the current-stage table when it holds `on`, else computed from the
    designations. `use_table` lets a caller that already asked `stage_table_holds(on)` skip the
    question (None: ask).
    """
    if _table_for(on, use_table):
        stored = (
            select(CompanyStage.stage_rank).where(CompanyStage.company_id == Company.id)
            .correlate(Company).scalar_subquery()
        )
        return func.coalesce(stored, 0)
    return designation_stage_rank_subquery(on)


def stage_clause(stage: str, on: dt.date, *, use_table: bool | None = None):
    """WHERE clause: the company's stage on `on` is `stage`.

    With the current-stage table holding `on`: a semi-join on its (stage_rank, company_id) index,
    or, for prospects, an anti-join on its key. Otherwise the designations' IN / NOT EXISTS form.
    """
    if not _table_for(on, use_table):
        return designation_stage_clause(stage, on)
    target = STAGE_RANK[stage]
    if target == 0:
        return ~select(CompanyStage.company_id).where(CompanyStage.company_id == Company.id).correlate(Company).exists()
    return Company.id.in_(select(CompanyStage.company_id).where(CompanyStage.stage_rank == target))


def _ranks_in_force(on: dt.date, company_ids: list[int] | None = None):
    """SELECT company_id, highest rank in force on `on`, for the companies on the ladder that day."""
    top = func.max(rank_case())
    query = select(Designation.company_id, top).where(in_force_clause(on)).group_by(Designation.company_id).having(top > 0)
    if company_ids is not None:
        query = query.where(Designation.company_id.in_(company_ids))
    return query


def refresh_company_stages(company_ids: Iterable[int]) -> None:
    """Bring the current-stage rows of these companies in step with their designations, in the
    caller's transaction. Every service that writes a designation (grant, revoke, import,
    recognition by a cultivation track) calls this after its change.

    Recomputes for the table's own day (not today): the table stays true for the one day it holds,
    and a table still on yesterday is simply not used for today until the rebuild. The day row is
    locked (FOR UPDATE on PostgreSQL) so that two writers, or a writer and the rebuild, never
    interleave their DELETE and INSERT for a company.
    """
    ids = sorted({int(i) for i in company_ids})
    if not ids:
        return
    db.session.flush()  # the caller's new or changed designations, for the INSERT … SELECT below
    day = db.session.scalar(
        select(CompanyStageDay.as_of).where(CompanyStageDay.id == STAGE_DAY_ID).with_for_update()
    )
    if day is None:
        return  # no table yet: readers compute stages from the designations
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start:start + REFRESH_CHUNK]
        db.session.execute(delete(CompanyStage).where(CompanyStage.company_id.in_(chunk)))
        db.session.execute(insert(CompanyStage).from_select(
            ["company_id", "stage_rank"], _ranks_in_force(day, chunk),
        ))


@use_case
def rebuild_company_stages(on: dt.date | None = None) -> int:
    """Rebuild the whole current-stage table for day `on` (default today; set-based: one DELETE, one INSERT …
    SELECT) and record that it holds `on`. Returns the companies on the ladder that day.

    Run nightly (workers/schedule.py), by `flask stages rebuild` and after the demo city is
    loaded: designations lapse by the calendar, which no write announces.
    """
    on = on or today()
    day_row = db.session.scalar(
        select(CompanyStageDay).where(CompanyStageDay.id == STAGE_DAY_ID).with_for_update()
    )
    db.session.flush()
    db.session.execute(delete(CompanyStage))
    db.session.execute(insert(CompanyStage).from_select(["company_id", "stage_rank"], _ranks_in_force(on)))
    if day_row is None:
        db.session.add(CompanyStageDay(id=STAGE_DAY_ID, as_of=on))
    else:
        day_row.as_of = on
    return db.session.scalar(select(func.count()).select_from(CompanyStage)) or 0
