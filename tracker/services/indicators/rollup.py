"""The plan's 12 indicators (指标完成情况) as of any date, for one scope: the roll-up.

Every figure is a query over records (designations, companies, registries), never a stored counter.
The roll-up needs a handful of aggregate queries for the whole city (GROUP BY district); the
WHERE clauses are those of `definitions`, which the drill-down lists row by row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import String, cast, distinct, func, literal, null, select, union_all

from tracker.extensions import db
from tracker.models import Carrier, Company, Designation, IndicatorTarget, Platform, ServiceInstitution, TalentAward, User
from tracker.rules import indicators as rules
from tracker.rules.attraction import UNSPECIFIED_CHANNEL
from tracker.rules.indicators import INDICATORS, PLAN_YEARS, Indicator
from tracker.services.attractions.channels import Channel, all_channels
from tracker.services.indicators.definitions import (
    attracted_clause, designation_clause, first_level_subquery, in_year_to, platform_clause, service_org_clause,
    talent_clause,
)
from tracker.services.indicators.scope import Scope, scope_for

Targets = dict[tuple[str, int, str | None], int]
ChannelCounts = dict[str | None, dict[str, int]]  # district → channel code → count (indicator 5)


class Progress:
    """% complete and gap to target, for anything with `actual` and `target`."""

    actual: int
    target: int | None

    @property
    def percent(self) -> float | None:
        """Share of the target reached, in % (None without a target)."""
        return rules.percent_complete(self.actual, self.target)

    @property
    def gap(self) -> int | None:
        """How many are still missing to reach the target (None without a target)."""
        return rules.gap(self.actual, self.target)


@dataclass
class DistrictFigure:
    """One district's actual and target for an indicator with district targets (1–4)."""

    actual: int
    target: int | None


@dataclass
class Figure(Progress):
    """One indicator's figure in a roll-up: actual and target for the scope, per district for 1–4."""

    indicator: Indicator
    actual: int
    target: int | None
    by_district: dict[str, DistrictFigure] | None = None
    # Indicator 5 only: the companies attracted by channel code (招引渠道), for the scope and per
    # shown district; they sum to `actual` (a company without a channel counts under 其他).
    by_channel: dict[str, int] | None = None
    channels_by_district: dict[str, dict[str, int]] | None = None

    @property
    def code(self) -> str:
        """The indicator's code."""
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

    def to_dict(self, projections: dict | None = None) -> dict:
        """The JSON of the CLI and the API (`by_district` for the indicators with district targets;
        indicator 5 carries `by_channel`, city-wide and in each `by_district` entry).

        `projections` (code → ProjectionSet of tracker.services.indicators.projection) adds each
        indicator's year-end `projection`, city-wide and in each `by_district` entry.
        """
        projections = projections or {}
        items = []
        for f in self.figures:
            item = {
                "code": f.code, "name": f.indicator.name, "unit": f.indicator.unit,
                "actual": f.actual, "target": f.target,
            }
            chosen = projections.get(f.code)
            if chosen is not None:
                item["projection"] = chosen.total.to_dict()
            if f.by_district is not None:
                item["by_district"] = {
                    code: {"actual": d.actual, "target": d.target} for code, d in f.by_district.items()
                }
                if chosen is not None:
                    for code, entry in item["by_district"].items():
                        if code in chosen.by_district:
                            entry["projection"] = chosen.by_district[code].to_dict()
            if f.by_channel is not None:
                # Indicator 5: `by_channel` keyed by channel code, city-wide and in each district.
                item["by_channel"] = dict(f.by_channel)
                item["by_district"] = {
                    code: {"actual": sum(split.values()), "target": None, "by_channel": dict(split)}
                    for code, split in (f.channels_by_district or {}).items()
                }
            items.append(item)
        return {"as_of": self.as_of.isoformat(), "year": self.year, "indicators": items}


def actuals_by_district(scope: Scope, on: dt.date) -> dict[str, dict[str | None, int]]:
    """indicator code → {district: count}, for the whole scope in ONE statement (see `counts`)."""
    return counts(scope, on)[0]


def counts(scope: Scope, on: dt.date) -> tuple[dict[str, dict[str | None, int]], ChannelCounts]:
    """(indicator code → {district: count}, indicator 5's district → {channel: count}) for the
    whole scope in ONE statement.

    Each indicator is its own small GROUP BY that can use its own index (rung and dates on
    designations, recognised dates on the registries); UNION ALL sends them as one round trip.
    This is the shape of the hand-written floor in bench/floor.sql. The fourth column is the
    attraction channel of indicator 5's rows (NULL for every other indicator).
    """
    no_channel = cast(null(), String).label("channel")
    parts = []
    # Indicators 1–4: distinct live, visible companies holding the rung as each defines it.
    for code in rules.DESIGNATION_INDICATORS:
        parts.append(
            select(literal(code).label("code"), Company.district.label("district"),
                   func.count(distinct(Designation.company_id)).label("n"), no_channel)
            .select_from(Designation).join(Company, Company.id == Designation.company_id)
            .where(designation_clause(code, on), scope.company_clause())
            .group_by(Company.district)
        )
    # Indicator 5: companies attracted this year so far, by district and channel.
    channel = func.coalesce(Company.attraction_channel, UNSPECIFIED_CHANNEL)
    parts.append(
        select(literal(rules.ATTRACTED), Company.district, func.count(Company.id), channel)
        .where(scope.company_clause(), attracted_clause(on)).group_by(Company.district, channel)
    )
    # Indicators 6–8: talents and teams recognised this year so far.
    for code in rules.TALENT_KIND_BY_INDICATOR:
        parts.append(
            select(literal(code), TalentAward.district, func.count(TalentAward.id), no_channel)
            .where(talent_clause(code, on), scope.district_clause(TalentAward.district))
            .group_by(TalentAward.district)
        )
    # Indicators 9–10: carriers whose first recognition at the level (or above) falls this year.
    for code, min_level in rules.CARRIER_MIN_LEVEL.items():
        first = first_level_subquery(min_level)
        parts.append(
            select(literal(code), Carrier.district, func.count(Carrier.id), no_channel)
            .join(first, first.c.carrier_id == Carrier.id)
            .where(in_year_to(first.c.first_on, on), scope.district_clause(Carrier.district))
            .group_by(Carrier.district)
        )
    # Indicator 11: provincial-or-higher platforms recognised this year so far.
    parts.append(
        select(literal(rules.PLATFORM_PROVINCE), Platform.district, func.count(Platform.id), no_channel)
        .where(platform_clause(on), scope.district_clause(Platform.district))
        .group_by(Platform.district)
    )
    # Indicator 12: service institutions on the list for year Y.
    parts.append(
        select(literal(rules.SERVICE_ORGS), ServiceInstitution.district, func.count(ServiceInstitution.id), no_channel)
        .where(service_org_clause(on), scope.district_clause(ServiceInstitution.district))
        .group_by(ServiceInstitution.district)
    )
    result: dict[str, dict[str | None, int]] = {code: {} for code in rules.INDICATOR_CODES}
    channels: ChannelCounts = {}
    for code, district, count, channel_code in db.session.execute(union_all(*parts)).all():
        result[code][district] = result[code].get(district, 0) + int(count or 0)
        if code == rules.ATTRACTED:
            channels.setdefault(district, {})[channel_code] = int(count or 0)
    return result, channels


def _channel_split(channels: ChannelCounts, districts, known: list[Channel]) -> dict[str, int]:
    """channel code → count over `districts`: every active channel (0 included), in display
    order, then any other code that has companies."""
    split = {c.code: 0 for c in known if c.active}
    for district in districts:
        for code, n in channels.get(district, {}).items():
            split[code] = split.get(code, 0) + n
    return split


def targets_for(years: tuple[int, ...] | list[int]) -> Targets:
    """(indicator, year, district or None) → target, for the given years, in one query."""
    rows = db.session.execute(
        select(IndicatorTarget.indicator, IndicatorTarget.year, IndicatorTarget.district, IndicatorTarget.value)
        .where(IndicatorTarget.year.in_(list(years)))
    ).all()
    return {(indicator, year, district): value for indicator, year, district, value in rows}


def scope_target(targets: Targets, indicator: Indicator, year: int, scope: Scope) -> int | None:
    """The scope's target of one indicator and year: the city's, or a district's for indicators 1–4."""
    if scope.district is None:
        return targets.get((indicator.code, year, None))
    if indicator.has_district_targets:
        return targets.get((indicator.code, year, scope.district))
    return None


def build_roll_up(scope: Scope, on: dt.date, actuals: dict[str, dict[str | None, int]], targets: Targets,
                  channels: ChannelCounts | None = None, known_channels: list[Channel] | None = None) -> RollUp:
    """The roll-up of `scope` on `on` from counts already fetched (lets callers reuse targets).
    With `channels` (from `counts`), indicator 5 carries its split by channel."""
    year = on.year
    figures = []
    for indicator in INDICATORS:
        by_district_actual = actuals[indicator.code]
        if scope.district is None:
            actual = sum(by_district_actual.values())
        else:
            actual = by_district_actual.get(scope.district, 0)
        by_district = None
        if indicator.has_district_targets:
            by_district = {
                code: DistrictFigure(by_district_actual.get(code, 0), targets.get((indicator.code, year, code)))
                for code in scope.shown_districts
            }
        figure = Figure(indicator, actual, scope_target(targets, indicator, year, scope), by_district)
        if indicator.code == rules.ATTRACTED and channels is not None:
            known = known_channels if known_channels is not None else all_channels()
            shown = scope.shown_districts
            figure.by_channel = _channel_split(
                channels, list(channels) if scope.district is None else [scope.district], known)
            figure.channels_by_district = {code: _channel_split(channels, [code], known) for code in shown}
        figures.append(figure)
    return RollUp(as_of=on, year=year, district=scope.district, figures=figures)


def roll_up(as_of: dt.date, user: User | None = None, district: str | None = None) -> RollUp:
    """All 12 indicators as of `as_of`, for `user`'s scope (None = the whole city, unscoped).

    A manager's figures are their district's; `district` narrows an administrator's view to one.
    """
    scope = scope_for(user, district)
    actuals, channels = counts(scope, as_of)
    return build_roll_up(scope, as_of, actuals, targets_for([as_of.year]), channels)


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
    known = all_channels()
    result: dict[int, RollUp | None] = {}
    for year, on in trend_dates(today).items():
        if on is None:
            result[year] = None
            continue
        actuals, channels = counts(scope, on)
        result[year] = build_roll_up(scope, on, actuals, targets, channels, known)
    return result


def plan_targets(user: User | None = None, district: str | None = None) -> dict[tuple[str, int], int | None]:
    """(indicator, year) → the target of the scope (the city's, or a district's for indicators 1–4)."""
    scope = scope_for(user, district)
    targets = targets_for(PLAN_YEARS)
    return {
        (indicator.code, year): scope_target(targets, indicator, year, scope)
        for indicator in INDICATORS for year in PLAN_YEARS
    }
