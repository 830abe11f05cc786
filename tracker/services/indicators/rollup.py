"""The plan's 12 indicators (指标完成情况) as of any date: roll-up, drill-down, projection, cohorts.

Every figure is a query over records (designations, companies, registries), never a stored counter.
The roll-up needs a handful of aggregate queries for the whole city (GROUP BY district), and each
drill-down is the same WHERE clause listing the rows, so a number and its list always agree.

Scope: `user=None` is the whole city (CLI, emails); an administrator sees the city and every
district; a manager sees their own district, whose figures become their "city" figures; officers
have no access to indicators.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import Select, and_, case, distinct, exists, func, literal, or_, select, union_all

from tracker.extensions import db
from tracker.models import (
    AuditEvent, Carrier, CarrierLevel, Company, CultivationTrack, Designation, IndicatorTarget, Platform,
    ServiceInstitution, TalentAward, User,
)
from tracker.rules import indicators as rules
from tracker.rules.cultivation import OPEN_STATUSES, RECOGNIZED, REJECTED, SUBMITTED
from tracker.rules.districts import DISTRICT_CODES
from tracker.rules.indicators import INDICATOR_BY_CODE, INDICATORS, PLAN_YEARS, Indicator
from tracker.rules.ladder import RUNG_RANK, RUNGS
from tracker.services.errors import Forbidden, NotFound
from tracker.services.scoping import company_scope_clause, district_scope_clause, visible_districts
from tracker.services.stages import in_force_clause


# --------------------------------------------------------------------------------------------
# Scope
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole city (district None) or one district; plus the user's row filter."""

    user: User | None
    district: str | None  # None = city-wide
    districts: tuple[str, ...]  # district codes whose breakdown may be shown

    def company_clause(self):
        """WHERE clause on Company: live, visible to the user, in the scope's district."""
        clause = Company.deleted_at.is_(None) if self.user is None else company_scope_clause(self.user)
        if self.district is not None:
            clause = and_(clause, Company.district == self.district)
        return clause

    def district_clause(self, column):
        """WHERE clause on a registry's own district column."""
        clause = column.is_not(None) if self.user is None else district_scope_clause(self.user, column)
        if self.district is not None:
            clause = and_(clause, column == self.district)
        return clause


def scope_for(user: User | None, district: str | None = None) -> Scope:
    """The scope of `user`, optionally narrowed to one district; refuses what the user may not see."""
    if user is not None and not (user.is_admin or user.is_manager):
        raise Forbidden("服务专员无权查看指标汇总")
    allowed = DISTRICT_CODES if user is None else visible_districts(user, DISTRICT_CODES)
    if district is not None and district not in DISTRICT_CODES:
        raise NotFound(f"未知辖区：{district}")
    if district is not None and district not in allowed:
        raise Forbidden("您无权查看该辖区的指标")
    if user is not None and user.is_manager:
        district = user.district  # a manager's "city" is their district
    return Scope(user=user, district=district, districts=allowed)


# --------------------------------------------------------------------------------------------
# The definitions of DOMAIN.md §4 as SQL (the same as rules.indicators.designation_counts)
# --------------------------------------------------------------------------------------------

def _not_revoked(on: dt.date):
    return or_(Designation.revoked_on.is_(None), Designation.revoked_on > on)


def designation_clause(code: str, on: dt.date):
    """WHERE clause on Designation rows that make their company count in indicator 1–4 on `on`."""
    kinds = rules.INDICATOR_RUNGS[code]
    kind = Designation.kind == kinds[0] if len(kinds) == 1 else Designation.kind.in_(kinds)
    if code == rules.HNTE:
        return and_(kind, in_force_clause(on))
    if code in (rules.GAZELLE, rules.UNICORNS):
        return and_(kind, Designation.granted_on <= on, _not_revoked(on))
    if code == rules.TECH_SME_REGISTERED:
        return and_(
            kind, Designation.valid_from >= rules.year_start(on), Designation.valid_from <= rules.year_end(on.year),
            Designation.granted_on <= on, _not_revoked(on),
        )
    raise KeyError(code)


def attracted_clause(on: dt.date):
    """Indicator 5: the company's attraction date falls in [1 Jan Y, D]."""
    return and_(Company.attracted_on >= rules.year_start(on), Company.attracted_on <= on)


def _first_level_subquery(min_level: str):
    """carrier_id, first_on: each carrier's first recognition at `min_level` or above."""
    return (
        select(CarrierLevel.carrier_id, func.min(CarrierLevel.recognized_on).label("first_on"))
        .where(CarrierLevel.level.in_(rules.levels_at_least(min_level)))
        .group_by(CarrierLevel.carrier_id)
        .subquery()
    )


def _in_year_to(column, on: dt.date):
    return and_(column >= rules.year_start(on), column <= on)


# --------------------------------------------------------------------------------------------
# Roll-up
# --------------------------------------------------------------------------------------------

class _Progress:
    """% complete and gap to target, for anything with `actual` and `target`."""

    actual: int
    target: int | None

    @property
    def percent(self) -> float | None:
        return rules.percent_complete(self.actual, self.target)

    @property
    def gap(self) -> int | None:
        return rules.gap(self.actual, self.target)


@dataclass
class DistrictFigure:
    actual: int
    target: int | None


@dataclass
class Figure(_Progress):
    """One indicator's figure in a roll-up: actual and target for the scope, per district for 1–4."""

    indicator: Indicator
    actual: int
    target: int | None
    by_district: dict[str, DistrictFigure] | None = None

    @property
    def code(self) -> str:
        return self.indicator.code


@dataclass
class RollUp:
    """All 12 indicators as of one date for one scope (the city, or a manager's district)."""

    as_of: dt.date
    year: int
    district: str | None
    figures: list[Figure] = field(default_factory=list)

    def figure(self, code: str) -> Figure:
        """The figure of one indicator by code."""
        return next(f for f in self.figures if f.code == code)

    def to_dict(self) -> dict:
        """The JSON of the CLI and the API (`by_district` for the indicators with district targets)."""
        items = []
        for f in self.figures:
            item = {
                "code": f.code, "name": f.indicator.name, "unit": f.indicator.unit,
                "actual": f.actual, "target": f.target,
            }
            if f.by_district is not None:
                item["by_district"] = {
                    code: {"actual": d.actual, "target": d.target} for code, d in f.by_district.items()
                }
            items.append(item)
        return {"as_of": self.as_of.isoformat(), "year": self.year, "indicators": items}


def _count_rows(query) -> dict[str | None, int]:
    return {district: int(count or 0) for district, count in db.session.execute(query).all()}


def actuals_by_district(scope: Scope, on: dt.date) -> dict[str, dict[str | None, int]]:
    """indicator code → {district: count}, for the whole scope in ONE statement.

    Each indicator is its own small GROUP BY that can use its own index (kind and dates on
    designations, recognised dates on the registries); UNION ALL sends them as one round trip.
    This is the shape of the hand-written floor in bench/floor.sql.
    """
    parts = []
    # Indicators 1–4: distinct live, visible companies holding the rung as each defines it.
    for code in rules.DESIGNATION_INDICATORS:
        parts.append(
            select(literal(code).label("code"), Company.district.label("district"),
                   func.count(distinct(Designation.company_id)).label("n"))
            .select_from(Designation).join(Company, Company.id == Designation.company_id)
            .where(designation_clause(code, on), scope.company_clause())
            .group_by(Company.district)
        )
    # Indicator 5: companies attracted this year so far.
    parts.append(
        select(literal(rules.ATTRACTED), Company.district, func.count(Company.id))
        .where(scope.company_clause(), attracted_clause(on)).group_by(Company.district)
    )
    # Indicators 6–8: talents and teams recognised this year so far.
    for code, kind in rules.TALENT_KIND_BY_INDICATOR.items():
        parts.append(
            select(literal(code), TalentAward.district, func.count(TalentAward.id))
            .where(TalentAward.kind == kind, _in_year_to(TalentAward.recognized_on, on),
                   scope.district_clause(TalentAward.district))
            .group_by(TalentAward.district)
        )
    # Indicators 9–10: carriers whose first recognition at the level (or above) falls this year.
    for code, min_level in rules.CARRIER_MIN_LEVEL.items():
        first = _first_level_subquery(min_level)
        parts.append(
            select(literal(code), Carrier.district, func.count(Carrier.id))
            .join(first, first.c.carrier_id == Carrier.id)
            .where(_in_year_to(first.c.first_on, on), scope.district_clause(Carrier.district))
            .group_by(Carrier.district)
        )
    # Indicator 11: provincial-or-higher platforms recognised this year so far.
    parts.append(
        select(literal(rules.PLATFORM_PROVINCE), Platform.district, func.count(Platform.id))
        .where(Platform.level.in_(rules.levels_at_least(rules.PLATFORM_MIN_LEVEL)),
               _in_year_to(Platform.recognized_on, on), scope.district_clause(Platform.district))
        .group_by(Platform.district)
    )
    # Indicator 12: service institutions on the list for year Y.
    parts.append(
        select(literal(rules.SERVICE_ORGS), ServiceInstitution.district, func.count(ServiceInstitution.id))
        .where(ServiceInstitution.year == on.year, scope.district_clause(ServiceInstitution.district))
        .group_by(ServiceInstitution.district)
    )
    result: dict[str, dict[str | None, int]] = {code: {} for code in rules.INDICATOR_CODES}
    for code, district, count in db.session.execute(union_all(*parts)).all():
        result[code][district] = int(count or 0)
    return result


def targets_for(years: tuple[int, ...] | list[int]) -> dict[tuple[str, int, str | None], int]:
    """(indicator, year, district or None) → target, for the given years, in one query."""
    rows = db.session.execute(
        select(IndicatorTarget.indicator, IndicatorTarget.year, IndicatorTarget.district, IndicatorTarget.value)
        .where(IndicatorTarget.year.in_(list(years)))
    ).all()
    return {(indicator, year, district): value for indicator, year, district, value in rows}


def _build(scope: Scope, on: dt.date, actuals, targets) -> RollUp:
    year = on.year
    figures = []
    for indicator in INDICATORS:
        by_district_actual = actuals[indicator.code]
        if scope.district is None:
            actual = sum(by_district_actual.values())
            target = targets.get((indicator.code, year, None))
        else:
            actual = by_district_actual.get(scope.district, 0)
            target = targets.get((indicator.code, year, scope.district)) if indicator.has_district_targets else None
        by_district = None
        if indicator.has_district_targets:
            shown = (scope.district,) if scope.district is not None else scope.districts
            by_district = {
                code: DistrictFigure(by_district_actual.get(code, 0), targets.get((indicator.code, year, code)))
                for code in shown
            }
        figures.append(Figure(indicator, actual, target, by_district))
    return RollUp(as_of=on, year=year, district=scope.district, figures=figures)


def roll_up(as_of: dt.date, user: User | None = None, district: str | None = None) -> RollUp:
    """All 12 indicators as of `as_of`, for `user`'s scope (None = the whole city, unscoped).

    A manager's figures are their district's; `district` narrows an administrator's view to one.
    """
    scope = scope_for(user, district)
    return _build(scope, as_of, actuals_by_district(scope, as_of), targets_for([as_of.year]))


def trend_dates(today: dt.date, years: tuple[int, ...] = PLAN_YEARS) -> dict[int, dt.date | None]:
    """The as-of date of each plan year's trend point: 31 Dec if past, today if current, None if future."""
    return {
        year: rules.year_end(year) if year < today.year else (today if year == today.year else None)
        for year in years
    }


def yearly_roll_ups(today: dt.date, user: User | None = None, district: str | None = None) -> dict[int, RollUp | None]:
    """Roll-ups for each plan year (None for future years): the trend and the export's actuals."""
    scope = scope_for(user, district)
    targets = targets_for(PLAN_YEARS)
    return {
        year: _build(scope, on, actuals_by_district(scope, on), targets) if on else None
        for year, on in trend_dates(today).items()
    }


def plan_targets(user: User | None = None, district: str | None = None) -> dict[tuple[str, int], int | None]:
    """(indicator, year) → the target of the scope (the city's, or a district's for indicators 1–4)."""
    scope = scope_for(user, district)
    targets = targets_for(PLAN_YEARS)
    result = {}
    for indicator in INDICATORS:
        for year in PLAN_YEARS:
            if scope.district is None:
                result[(indicator.code, year)] = targets.get((indicator.code, year, None))
            elif indicator.has_district_targets:
                result[(indicator.code, year)] = targets.get((indicator.code, year, scope.district))
            else:
                result[(indicator.code, year)] = None
    return result


# --------------------------------------------------------------------------------------------
# Drill-down: the records behind one number
# --------------------------------------------------------------------------------------------

@dataclass
class DrillDown:
    """The rows behind one figure. `query` selects the record first (carriers: and their date)."""

    indicator: Indicator
    as_of: dt.date
    district: str | None
    record_type: str  # company | talent | carrier | platform | service_institution
    query: Select

    def count(self) -> int:
        """How many rows the list has (equals the figure)."""
        return int(db.session.scalar(select(func.count()).select_from(self.query.order_by(None).subquery())) or 0)

    def rows(self, limit: int | None = None, offset: int = 0) -> list:
        """Result rows (row[0] is the record; carriers also carry `first_on`)."""
        query = self.query
        if limit is not None:
            query = query.limit(limit).offset(offset)
        return db.session.execute(query).all()

    def records(self) -> list:
        """All the records (no paging)."""
        return [row[0] for row in self.rows()]


def drill_down(code: str, as_of: dt.date, user: User | None, district: str | None = None) -> DrillDown:
    """The companies (indicators 1–5) or registry rows (6–12) counted in one figure.

    `district` None means the scope's own figure (the city, or a manager's district). The list
    has exactly as many rows as the figure of roll_up for the same arguments.
    """
    indicator = INDICATOR_BY_CODE.get(code)
    if indicator is None:
        raise NotFound(f"未知指标：{code}")
    scope = scope_for(user, district)
    record_type = rules.RECORD_TYPES[code]
    if code in rules.DESIGNATION_INDICATORS:
        ids = select(Designation.company_id).where(designation_clause(code, as_of))
        query = select(Company).where(scope.company_clause(), Company.id.in_(ids)).order_by(Company.name, Company.id)
    elif code == rules.ATTRACTED:
        query = (
            select(Company).where(scope.company_clause(), attracted_clause(as_of))
            .order_by(Company.attracted_on, Company.name, Company.id)
        )
    elif code in rules.TALENT_KIND_BY_INDICATOR:
        query = (
            select(TalentAward)
            .where(
                TalentAward.kind == rules.TALENT_KIND_BY_INDICATOR[code],
                _in_year_to(TalentAward.recognized_on, as_of), scope.district_clause(TalentAward.district),
            )
            .order_by(TalentAward.recognized_on, TalentAward.id)
        )
    elif code in rules.CARRIER_MIN_LEVEL:
        first = _first_level_subquery(rules.CARRIER_MIN_LEVEL[code])
        query = (
            select(Carrier, first.c.first_on)
            .join(first, first.c.carrier_id == Carrier.id)
            .where(_in_year_to(first.c.first_on, as_of), scope.district_clause(Carrier.district))
            .order_by(first.c.first_on, Carrier.id)
        )
    elif code == rules.PLATFORM_PROVINCE:
        query = (
            select(Platform)
            .where(
                Platform.level.in_(rules.levels_at_least(rules.PLATFORM_MIN_LEVEL)),
                _in_year_to(Platform.recognized_on, as_of), scope.district_clause(Platform.district),
            )
            .order_by(Platform.recognized_on, Platform.id)
        )
    else:
        query = (
            select(ServiceInstitution)
            .where(ServiceInstitution.year == as_of.year, scope.district_clause(ServiceInstitution.district))
            .order_by(ServiceInstitution.name, ServiceInstitution.id)
        )
    return DrillDown(indicator, as_of, scope.district, record_type, query)


# --------------------------------------------------------------------------------------------
# Year-end projection for indicators 1–4
# --------------------------------------------------------------------------------------------

def _companies_counted(code: str, on: dt.date):
    """Company.id IN (companies counted in indicator `code` on `on`)."""
    return Company.id.in_(select(Designation.company_id).where(designation_clause(code, on)))


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
    kinds = sorted({k for ks in rules.PROJECTION_TRACK_KINDS.values() for k in ks})
    # Track counts for this year (submitted) and last year (decided), for every rung in one query.
    tracks: dict[tuple[str, int, str], int] = {}
    for kind, track_year, status, count in db.session.execute(
        select(CultivationTrack.target_kind, CultivationTrack.year, CultivationTrack.status, func.count(CultivationTrack.id))
        .join(Company, Company.id == CultivationTrack.company_id)
        .where(
            scope.company_clause(), CultivationTrack.target_kind.in_(kinds),
            CultivationTrack.year.in_((year, year - 1)),
            CultivationTrack.status.in_((SUBMITTED, RECOGNIZED, REJECTED)),
        )
        .group_by(CultivationTrack.target_kind, CultivationTrack.year, CultivationTrack.status)
    ).all():
        tracks[(kind, track_year, status)] = int(count)
    result = {}
    for code, rung_kinds in rules.PROJECTION_TRACK_KINDS.items():
        if today_values is not None and code in today_values:
            today_value = today_values[code]
        else:
            today_value = int(db.session.scalar(
                select(func.count(Company.id)).where(scope.company_clause(), _companies_counted(code, as_of))
            ) or 0)
        expiring = 0
        if as_of < year_end:
            open_tracks = select(CultivationTrack.company_id).where(
                CultivationTrack.target_kind.in_(rung_kinds), CultivationTrack.year == year,
                CultivationTrack.status.in_(tuple(OPEN_STATUSES)),
            )
            # Counted today, no longer counted on 31 Dec (a certificate expires or a revocation
            # takes effect), and no open track to renew: these drop out by year end.
            expiring = int(db.session.scalar(
                select(func.count(Company.id)).where(
                    scope.company_clause(), _companies_counted(code, as_of),
                    ~_companies_counted(code, year_end), Company.id.not_in(open_tracks),
                )
            ) or 0)
        submitted = sum(tracks.get((k, year, SUBMITTED), 0) for k in rung_kinds)
        rate = rules.recognition_rate(
            sum(tracks.get((k, year - 1, RECOGNIZED), 0) for k in rung_kinds),
            sum(tracks.get((k, year - 1, REJECTED), 0) for k in rung_kinds),
        )
        result[code] = rules.Projection(today_value, submitted, rate, expiring)
    return result


# --------------------------------------------------------------------------------------------
# Cohorts: conversion up the ladder
# --------------------------------------------------------------------------------------------

@dataclass
class CohortRow:
    district: str | None  # None = the scope's total
    entered: int
    reached: dict[str, int]


@dataclass
class Cohort:
    rung: str
    entry_year: int
    by_year: int
    higher_rungs: tuple[str, ...]
    rows: list[CohortRow]

    @property
    def total(self) -> CohortRow:
        """The scope's total row (always last)."""
        return self.rows[-1]


def cohort(rung: str, entry_year: int, by_year: int, user: User | None = None) -> Cohort:
    """Of the companies that entered `rung` in `entry_year` (first recognised at it that year), how
    many reached each higher rung (granted by 31 Dec of `by_year`, not revoked by then), per district."""
    if rung not in RUNG_RANK:
        raise NotFound(f"未知资质类型：{rung}")
    scope = scope_for(user)
    higher = tuple(r.code for r in RUNGS if r.rank > RUNG_RANK[rung])
    cutoff = rules.year_end(by_year)
    entry = (
        select(Designation.company_id, func.min(Designation.granted_on).label("entered_on"))
        .where(Designation.kind == rung, _not_revoked_at_grant())
        .group_by(Designation.company_id)
        .subquery()
    )

    def reached(kind: str):
        d = Designation.__table__.alias(f"reached_{kind}")
        return case((
            exists().where(
                d.c.company_id == Company.id, d.c.rung == kind, d.c.granted_on <= cutoff,
                or_(d.c.revoked_on.is_(None), d.c.revoked_on > cutoff),
            ), 1,
        ), else_=0)

    columns = [func.sum(reached(kind)).label(kind) for kind in higher]
    rows = db.session.execute(
        select(Company.district, func.count(Company.id).label("entered"), *columns)
        .join(entry, entry.c.company_id == Company.id)
        .where(
            scope.company_clause(), entry.c.entered_on >= dt.date(entry_year, 1, 1),
            entry.c.entered_on <= rules.year_end(entry_year),
        )
        .group_by(Company.district)
    ).all()
    found = {row.district: row for row in rows}
    shown = (scope.district,) if scope.district is not None else scope.districts
    result = []
    for code in shown:
        row = found.get(code)
        result.append(CohortRow(
            code, int(row.entered) if row else 0,
            {kind: int(getattr(row, kind) or 0) if row else 0 for kind in higher},
        ))
    total = CohortRow(
        None, sum(int(r.entered) for r in rows),
        {kind: sum(int(getattr(r, kind) or 0) for r in rows) for kind in higher},
    )
    return Cohort(rung, entry_year, by_year, higher, result + [total])


def _not_revoked_at_grant():
    # A designation revoked on its first day never really held: it does not make an entry.
    return or_(Designation.revoked_on.is_(None), Designation.revoked_on > Designation.valid_from)


# --------------------------------------------------------------------------------------------
# The dashboard (指标完成情况): figures with status, district table, trend, projection
# --------------------------------------------------------------------------------------------

@dataclass
class DistrictRow(_Progress):
    district: str
    actual: int
    target: int | None
    status: rules.Status


@dataclass
class DashboardRow:
    figure: Figure
    expected: float | None
    status: rules.Status
    districts: list[DistrictRow] | None


@dataclass
class TrendPoint:
    year: int
    as_of: dt.date | None  # None for a future year (no actual yet)
    actual: int | None
    target: int | None


@dataclass
class Dashboard:
    as_of: dt.date
    year: int
    district: str | None
    rows: list[DashboardRow]
    projections: dict[str, rules.Projection]
    trends: dict[str, list[TrendPoint]]

    def row(self, code: str) -> DashboardRow:
        """The dashboard row of one indicator by code."""
        return next(r for r in self.rows if r.figure.code == code)


def dashboard(as_of: dt.date, user: User | None, today: dt.date, district: str | None = None) -> Dashboard:
    """Everything the indicator dashboard shows for `user`'s scope as of `as_of`."""
    scope = scope_for(user, district)
    targets = targets_for(sorted(set(PLAN_YEARS) | {as_of.year, as_of.year - 1}))
    cache: dict[dt.date, RollUp] = {}

    def at(on: dt.date) -> RollUp:
        if on not in cache:
            cache[on] = _build(scope, on, actuals_by_district(scope, on), targets)
        return cache[on]

    current = at(as_of)
    baseline = at(rules.year_end(as_of.year - 1))
    rows = []
    for figure in current.figures:
        code = figure.code
        base = baseline.figure(code)
        expected = rules.expected_by(code, figure.target, base.actual, as_of)
        districts = None
        if figure.by_district is not None:
            districts = []
            for dcode, d in figure.by_district.items():
                base_d = (base.by_district or {}).get(dcode)
                exp_d = rules.expected_by(code, d.target, base_d.actual if base_d else 0, as_of)
                districts.append(DistrictRow(dcode, d.actual, d.target, rules.progress_status(d.actual, d.target, exp_d)))
        rows.append(DashboardRow(figure, expected, rules.progress_status(figure.actual, figure.target, expected), districts))

    trends: dict[str, list[TrendPoint]] = {i.code: [] for i in INDICATORS}
    for year, on in trend_dates(today).items():
        point_rollup = at(on) if on else None
        for indicator in INDICATORS:
            target = (
                targets.get((indicator.code, year, None)) if scope.district is None
                else targets.get((indicator.code, year, scope.district)) if indicator.has_district_targets else None
            )
            actual = point_rollup.figure(indicator.code).actual if point_rollup else None
            trends[indicator.code].append(TrendPoint(year, on, actual, target))
    today_values = {figure.code: figure.actual for figure in current.figures}
    return Dashboard(
        as_of=as_of, year=as_of.year, district=scope.district, rows=rows,
        projections=projections(as_of, user, district, today_values=today_values), trends=trends,
    )


_DASHBOARD_CACHE: "OrderedDict[tuple, tuple[float, Dashboard]]" = OrderedDict()
_DASHBOARD_CACHE_ENTRIES = 32


def _change_stamp() -> tuple:
    """Two index-only lookups whose answer changes with every change the app makes.

    Every service writes an audit row in the same transaction as its change (imports and the
    registries included), and designations are the bulk of the indicators' input.
    """
    return tuple(db.session.execute(select(
        select(func.max(AuditEvent.id)).scalar_subquery(),
        select(func.max(Designation.id)).scalar_subquery(),
    )).one())


def cached_dashboard(as_of: dt.date, user: User | None, today: dt.date, district: str | None = None) -> Dashboard:
    """`dashboard`, reused for INDICATOR_CACHE_SECONDS while nothing has changed (0: never).

    The dashboard aggregates the whole scope several times (the trend needs every plan year);
    managers open it often and the data changes rarely in comparison, so a repeat view costs one
    tiny query. Scope is checked before the cache is consulted.
    """
    ttl = float(current_app.config.get("INDICATOR_CACHE_SECONDS", 0))
    if ttl <= 0:
        return dashboard(as_of, user, today, district)
    scope = scope_for(user, district)
    key = (scope.district, tuple(scope.districts), as_of, today, _change_stamp())
    hit = _DASHBOARD_CACHE.get(key)
    if hit is not None and time.monotonic() - hit[0] < ttl:
        _DASHBOARD_CACHE.move_to_end(key)
        return hit[1]
    result = dashboard(as_of, user, today, district)
    _DASHBOARD_CACHE[key] = (time.monotonic(), result)
    while len(_DASHBOARD_CACHE) > _DASHBOARD_CACHE_ENTRIES:
        _DASHBOARD_CACHE.popitem(last=False)
    return result
