"""The plan's 12 indicators (指标): codes, names, units and which ones have district targets.

Definitions (docs/DOMAIN.md §4) are implemented as SQL in tracker/services/indicators/definitions.py; this module is
the vocabulary both the services and the pages share.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    number: int
    code: str
    name: str
    unit: str
    kind: str  # stock (in force on D) | cumulative (ever, not revoked) | flow (new in year Y to D)
    has_district_targets: bool


INDICATORS: tuple[Indicator, ...] = (
    Indicator(1, "hnte_count", "高新技术企业数", "家", "stock", True),
    Indicator(2, "gazelle_cumulative", "瞪羚企业累计数", "家", "cumulative", True),
    Indicator(3, "unicorn_cumulative", "独角兽、潜在独角兽企业累计数", "家", "cumulative", True),
    Indicator(4, "tech_sme_registered", "科技型中小企业入库数", "家", "stock", True),
    Indicator(5, "tech_sme_attracted_new", "新增招引科技型中小微企业数", "家", "flow", False),
    Indicator(6, "talent_innovation_new", "新增省“双创人才”（创新类）", "名", "flow", False),
    Indicator(7, "talent_team_new", "新增省“双创团队”", "个", "flow", False),
    Indicator(8, "talent_city_new", "新增市高层次创新创业人才", "名", "flow", False),
    Indicator(9, "carrier_city_new", "新增市级以上众创空间、孵化器", "家", "flow", False),
    Indicator(10, "carrier_province_new", "新增省级以上众创空间、孵化器", "家", "flow", False),
    Indicator(11, "platform_province_new", "新增省级以上创新平台", "个", "flow", False),
    Indicator(12, "service_org_count", "规上科技服务业机构数", "家", "stock", False),
)
INDICATOR_BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}
INDICATOR_CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS)
DISTRICT_INDICATOR_CODES: tuple[str, ...] = tuple(i.code for i in INDICATORS if i.has_district_targets)

PLAN_YEARS: tuple[int, ...] = (2023, 2024, 2025, 2026, 2027)


def district_sum_mismatches(
    city: dict[tuple[str, int], int], districts: dict[tuple[str, int], dict[str, int]]
) -> list[tuple[str, int, int, int]]:
    """(indicator, year, city target, sum of districts) for every year whose districts don't add up."""
    problems = []
    for key, by_district in sorted(districts.items()):
        if key in city and by_district and sum(by_district.values()) != city[key]:
            problems.append((key[0], key[1], city[key], sum(by_district.values())))
    return problems


# ---------------------------------------------------------------------------------------------
# Definitions of docs/DOMAIN.md §4 as data and pure functions. tracker/services/indicators turns them
# into SQL; the functions below are the reference the SQL is tested against.
# ---------------------------------------------------------------------------------------------

HNTE, GAZELLE, UNICORNS, TECH_SME_REGISTERED, ATTRACTED = (
    "hnte_count", "gazelle_cumulative", "unicorn_cumulative", "tech_sme_registered", "tech_sme_attracted_new",
)
TALENT_INNOVATION, TALENT_TEAM, TALENT_CITY = "talent_innovation_new", "talent_team_new", "talent_city_new"
CARRIER_CITY, CARRIER_PROVINCE = "carrier_city_new", "carrier_province_new"
PLATFORM_PROVINCE, SERVICE_ORGS = "platform_province_new", "service_org_count"

# Indicators 1–4: the rungs whose designations they count.
INDICATOR_RUNGS: dict[str, tuple[str, ...]] = {
    HNTE: ("hnte",),
    GAZELLE: ("gazelle",),
    UNICORNS: ("potential_unicorn", "unicorn"),
    TECH_SME_REGISTERED: ("tech_sme",),
}
DESIGNATION_INDICATORS: tuple[str, ...] = tuple(INDICATOR_RUNGS)
COMPANY_INDICATORS: tuple[str, ...] = DESIGNATION_INDICATORS + (ATTRACTED,)

# Indicators 6–8: the TalentAward kind each counts.
TALENT_KIND_BY_INDICATOR: dict[str, str] = {
    TALENT_INNOVATION: "provincial_innovation",
    TALENT_TEAM: "provincial_team",
    TALENT_CITY: "city_high_level",
}
# Recognition levels, lowest first (the same codes as models.registry.LEVELS).
LEVEL_ORDER: tuple[str, ...] = ("city", "province", "national")
# Indicators 9–10: a carrier counts once, in the year of its first recognition at this level or above.
CARRIER_MIN_LEVEL: dict[str, str] = {CARRIER_CITY: "city", CARRIER_PROVINCE: "province"}
PLATFORM_MIN_LEVEL = "province"

# What the drill-down of each indicator lists.
RECORD_TYPES: dict[str, str] = {
    **{code: "company" for code in COMPANY_INDICATORS},
    **{code: "talent" for code in TALENT_KIND_BY_INDICATOR},
    CARRIER_CITY: "carrier", CARRIER_PROVINCE: "carrier",
    PLATFORM_PROVINCE: "platform", SERVICE_ORGS: "service_institution",
}

# Indicators whose count carries over from one year to the next (the pro-rata expectation starts
# from last year's closing figure); the others start again from zero every 1 January.
CARRIES_OVER: frozenset[str] = frozenset({HNTE, GAZELLE, UNICORNS, SERVICE_ORGS})

# Rungs a cultivation track aims at, for the year-end projection of indicators 1–4.
PROJECTION_TRACK_RUNGS: dict[str, tuple[str, ...]] = dict(INDICATOR_RUNGS)

# How far below the pro-rata expectation still counts as "slightly behind" rather than "behind".
BEHIND_TOLERANCE = 0.9


def levels_at_least(level: str) -> tuple[str, ...]:
    """The level codes at `level` or above (e.g. province → province, national)."""
    return LEVEL_ORDER[LEVEL_ORDER.index(level):]


def year_start(on: dt.date) -> dt.date:
    """1 January of D's year: where flows start counting."""
    return dt.date(on.year, 1, 1)


def year_end(year: int) -> dt.date:
    """31 December of `year`: the closing date of a year's figures."""
    return dt.date(year, 12, 31)


def _not_revoked(d, on: dt.date) -> bool:
    return d.revoked_on is None or d.revoked_on > on


def designation_counts(code: str, d, on: dt.date) -> bool:
    """Does this one designation make its company count in indicator `code` as of `on`?

    1 (stock): in force on D. 2, 3 (cumulative): granted on or before D and not revoked by D.
    4: a tech SME registration of D's evaluation year (valid_from in that year), granted by D,
    not revoked by D. A company counts once however many of its designations qualify.
    """
    if d.rung not in INDICATOR_RUNGS.get(code, ()):
        return False
    if code == HNTE:
        return (
            d.valid_from <= on and (d.valid_until is None or d.valid_until >= on) and _not_revoked(d, on)
        )
    if code in (GAZELLE, UNICORNS):
        return d.granted_on <= on and _not_revoked(d, on)
    if code == TECH_SME_REGISTERED:
        return d.valid_from.year == on.year and d.granted_on <= on and _not_revoked(d, on)
    return False


def company_counts(code: str, designations, on: dt.date) -> bool:
    """Reference definition for indicators 1–4 over one company's designations."""
    return any(designation_counts(code, d, on) for d in designations)


def first_recognition(levels: list[tuple[str, dt.date]], min_level: str) -> dt.date | None:
    """A carrier's first recognition at `min_level` or above, from its (level, date) history."""
    wanted = levels_at_least(min_level)
    days = [day for level, day in levels if level in wanted]
    return min(days) if days else None


def year_fraction(on: dt.date) -> float:
    """Share of D's year elapsed by the end of day D (1 Jan → 1/365, 31 Dec → 1)."""
    start = year_start(on)
    total = (year_end(on.year) - start).days + 1
    return ((on - start).days + 1) / total


def expected_by(code: str, target: int | None, baseline: int | None, on: dt.date) -> float | None:
    """Where the indicator should stand on D if it moved evenly from its start towards the target.

    Flows and yearly registrations start from zero; stocks and cumulative counts start from last
    year's closing figure (`baseline`), so an HNTE count that merely held still is behind.
    """
    if target is None:
        return None
    start = (baseline or 0) if code in CARRIES_OVER else 0
    return start + (target - start) * year_fraction(on)


@dataclass(frozen=True)
class Status:
    code: str  # done | on_track | slightly_behind | behind | no_target
    label: str
    css: str  # Bootstrap colour name


STATUSES: dict[str, Status] = {
    "done": Status("done", "已完成", "success"),
    "on_track": Status("on_track", "进度正常", "primary"),
    "slightly_behind": Status("slightly_behind", "略有滞后", "warning"),
    "behind": Status("behind", "滞后", "danger"),
    "no_target": Status("no_target", "无目标", "secondary"),
}


def progress_status(actual: int, target: int | None, expected: float | None) -> Status:
    """The colour of a figure: reached the target, on the pro-rata line, a little or well below it."""
    if target is None:
        return STATUSES["no_target"]
    if actual >= target:
        return STATUSES["done"]
    if expected is None or actual >= expected:
        return STATUSES["on_track"]
    if actual >= expected * BEHIND_TOLERANCE:
        return STATUSES["slightly_behind"]
    return STATUSES["behind"]


def percent_complete(actual: int, target: int | None) -> float | None:
    """Actual as a percentage of the target, one decimal; None without a (positive) target."""
    if not target:
        return None
    return round(actual * 100.0 / target, 1)


def gap(actual: int, target: int | None) -> int | None:
    """How many are still missing to reach the target (0 once reached); None without a target."""
    if target is None:
        return None
    return max(target - actual, 0)


def recognition_rate(recognized: int, rejected: int) -> float | None:
    """Share of decided applications that were recognised; None when none were decided."""
    decided = recognized + rejected
    return recognized / decided if decided else None


@dataclass(frozen=True)
class Projection:
    """Year-end estimate: today's value + submitted × last year's rate − expiring without re-application."""

    today_value: int
    submitted: int
    rate: float | None
    expiring: int

    @property
    def value(self) -> int:
        """The estimate, rounded to whole companies and never below zero."""
        return max(0, round(self.today_value + self.submitted * (self.rate or 0.0) - self.expiring))

    @property
    def formula(self) -> str:
        """The arithmetic with the numbers filled in, shown beside the estimate."""
        rate = f"{self.rate:.0%}" if self.rate is not None else "0%（上年无已评审的申报）"
        return f"{self.today_value} + {self.submitted} × {rate} − {self.expiring} ≈ {self.value}"


class BadDate(ValueError):
    """An as-of date that is not a real YYYY-MM-DD day; the message is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def parse_as_of(text: str | None, default: dt.date) -> dt.date:
    """An as-of date from YYYY-MM-DD (empty = `default`); BadDate with a Chinese message otherwise."""
    if text is None or not text.strip():
        return default
    value = text.strip()
    try:
        if len(value) != 10:
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise BadDate(f"日期“{value[:20]}”无效，请使用 YYYY-MM-DD 格式，例如 2026-11-24") from None
    if not 2000 <= day.year <= 2100:
        raise BadDate("日期须在 2000 年至 2100 年之间")
    return day
