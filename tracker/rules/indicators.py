"""The plan's 12 indicators (指标): codes, names, units and which ones have district targets.

Definitions (docs/DOMAIN.md §4) are implemented as SQL in tracker/services/indicators/definitions.py; this module is
the vocabulary both the services and the pages share.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

from tracker.rules import ladder


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

    1 (stock): in force on D. 2, 3 (cumulative): counting (granted and started) on or before D and
    not revoked by D. 4: a tech SME registration of D's evaluation year (valid_from in that year),
    counting by D, not revoked by D. A company counts once however many of its designations qualify.
    """
    if d.rung not in INDICATOR_RUNGS.get(code, ()):
        return False
    if code == HNTE:
        return ladder.in_force(d, on)
    # One date rule (docs/DOMAIN.md §1): a designation counts from the later of grant and valid_from.
    if code in (GAZELLE, UNICORNS):
        return ladder.counts_from(d) <= on and _not_revoked(d, on)
    if code == TECH_SME_REGISTERED:
        return d.valid_from.year == on.year and ladder.counts_from(d) <= on and _not_revoked(d, on)
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


# --- Pacing (docs/DOMAIN.md §4): where a figure should stand on D. Batch-driven indicators gain
# in a few months (HNTE recognitions in autumn batches, tech SME registrations in the evaluation
# window), so each is paced by the share of a year's gain that previous years had reached by D.

# A seasonal profile needs at least this many dated records over the previous years; with fewer,
# one stray record would decide the shape, and straight-line pacing is used instead.
MIN_PROFILE_RECORDS = 10
# How many previous years the profile is measured on.
PROFILE_YEARS = 3

STRAIGHT_LINE = "按时间均匀进度"
# What "the month of a record" is for each indicator, as the page names the rule it used.
PROFILE_RULE_NAMES: dict[str, str] = {
    HNTE: "按往年认定月份分布", GAZELLE: "按往年认定月份分布", UNICORNS: "按往年认定月份分布",
    TECH_SME_REGISTERED: "按往年入库月份分布", ATTRACTED: "按往年落户月份分布",
    TALENT_INNOVATION: "按往年认定月份分布", TALENT_TEAM: "按往年认定月份分布", TALENT_CITY: "按往年认定月份分布",
    CARRIER_CITY: "按往年认定月份分布", CARRIER_PROVINCE: "按往年认定月份分布",
    PLATFORM_PROVINCE: "按往年认定月份分布", SERVICE_ORGS: "按往年认定月份分布",
}


@dataclass(frozen=True)
class Pacing:
    """How an indicator is paced: cumulative share of the year's gain by the end of each month."""

    rule: str  # the Chinese name of the rule shown on the page
    by_month_end: tuple[float, ...] | None  # 12 shares, the last 1.0; None = straight line
    records: int = 0  # how many dated records the profile was measured on

    def share(self, on: dt.date) -> float:
        """Share of the year's gain expected by the end of day D (within a month: evenly)."""
        if self.by_month_end is None:
            return year_fraction(on)
        before = self.by_month_end[on.month - 2] if on.month > 1 else 0.0
        days = calendar.monthrange(on.year, on.month)[1]
        return before + (self.by_month_end[on.month - 1] - before) * on.day / days


STRAIGHT = Pacing(STRAIGHT_LINE, None)


def seasonal_pacing(code: str, counts_by_month: dict[int, int], minimum: int = MIN_PROFILE_RECORDS) -> Pacing:
    """The pacing of `code` from previous years' records counted by month (1–12 → count).

    Straight-line where there are fewer than `minimum` records (no usable history).
    """
    total = sum(max(0, n) for n in counts_by_month.values())
    if total < minimum:
        return STRAIGHT
    running, shares = 0, []
    for month in range(1, 13):
        running += max(0, counts_by_month.get(month, 0))
        shares.append(running / total)
    return Pacing(PROFILE_RULE_NAMES.get(code, STRAIGHT_LINE), tuple(shares), total)


def expected_by(
    code: str, target: int | None, baseline: int | None, on: dt.date, pacing: Pacing | None = None,
) -> float | None:
    """Where the indicator should stand on D, moving from its start towards the target at its pace.

    Flows and yearly registrations start from zero; stocks and cumulative counts start from last
    year's closing figure (`baseline`), so an HNTE count that merely held still is behind. The
    share of the way done by D is the indicator's seasonal profile (`pacing`), else time elapsed.
    """
    if target is None:
        return None
    start = (baseline or 0) if code in CARRIES_OVER else 0
    return start + (target - start) * (pacing or STRAIGHT).share(on)


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


# A district's own conversion rate is used once it rests on at least this many decided tracks
# of last year; below that one good or bad batch swings it wildly, so the city's rate is used.
MIN_DECIDED_FOR_DISTRICT_RATE = 20

RATE_SOURCE_NAMES: dict[str, str] = {"district": "本辖区", "city": "全市", "none": "无数据"}


@dataclass(frozen=True)
class Rate:
    """A measured conversion rate and where it comes from (the district's, else the city's)."""

    value: float | None
    source: str  # district | city | none
    decided: int  # how many tracks it was measured on

    @property
    def label(self) -> str:
        """The rate in % with its source, e.g. "60%（全市，35 条）"."""
        if self.value is None:
            return "0%（上年无已评审的申报）"
        return f"{self.value:.0%}（{RATE_SOURCE_NAMES[self.source]}，{self.decided} 条）"

    def to_dict(self) -> dict:
        """JSON form: the rate (0–1 or null), its source and its base."""
        return {"value": None if self.value is None else round(self.value, 4), "source": self.source,
                "decided": self.decided}


def choose_rate(
    district: tuple[int, int] | None, city: tuple[int, int], minimum: int = MIN_DECIDED_FOR_DISTRICT_RATE,
) -> Rate:
    """The district's rate from (successes, decided) when it rests on ≥ `minimum` tracks, else the city's."""
    if district is not None and district[1] >= minimum:
        return Rate(district[0] / district[1], "district", district[1])
    if city[1]:
        return Rate(city[0] / city[1], "city", city[1])
    return Rate(None, "none", 0)


@dataclass(frozen=True)
class Projection:
    """Year-end estimate of indicators 1–4 (docs/DOMAIN.md §4), each part named.

    year_end = today − lapsing (everything counted today that stops counting by 31 Dec)
             + re-applications submitted × the re-certification rate
             + first applications submitted × the first-application rate.
    A lapsing certificate with a re-application comes back only through its re-application, so a
    re-applicant is never counted both in today's figure and in "submitted × rate".
    """

    today_value: int
    lapsing_without_reapplication: int
    lapsing_with_reapplication: int
    reapplications_submitted: int
    recertification_rate: Rate
    first_applications_submitted: int
    first_application_rate: Rate

    @property
    def expiring(self) -> int:
        """Everything counted today that stops counting by 31 Dec."""
        return self.lapsing_without_reapplication + self.lapsing_with_reapplication

    @property
    def exact(self) -> float:
        """The estimate before rounding."""
        return (
            self.today_value - self.expiring
            + self.reapplications_submitted * (self.recertification_rate.value or 0.0)
            + self.first_applications_submitted * (self.first_application_rate.value or 0.0)
        )

    @property
    def value(self) -> int:
        """The estimate rounded half up to whole companies (四舍五入), never below zero."""
        return max(0, math.floor(self.exact + 0.5 + 1e-9))

    @property
    def formula(self) -> str:
        """The arithmetic with the numbers filled in, shown beside the estimate."""
        return (
            f"{self.today_value} − {self.lapsing_without_reapplication} − {self.lapsing_with_reapplication}"
            f" + {self.reapplications_submitted} × {self.recertification_rate.label}"
            f" + {self.first_applications_submitted} × {self.first_application_rate.label} ≈ {self.value}"
        )

    def to_dict(self) -> dict:
        """The JSON `projection` object: the result and each of its parts."""
        return {
            "year_end": self.value,
            "today": self.today_value,
            "lapsing_without_reapplication": self.lapsing_without_reapplication,
            "lapsing_with_reapplication": self.lapsing_with_reapplication,
            "reapplications_submitted": self.reapplications_submitted,
            "recertification_rate": self.recertification_rate.to_dict(),
            "first_applications_submitted": self.first_applications_submitted,
            "first_application_rate": self.first_application_rate.to_dict(),
            "formula": self.formula,
        }


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


# --- The gap plan (缺口分析, docs/DOMAIN.md §4): what a scope must still do to reach a target.

@dataclass(frozen=True)
class PipelineLine:
    """Open tracks at one status and of one kind, and the share of such tracks recognised last year."""

    status: str  # submitted | key | pool
    kind: str  # re | first
    count: int
    rate: Rate

    @property
    def expected(self) -> float:
        """How many of them should end recognised."""
        return self.count * (self.rate.value or 0.0)


@dataclass(frozen=True)
class GapSource:
    """Where more recognitions could come from: how many companies, and how many that should give."""

    key: str  # lapsing | pipeline | candidates
    label: str
    count: int | None  # None: could not be evaluated
    gain: float


@dataclass(frozen=True)
class GapPlan:
    """One indicator and target year: today − lapsing + pipeline × rates → projected; target − projected → needed."""

    code: str
    year: int
    target: int | None
    today_value: int
    lapsing_without_reapplication: int
    lapsing_with_reapplication: int
    pipeline: tuple[PipelineLine, ...]
    sources: tuple[GapSource, ...]

    @property
    def base(self) -> int:
        """Still counted on 31 Dec of the year by the designations on record."""
        return self.today_value - self.lapsing_without_reapplication - self.lapsing_with_reapplication

    @property
    def pipeline_expected(self) -> float:
        """Recognitions the open tracks should bring at last year's rates."""
        return sum(line.expected for line in self.pipeline)

    @property
    def projected(self) -> int:
        """The year-end figure expected from what is on record and on the lists (rounded half up)."""
        return max(0, math.floor(self.base + self.pipeline_expected + 0.5 + 1e-9))

    @property
    def needed(self) -> int | None:
        """How many more recognitions are needed beyond the projection (None without a target)."""
        return None if self.target is None else max(self.target - self.projected, 0)

    @property
    def sources_gain(self) -> float:
        """What the sources could add if every company in them applied."""
        return sum(s.gain for s in self.sources)

    @property
    def remaining(self) -> int | None:
        """What is still missing after every source (None without a target)."""
        if self.needed is None:
            return None
        return max(0, math.ceil(self.needed - self.sources_gain - 1e-9))

    @property
    def formula(self) -> str:
        """The arithmetic with the numbers filled in."""
        parts = " + ".join(f"{line.count} × {line.rate.value or 0:.0%}" for line in self.pipeline if line.count)
        text = (f"{self.today_value} − {self.lapsing_without_reapplication} − {self.lapsing_with_reapplication}"
                f" + （{parts or '0'}）≈ {self.projected}")
        if self.target is not None:
            text += f"；目标 {self.target} − {self.projected} = 还需 {self.needed}"
        return text


def gap_sources(
    lapsing_without: int, pipeline: tuple[PipelineLine, ...], candidates: int | None,
    recertification: Rate, first_application: Rate,
) -> tuple[GapSource, ...]:
    """Where the missing recognitions could come from, in the order a manager should act.

    1. Certificates lapsing without a re-application: file one (× the re-certification rate).
    2. Tracks still at 储备/重点培育: bring them to 已申报 (the gain is the rise from their own
       rate to the submitted rate of their kind).
    3. Ready candidates on no list: add and file them (× the first-application rate).
    """
    submitted = {"re": recertification.value or 0.0, "first": first_application.value or 0.0}
    early = [line for line in pipeline if line.status != "submitted"]
    return (
        GapSource("lapsing", "到期未申请重新认定：补建重新认定培育记录并申报", lapsing_without,
                  lapsing_without * submitted["re"]),
        GapSource("pipeline", "储备、重点培育企业：推动按期申报", sum(line.count for line in early),
                  sum(line.count * max(submitted[line.kind] - (line.rate.value or 0.0), 0.0) for line in early)),
        GapSource("candidates", "符合条件、尚未纳入培育名单的企业：纳入名单并申报", candidates,
                  (candidates or 0) * submitted["first"]),
    )
