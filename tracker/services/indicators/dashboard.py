"""The indicator dashboard (指标完成情况): figures with status, district table, trend, projection.

`cached_dashboard` keeps a built dashboard for a few minutes while nothing has changed, because
it aggregates the whole scope several times (the trend needs every plan year).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import AuditEvent, Designation, User
from tracker.rules import indicators as rules
from tracker.rules.indicators import INDICATORS, PLAN_YEARS
from tracker.services.attractions.channels import all_channels
from tracker.services.caching import StampedCache
from tracker.services.indicators.pacing import pacings
from tracker.services.indicators.projection import ProjectionSet, projection_sets
from tracker.services.indicators.rollup import (
    Figure, Progress, RollUp, build_roll_up, counts, scope_target, targets_for, trend_dates,
)
from tracker.services.indicators.scope import scope_for


@dataclass
class DistrictRow(Progress):
    """One district's figure of an indicator with district targets, with its status colour."""

    district: str
    actual: int
    target: int | None
    status: rules.Status


@dataclass
class DashboardRow:
    """One indicator on the dashboard: its figure, where it should stand today, its status."""

    figure: Figure
    expected: float | None
    status: rules.Status
    districts: list[DistrictRow] | None
    pacing: rules.Pacing = rules.STRAIGHT


@dataclass
class TrendPoint:
    """One plan year of an indicator's trend chart."""

    year: int
    as_of: dt.date | None  # None for a future year (no actual yet)
    actual: int | None
    target: int | None


@dataclass
class Dashboard:
    """Everything the dashboard page shows for one scope and as-of date."""

    as_of: dt.date
    year: int
    district: str | None
    rows: list[DashboardRow]
    projections: dict[str, rules.Projection]
    trends: dict[str, list[TrendPoint]]
    projection_sets: dict[str, ProjectionSet] | None = None

    def row(self, code: str) -> DashboardRow:
        """The dashboard row of one indicator by code."""
        return next(r for r in self.rows if r.figure.code == code)


def dashboard(as_of: dt.date, user: User | None, today: dt.date, district: str | None = None) -> Dashboard:
    """Everything the indicator dashboard shows for `user`'s scope as of `as_of`."""
    scope = scope_for(user, district)
    targets = targets_for(sorted(set(PLAN_YEARS) | {as_of.year, as_of.year - 1}))
    rollups: dict[dt.date, RollUp] = {}
    known_channels = all_channels()

    def at(on: dt.date) -> RollUp:
        if on not in rollups:
            actuals, channels = counts(scope, on)
            rollups[on] = build_roll_up(scope, on, actuals, targets, channels, known_channels)
        return rollups[on]

    current = at(as_of)
    baseline = at(rules.year_end(as_of.year - 1))
    paces = pacings(scope, as_of.year)
    rows = []
    for figure in current.figures:
        code = figure.code
        base = baseline.figure(code)
        pace = paces[code]
        expected = rules.expected_by(code, figure.target, base.actual, as_of, pace)
        districts = None
        if figure.by_district is not None:
            districts = []
            for dcode, d in figure.by_district.items():
                base_d = (base.by_district or {}).get(dcode)
                exp_d = rules.expected_by(code, d.target, base_d.actual if base_d else 0, as_of, pace)
                districts.append(DistrictRow(dcode, d.actual, d.target, rules.progress_status(d.actual, d.target, exp_d)))
        rows.append(DashboardRow(
            figure, expected, rules.progress_status(figure.actual, figure.target, expected), districts, pace,
        ))

    trends: dict[str, list[TrendPoint]] = {i.code: [] for i in INDICATORS}
    for year, on in trend_dates(today).items():
        point_rollup = at(on) if on else None
        for indicator in INDICATORS:
            actual = point_rollup.figure(indicator.code).actual if point_rollup else None
            trends[indicator.code].append(TrendPoint(year, on, actual, scope_target(targets, indicator, year, scope)))
    sets = projection_sets(scope, as_of)
    return Dashboard(
        as_of=as_of, year=as_of.year, district=scope.district, rows=rows,
        projections={code: s.total for code, s in sets.items()}, trends=trends, projection_sets=sets,
    )


_CACHE: StampedCache[Dashboard] = StampedCache(entries=32)


def _change_stamp() -> tuple:
    """Two index-only lookups whose answer changes with every change the app makes.

    Every service writes an audit row in the same transaction as its change (imports and the
    registries included), and designations are the bulk of the indicators' input.
    """
    return tuple(db.session.execute(select(
        select(func.max(AuditEvent.id)).scalar_subquery(),
        select(func.max(Designation.id)).scalar_subquery(),
    )).one())


def clear_cache() -> None:
    """Forget every kept dashboard (tests, or after a bulk change made outside the app)."""
    _CACHE.clear()


def cached_dashboard(
    as_of: dt.date, user: User | None, today: dt.date, district: str | None = None, *, ttl_seconds: float = 0,
) -> Dashboard:
    """`dashboard`, reused for `ttl_seconds` while nothing has changed (0: never reused).

    Managers open the dashboard often and the data changes rarely in comparison, so a repeat
    view costs one tiny query. Scope is checked before the cache is consulted.
    """
    if ttl_seconds <= 0:
        return dashboard(as_of, user, today, district)
    scope = scope_for(user, district)
    key = (scope.district, tuple(scope.districts), as_of, today, _change_stamp())
    return _CACHE.get_or_compute(key, ttl_seconds, lambda: dashboard(as_of, user, today, district))
