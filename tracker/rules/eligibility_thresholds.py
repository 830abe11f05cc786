"""Thresholds of the eligibility pre-checks (精准挖掘), as data keyed by the year they take effect.

Every number the checks in `tracker.rules.eligibility` compare against lives here, so a new year's
rules (or another province's) are a data change: append a `Thresholds` whose `year` is the first
evaluation year it applies to, usually built with `dataclasses.replace` from the previous set.
`thresholds_for(year)` picks the newest set whose `year` is ≤ the requested year.

Units: money in 万元 (CNY 10,000) unless the name says `_usd` (whole US dollars); ratios as
percentages (Decimal("5") means 5%). Sources as in docs/DOMAIN.md: [V] official text, [R] consistent
reposts of official text, [A] our assumption.

The HNTE bars are `Bar`s: a value, its comparison operator and the text it comes from, so a rule
that changes "不低于" into "高于" in some year is a data change too. How the operators were read:
Chinese regulatory usage makes "以上/以下/以内/不低于/不超过" include the number itself
(《中华人民共和国民法典》第一千二百五十九条: 民法所称的"以上""以下""以内""届满"，包括本数；
所称的"不满""超过""以外"，不包括本数), unless the text itself says otherwise — as the 工作指引
does for the innovation score ("70分以上（不含70分）"), so 70 itself does not pass.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

D = Decimal

_OPERATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
OPERATOR_SYMBOLS = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}

HNTE_RULES = "《高新技术企业认定管理办法》（国科发火〔2016〕32号）"
HNTE_GUIDE = "《高新技术企业认定管理工作指引》（国科发火〔2016〕195号）"
TECH_SME_RULES = "《科技型中小企业评价办法》（国科发区〔2022〕2号）"
# [R] The provincial criteria as docs/DOMAIN.md §6 states them; the notices' article numbers are
# not kept here.
GAZELLE_RULES = "江苏省瞪羚企业评价条件（2024 年）"
UNICORN_RULES = "江苏省独角兽企业、潜在独角兽企业评价条件（2025 年）"
CIVIL_CODE_1259 = (
    "《中华人民共和国民法典》第一千二百五十九条：民法所称的“以上”“以下”“以内”“届满”，包括本数；"
    "所称的“不满”“超过”“以外”，不包括本数"
)


@dataclass(frozen=True)
class Bar:
    """One threshold: `value`, how a figure is compared with it (`op`) and where it is written.

    `op` is one of ">=", ">", "<=", "<" and reads "figure op value" (for a ratio, the ratio in
    percent). `source` names the document and article, with the words the operator comes from.
    """

    value: Decimal
    op: str
    source: str

    def __post_init__(self) -> None:
        if self.op not in _OPERATORS:
            raise ValueError(f"未知的比较方式：{self.op}")

    @property
    def symbol(self) -> str:
        """The operator as shown to people: ≥, >, ≤ or <."""
        return OPERATOR_SYMBOLS[self.op]

    def passes(self, figure: Any, value: Any = None) -> bool:
        """Whether `figure op value` holds (`value` defaults to the bar's; pass it scaled when
        comparing by cross-multiplication, e.g. num × 100 against value × den)."""
        return _OPERATORS[self.op](figure, self.value if value is None else value)


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
    """HNTE R&D-intensity band: latest-year sales ≤ `sales_up_to` 万元 (None: no cap; the upper
    bound is included, "5,000万元（含）") need a three-year R&D ÷ sales `ratio` (percent)."""

    sales_up_to: Decimal | None
    ratio: Bar

    @property
    def min_pct(self) -> Decimal:
        """The band's bar in percent (its value)."""
        return self.ratio.value


@dataclass(frozen=True)
class HnteThresholds:
    """高新技术企业认定 limits (国科发火〔2016〕32号 第十一条, 工作指引) [R]; each bar with its source."""

    registered_years: Bar  # whole years from founding to the reference date
    # [A] Month and day in the evaluation year on which "registered ≥ 1 year" is judged when the
    # caller gives no application date: a mid-year application date; set it to the batch deadline.
    reference_month_day: tuple[int, int]
    rd_window_years: int  # R&D ÷ sales is summed over this many completed years (第十一条（五）)
    st_staff_ratio: Bar  # S&T staff ÷ staff, percent
    rd_ratio_bands: tuple[RdRatioBand, ...]  # ascending by sales_up_to; the last has None
    rd_domestic_ratio: Bar  # domestic R&D ÷ R&D over the window, percent
    hightech_revenue_ratio: Bar  # high-tech revenue ÷ total income, percent
    innovation_score: Bar  # 企业创新能力评价 total, points
    key_field_source: str  # technology within 《国家重点支持的高新技术领域》 (yes/no)
    no_major_incident_source: str  # no major safety/quality incident or serious environmental offence

    # The names the checks used before the bars carried their operators (kept for callers).
    @property
    def st_staff_min_pct(self) -> Decimal:
        """The S&T staff bar's value in percent."""
        return self.st_staff_ratio.value

    @property
    def rd_domestic_min_pct(self) -> Decimal:
        """The domestic R&D bar's value in percent."""
        return self.rd_domestic_ratio.value

    @property
    def hightech_revenue_min_pct(self) -> Decimal:
        """The high-tech revenue bar's value in percent."""
        return self.hightech_revenue_ratio.value


@dataclass(frozen=True)
class TechSmeThresholds:
    """科技型中小企业评价 limits and points tables [R] (《科技型中小企业评价办法》国科发区〔2022〕2号)."""

    staff_cap: Bar  # 职工总数, people
    revenue_cap: Bar  # 年销售收入, 万元
    assets_cap: Bar  # 资产总额, 万元
    pass_mark: Bar  # the total score, points (the S&T staff part must also be above 0)
    bands_source: str  # where the points tables below come from; every band reads "(含)": at least
    # Each table is ordered from the highest band down; below the last band scores 0.
    st_staff_bands: tuple[ScoreBand, ...]  # 科技人员 ÷ 职工总数, max 20
    rd_revenue_bands: tuple[ScoreBand, ...]  # 研发费用 ÷ 销售收入, max 50
    rd_cost_bands: tuple[ScoreBand, ...]  # 研发费用 ÷ 成本费用总额, max 50
    ip_class1_points: int  # any class I IP, max 30
    ip_class2_bands: tuple[CountBand, ...]  # class II counts when there is no class I
    direct_source: str  # a valid HNTE certificate qualifies directly (直接确认)

    @property
    def staff_max(self) -> int:
        """The staff cap's value."""
        return int(self.staff_cap.value)

    @property
    def revenue_max(self) -> Decimal:
        """The sales cap's value, 万元."""
        return self.revenue_cap.value

    @property
    def assets_max(self) -> Decimal:
        """The total assets cap's value, 万元."""
        return self.assets_cap.value

    @property
    def pass_score(self) -> int:
        """The pass mark's value, points."""
        return int(self.pass_mark.value)


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

    st_spend_ratio: Bar  # S&T spend ÷ revenue in the end year, percent
    source: str  # where the growth routes below come from (each reads "at least": ≥)
    base_year_offset: int
    end_year_offset: int
    growth_founded_since_offset: int  # routes 1 and 2 (revenue growth, staff growth)
    revenue_base_min: Decimal  # 万元 in the base year
    revenue_cagr_min_pct: Decimal
    staff_base_min: int
    staff_cagr_min_pct: Decimal
    scale_paths: tuple[GazelleScalePath, ...]

    @property
    def st_spend_min_pct(self) -> Decimal:
        """The S&T spend bar's value in percent."""
        return self.st_spend_ratio.value


@dataclass(frozen=True)
class UnicornThresholds:
    """独角兽 and 潜在独角兽 limits (Jiangsu 2025) [V]; valuations in whole US dollars or 万元."""

    unicorn_founded_within_years: int  # founded in year ≥ Y − 17
    unicorn_valuation_usd: Bar
    unicorn_key_technology_valuation_usd: Bar  # for key-technology breakthroughs
    potential_young_within_years: int  # founded in year ≥ Y − 5
    potential_young_valuation_usd: Bar
    potential_young_valuation_cny: Bar  # 万元: the alternative CNY figure
    potential_older_within_years: int  # founded in Y − 10 … Y − 6
    potential_older_valuation_usd: Bar

    @property
    def unicorn_min_valuation_usd(self) -> Decimal:
        """The unicorn valuation bar, whole US dollars."""
        return self.unicorn_valuation_usd.value

    @property
    def unicorn_key_technology_min_valuation_usd(self) -> Decimal:
        """The key-technology unicorn valuation bar, whole US dollars."""
        return self.unicorn_key_technology_valuation_usd.value

    @property
    def potential_young_min_valuation_usd(self) -> Decimal:
        """The young potential unicorn's dollar bar."""
        return self.potential_young_valuation_usd.value

    @property
    def potential_young_min_valuation_cny(self) -> Decimal:
        """The young potential unicorn's yuan bar, 万元."""
        return self.potential_young_valuation_cny.value

    @property
    def potential_older_min_valuation_usd(self) -> Decimal:
        """The older potential unicorn's dollar bar."""
        return self.potential_older_valuation_usd.value


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
        registered_years=Bar(D("1"), ">=", f"{HNTE_RULES}第十一条（一）：“企业申请认定时须注册成立一年以上”"),
        reference_month_day=(6, 30),
        rd_window_years=3,
        st_staff_ratio=Bar(
            D("10"), ">=",
            f"{HNTE_RULES}第十一条（四）：科技人员“占企业当年职工总数的比例不低于10%”",
        ),
        rd_ratio_bands=(
            RdRatioBand(D("5000"), Bar(
                D("5"), ">=",
                f"{HNTE_RULES}第十一条（五）1：“最近一年销售收入小于5,000万元（含）的企业，比例不低于5%”",
            )),
            RdRatioBand(D("20000"), Bar(
                D("4"), ">=",
                f"{HNTE_RULES}第十一条（五）2：“最近一年销售收入在5,000万元至2亿元（含）的企业，比例不低于4%”",
            )),
            RdRatioBand(None, Bar(
                D("3"), ">=",
                f"{HNTE_RULES}第十一条（五）3：“最近一年销售收入在2亿元以上的企业，比例不低于3%”",
            )),
        ),
        rd_domestic_ratio=Bar(
            D("60"), ">=",
            f"{HNTE_RULES}第十一条（五）：境内研究开发费用“占全部研究开发费用总额的比例不低于60%”",
        ),
        hightech_revenue_ratio=Bar(
            D("60"), ">=",
            f"{HNTE_RULES}第十一条（六）：“近一年高新技术产品（服务）收入占企业同期总收入的比例不低于60%”",
        ),
        innovation_score=Bar(
            D("70"), ">",
            f"{HNTE_RULES}第十一条（七）；{HNTE_GUIDE}“十、企业创新能力评价”：“各级指标均按整数打分，"
            "满分为100分，综合得分达到70分以上（不含70分）为符合认定要求”。"
            f"“以上”本身包括本数（{CIVIL_CODE_1259}），但指引明写“不含70分”，故 70 分不符合、71 分符合",
        ),
        key_field_source=(
            f"{HNTE_RULES}第十一条（三）：“对企业主要产品（服务）发挥核心支持作用的技术属于"
            "《国家重点支持的高新技术领域》规定的范围”"
        ),
        no_major_incident_source=(
            f"{HNTE_RULES}第十一条（八）：“企业申请认定前一年内未发生重大安全、重大质量事故或严重环境违法行为”"
            "（按申报年度的上一年度记录判断）"
        ),
    ),
    tech_sme=TechSmeThresholds(
        staff_cap=Bar(D("500"), "<=", f"{TECH_SME_RULES}第六条（二）：“职工总数不超过500人”"),
        revenue_cap=Bar(D("20000"), "<=", f"{TECH_SME_RULES}第六条（二）：“年销售收入不超过2亿元”"),
        assets_cap=Bar(D("20000"), "<=", f"{TECH_SME_RULES}第六条（二）：“资产总额不超过2亿元”"),
        pass_mark=Bar(
            D("60"), ">=",
            f"{TECH_SME_RULES}第六条（五）：“综合评价所得分值不低于60分，且科技人员指标得分不得为0分”",
        ),
        bands_source=(
            f"{TECH_SME_RULES}第七条：科技人员（满分20分）、研发投入（满分50分，两项取一）、科技成果（满分30分），"
            "各档“（含）以上”"
        ),
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
        direct_source=(
            f"{TECH_SME_RULES}：符合第六条第（一）至（四）项条件、且“企业拥有有效期内高新技术企业资格证书”的，"
            "直接确认符合科技型中小企业条件"
        ),
    ),
    gazelle=GazelleThresholds(
        st_spend_ratio=Bar(D("4"), ">", f"{GAZELLE_RULES}：科技投入占营业收入比例高于 4%（不含 4%）"),
        source=f"{GAZELLE_RULES}：营收成长、人员成长及规模路径（基数与增长率均为“不低于”）",
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
        unicorn_valuation_usd=Bar(D("1000000000"), ">", f"{UNICORN_RULES}：独角兽企业估值超过 10 亿美元"),
        unicorn_key_technology_valuation_usd=Bar(
            D("700000000"), ">=", f"{UNICORN_RULES}：取得关键核心技术突破的，估值 7 亿美元以上（含）"
        ),
        potential_young_within_years=5,
        potential_young_valuation_usd=Bar(
            D("50000000"), ">=", f"{UNICORN_RULES}：成立 5 年以内，估值 5000 万美元以上（含）"
        ),
        potential_young_valuation_cny=Bar(
            D("30000"), ">=", f"{UNICORN_RULES}：成立 5 年以内，或估值 3 亿元人民币以上（含）"
        ),
        potential_older_within_years=10,
        potential_older_valuation_usd=Bar(
            D("100000000"), ">", f"{UNICORN_RULES}：成立 6–10 年，估值超过 1 亿美元"
        ),
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
