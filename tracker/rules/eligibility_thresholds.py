"""Thresholds of the eligibility pre-checks (精准挖掘), as data keyed by the year they take effect.

Every number the checks in `tracker.rules.eligibility` compare against lives here, so a new year's
rules (or another province's) are a data change: append a `Thresholds` whose `year` is the first
evaluation year it applies to, usually built with `dataclasses.replace` from the previous set.
`thresholds_for(year)` picks the newest set whose `year` is ≤ the requested year.

Units: money in 万元 (CNY 10,000) unless the name says `_usd` (whole US dollars); ratios as
percentages (Decimal("5") means 5%). Sources as in docs/DOMAIN.md: [V] official text, [R] consistent
reposts of official text, [A] our assumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

D = Decimal


@dataclass(frozen=True)
class ScoreBand:
    """One step of a points table: a ratio of at least `at_least_pct` percent earns `points`."""

    at_least_pct: Decimal
    points: int


@dataclass(frozen=True)
class CountBand:
    """One step of a points table keyed by a count: at least `at_least` items earn `points`."""

    at_least: int
    points: int


@dataclass(frozen=True)
class RdRatioBand:
    """HNTE R&D-intensity band: latest-year sales ≤ `sales_up_to` 万元 (None: no cap) need `min_pct`."""

    sales_up_to: Decimal | None
    min_pct: Decimal


@dataclass(frozen=True)
class HnteThresholds:
    """高新技术企业认定 limits (国科发火〔2016〕32号) [R]."""

    registered_years: int  # registered at least this many years before the reference date
    # [A] Month and day in the evaluation year on which "registered ≥ 1 year" is judged when the
    # caller gives no application date: a mid-year application date; set it to the batch deadline.
    reference_month_day: tuple[int, int]
    rd_window_years: int  # R&D ÷ sales is summed over this many completed years
    st_staff_min_pct: Decimal
    rd_ratio_bands: tuple[RdRatioBand, ...]  # ascending by sales_up_to; the last has None
    rd_domestic_min_pct: Decimal
    hightech_revenue_min_pct: Decimal
    innovation_score_min: Decimal


@dataclass(frozen=True)
class TechSmeThresholds:
    """科技型中小企业评价 limits and points tables [R]."""

    staff_max: int
    revenue_max: Decimal  # 万元
    assets_max: Decimal  # 万元
    pass_score: int
    # Each table is ordered from the highest band down; below the last band scores 0.
    st_staff_bands: tuple[ScoreBand, ...]  # 科技人员 ÷ 职工总数, max 20
    rd_revenue_bands: tuple[ScoreBand, ...]  # 研发费用 ÷ 销售收入, max 50
    rd_cost_bands: tuple[ScoreBand, ...]  # 研发费用 ÷ 成本费用总额, max 50
    ip_class1_points: int  # any class I IP, max 30
    ip_class2_bands: tuple[CountBand, ...]  # class II counts when there is no class I


@dataclass(frozen=True)
class GazelleScalePath:
    """A gazelle route by size alone: founded in year ≥ Y − `founded_since_offset`, revenue ≥ `revenue_min`."""

    founded_since_offset: int
    revenue_min: Decimal  # 万元, latest completed year


@dataclass(frozen=True)
class GazelleThresholds:
    """瞪羚企业 limits (Jiangsu 2024) [R], with the plan's fixed years made relative to year Y.

    The 2024 notice names 2020 (base year), 2023 (end year) and "founded in or after 2010/2014/2019".
    For evaluation year Y they become base year Y − `base_year_offset` (2020 = 2024 − 4), end year
    Y − `end_year_offset` (2023 = 2024 − 1) and founded in or after Y − offset (2010 = 2024 − 14,
    2014 = 2024 − 10, 2019 = 2024 − 5), so the same rule rolls forward a year at a time.
    """

    st_spend_min_pct: Decimal  # strictly greater than, on the end year
    base_year_offset: int
    end_year_offset: int
    growth_founded_since_offset: int  # routes 1 and 2 (revenue growth, staff growth)
    revenue_base_min: Decimal  # 万元 in the base year
    revenue_cagr_min_pct: Decimal
    staff_base_min: int
    staff_cagr_min_pct: Decimal
    scale_paths: tuple[GazelleScalePath, ...]


@dataclass(frozen=True)
class UnicornThresholds:
    """独角兽 and 潜在独角兽 limits (Jiangsu 2025) [V]; valuations in whole US dollars or 万元."""

    unicorn_founded_within_years: int  # founded in year ≥ Y − 17
    unicorn_min_valuation_usd: Decimal  # strictly greater than
    unicorn_key_technology_min_valuation_usd: Decimal  # at least, for key-technology breakthroughs
    potential_young_within_years: int  # founded in year ≥ Y − 5
    potential_young_min_valuation_usd: Decimal  # at least
    potential_young_min_valuation_cny: Decimal  # at least, 万元: the alternative CNY figure
    potential_older_within_years: int  # founded in Y − 10 … Y − 6
    potential_older_min_valuation_usd: Decimal  # strictly greater than


@dataclass(frozen=True)
class Thresholds:
    """Every eligibility threshold in force from evaluation year `year` onwards."""

    year: int
    hnte: HnteThresholds
    tech_sme: TechSmeThresholds
    gazelle: GazelleThresholds
    unicorn: UnicornThresholds
    cny_per_usd: Decimal  # yuan per US dollar, to compare CNY valuations with USD limits


BASE = Thresholds(
    # 2016 is the year of the HNTE rules; the gazelle (2024) and unicorn (2025) criteria are applied
    # back to it because no earlier city criteria are kept here.
    year=2016,
    hnte=HnteThresholds(
        registered_years=1,
        reference_month_day=(6, 30),
        rd_window_years=3,
        st_staff_min_pct=D("10"),
        rd_ratio_bands=(
            RdRatioBand(D("5000"), D("5")),
            RdRatioBand(D("20000"), D("4")),
            RdRatioBand(None, D("3")),
        ),
        rd_domestic_min_pct=D("60"),
        hightech_revenue_min_pct=D("60"),
        innovation_score_min=D("71"),
    ),
    tech_sme=TechSmeThresholds(
        staff_max=500,
        revenue_max=D("20000"),
        assets_max=D("20000"),
        pass_score=60,
        st_staff_bands=(
            ScoreBand(D("30"), 20),
            ScoreBand(D("25"), 16),
            ScoreBand(D("20"), 12),
            ScoreBand(D("15"), 8),
            ScoreBand(D("10"), 4),
        ),
        rd_revenue_bands=(
            ScoreBand(D("6"), 50),
            ScoreBand(D("5"), 40),
            ScoreBand(D("4"), 30),
            ScoreBand(D("3"), 20),
            ScoreBand(D("2"), 10),
        ),
        rd_cost_bands=(
            ScoreBand(D("30"), 50),
            ScoreBand(D("25"), 40),
            ScoreBand(D("20"), 30),
            ScoreBand(D("15"), 20),
            ScoreBand(D("10"), 10),
        ),
        ip_class1_points=30,
        ip_class2_bands=(
            CountBand(4, 24),
            CountBand(3, 18),
            CountBand(2, 12),
            CountBand(1, 6),
        ),
    ),
    gazelle=GazelleThresholds(
        st_spend_min_pct=D("4"),
        base_year_offset=4,
        end_year_offset=1,
        growth_founded_since_offset=14,
        revenue_base_min=D("1000"),
        revenue_cagr_min_pct=D("20"),
        staff_base_min=100,
        staff_cagr_min_pct=D("30"),
        scale_paths=(
            GazelleScalePath(founded_since_offset=5, revenue_min=D("50000")),
            GazelleScalePath(founded_since_offset=10, revenue_min=D("100000")),
        ),
    ),
    unicorn=UnicornThresholds(
        unicorn_founded_within_years=17,
        unicorn_min_valuation_usd=D("1000000000"),
        unicorn_key_technology_min_valuation_usd=D("700000000"),
        potential_young_within_years=5,
        potential_young_min_valuation_usd=D("50000000"),
        potential_young_min_valuation_cny=D("30000"),
        potential_older_within_years=10,
        potential_older_min_valuation_usd=D("100000000"),
    ),
    # [A] about the 2024 average central parity; update with the year the lists are drawn up.
    cny_per_usd=D("7.12"),
)

# Oldest first. To change a rule from year N, append `dataclasses.replace(previous, year=N, ...)`.
THRESHOLD_SETS: tuple[Thresholds, ...] = (BASE,)


def thresholds_for(year: int, registry: Sequence[Thresholds] | None = None) -> Thresholds:
    """The thresholds in force for evaluation year `year`: the newest set whose year ≤ `year`.

    `registry` defaults to `THRESHOLD_SETS` (read at call time, so tests can swap it). Raises
    ValueError for a year before the oldest set, rather than silently applying rules not yet made.
    """
    sets = THRESHOLD_SETS if registry is None else registry
    candidates = [t for t in sets if t.year <= year]
    if not candidates:
        oldest = min((t.year for t in sets), default=None)
        raise ValueError(f"没有 {year} 年适用的认定条件（最早为 {oldest} 年）")
    return max(candidates, key=lambda t: t.year)
