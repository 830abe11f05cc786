"""The gap plan (缺口分析): for indicators 1–4, this year and 2027, what a scope must still do.

docs/DOMAIN.md §4. Today's figure; what lapses by 31 Dec without a re-application; the pipeline
by status × its measured conversion rate (re-certification and first application apart, the
district's rate where it rests on enough tracks, else the city's); ready candidates on no list
(tracker.services.candidates.ranking as the candidates page ranks them); and the result: how many
more recognitions are needed and where they could come from. 2027 is projected with the rates
measured this year (the stated assumption). Every number has its list of companies
(`gap_companies`), with exactly as many rows as the number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Company, CultivationTrack, User
from tracker.rules import indicators as rules
from tracker.rules.cultivation import OPEN_STATUSES, RECOGNIZED
from tracker.rules.indicators import INDICATOR_BY_CODE, PLAN_YEARS
from tracker.services.candidates.ranking import CandidateFilters, ranked
from tracker.services.errors import NotFound, ServiceError
from tracker.services.indicators.definitions import companies_counted
from tracker.services.indicators.drill_down import DrillDown
from tracker.services.indicators.projection import (
    FIRST, KINDS, PIPELINE_STATUSES, RE, early_pipeline_clause, lapsing_by_district, lapsing_clause, measured_rates, pipeline_by_district,
    pipeline_clause, today_by_district,
)
from tracker.services.indicators.rollup import scope_target, targets_for
from tracker.services.indicators.scope import Scope, scope_for

PARTS: tuple[str, ...] = ("lapsing_without", "lapsing_with", "pipeline", "early", "candidates")
ASSUMPTION_2027 = "2027 年按本年测得的转化率推算（假设各环节转化率与上年相同），候选企业按 2027 年评价口径（2026 年度数据）判断。"


@dataclass
class GapPlanPage:
    """The gap plan of one scope: plans[code][year]."""

    as_of: dt.date
    district: str | None
    years: tuple[int, ...]
    plans: dict[str, dict[int, rules.GapPlan]]
    min_decided: int = rules.MIN_DECIDED_FOR_DISTRICT_RATE


def plan_years(as_of: dt.date) -> tuple[int, ...]:
    """This year and the plan's last year (one of them when they are the same)."""
    last = PLAN_YEARS[-1]
    return tuple(sorted({as_of.year, last})) if as_of.year <= last else (as_of.year,)


def _ready_candidate_ids(
    user: User, scope: Scope, code: str, year: int, as_of: dt.date,
) -> list[int] | None:
    """Companies the candidates page rates 符合条件 for the indicator's rungs in `year`, on no open
    (or recognised) track of the years up to it and not counted today; None if it cannot rank."""
    ids: set[int] = set()
    try:
        for rung in rules.INDICATOR_RUNGS[code]:
            # The candidates page's stored results (its default list); ResultsPending while computed.
            filters = CandidateFilters(target_rung=rung, year=year, district=scope.district, max_missing=1)
            keys = ranked(user, filters, on=as_of)
            ids.update(k.company_id for k in keys if k.failed == 0 and k.unknown == 0)
    except ServiceError:
        return None
    if not ids:
        return []
    rungs = rules.INDICATOR_RUNGS[code]
    excluded = set(db.session.scalars(
        select(CultivationTrack.company_id).where(
            CultivationTrack.company_id.in_(ids), CultivationTrack.target_rung.in_(rungs),
            # Already in the pipeline of this horizon (a track of this year or of any year up to it).
            CultivationTrack.year.between(as_of.year, year),
            CultivationTrack.status.in_(tuple(OPEN_STATUSES) + (RECOGNIZED,)),
        )
    ))
    # A holder counted today is in "lapsing" (or still counted on 31 Dec): never a second time here.
    excluded |= set(db.session.scalars(
        select(Company.id).where(Company.id.in_(ids), companies_counted(code, as_of))
    ))
    return sorted(ids - excluded)


def _pick(by: dict[str | None, int], district: str | None) -> int:
    return sum(by.values()) if district is None else by.get(district, 0)


def gap_plan(user: User, as_of: dt.date, district: str | None = None) -> GapPlanPage:
    """The gap plan of `user`'s scope (a manager: their district; an administrator: the city or one district)."""
    if user is None:
        raise ServiceError("缺口分析需要登录用户")
    scope = scope_for(user, district)
    years = plan_years(as_of)
    targets = targets_for(years)
    plans: dict[str, dict[int, rules.GapPlan]] = {}
    for code in rules.PROJECTION_TRACK_RUNGS:
        indicator = INDICATOR_BY_CODE[code]
        rates = measured_rates(code, as_of.year - 1)
        today = _pick(today_by_district(scope, code, as_of), scope.district)
        plans[code] = {}
        for year in years:
            horizon = rules.year_end(year)
            lapsing = lapsing_by_district(scope, code, as_of, horizon)
            pipeline = pipeline_by_district(scope, code, as_of, horizon)
            lines = tuple(
                rules.PipelineLine(status, kind, _pick(pipeline[(status, kind)], scope.district),
                                   rates.rate(status, kind, scope.district))
                for status in PIPELINE_STATUSES for kind in KINDS
            )
            candidates = _ready_candidate_ids(user, scope, code, year, as_of)
            without = _pick(lapsing[False], scope.district)
            sources = rules.gap_sources(
                without, lines, None if candidates is None else len(candidates),
                rates.rate("submitted", RE, scope.district), rates.rate("submitted", FIRST, scope.district),
            )
            plans[code][year] = rules.GapPlan(
                code=code, year=year, target=scope_target(targets, indicator, year, scope), today_value=today,
                lapsing_without_reapplication=without,
                lapsing_with_reapplication=_pick(lapsing[True], scope.district),
                pipeline=lines, sources=sources,
            )
    return GapPlanPage(as_of=as_of, district=scope.district, years=years, plans=plans)


def gap_companies(
    user: User, code: str, year: int, part: str, as_of: dt.date, district: str | None = None,
    status: str | None = None, kind: str | None = None,
) -> DrillDown:
    """The companies behind one number of the gap plan (as many rows as the number)."""
    if code not in rules.PROJECTION_TRACK_RUNGS:
        raise NotFound(f"未知指标：{code}")
    if part not in PARTS:
        raise NotFound(f"未知类别：{part}")
    if year not in plan_years(as_of):
        raise NotFound(f"缺口分析只含 {'、'.join(str(y) for y in plan_years(as_of))} 年")
    scope = scope_for(user, district)
    horizon = rules.year_end(year)
    if part == "lapsing_without":
        clause = lapsing_clause(code, as_of, horizon, with_reapplication=False)
    elif part == "lapsing_with":
        clause = lapsing_clause(code, as_of, horizon, with_reapplication=True)
    elif part == "pipeline":
        if status not in PIPELINE_STATUSES or kind not in KINDS:
            raise NotFound("未知的培育状态或申报类别")
        clause = pipeline_clause(code, as_of, horizon, status, kind)
    elif part == "early":
        clause = early_pipeline_clause(code, as_of, horizon)
    else:
        ids = _ready_candidate_ids(user, scope, code, year, as_of) or []
        clause = Company.id.in_(ids) if ids else Company.id.is_(None)
    if as_of >= horizon and part.startswith("lapsing"):
        clause = Company.id.is_(None)
    query = select(Company).where(scope.company_clause(), clause).order_by(Company.name, Company.id)
    return DrillDown(INDICATOR_BY_CODE[code], as_of, scope.district, "company", query)
