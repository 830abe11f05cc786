"""Eligibility pre-checks (精准挖掘): could a company reach a rung of the ladder in a given year?

Each check takes a company's facts (founding date, yearly figures, whether it holds a valid HNTE
certificate) and an evaluation year Y, and lists every condition of the rung as met, failed or
unknown (for lack of data). Missing data never fails a condition; a condition whose outcome is
already settled by the data present (e.g. a tech SME score that passes whatever the missing
figure is) is decided rather than left unknown.

Which years are read, for evaluation year Y (an application or list made during Y):
- every single-year figure comes from the latest completed year, Y − 1;
- HNTE three-year sums (R&D ÷ sales, domestic R&D share) use Y − 3, Y − 2 and Y − 1; a company
  founded inside that window is judged on the years since its founding year, as the national rule
  does ("实际经营期不满三年的按实际经营时间计算"), and the condition's detail says so;
- gazelle growth runs from base year Y − 4 to end year Y − 1 (2020 → 2023 for the 2024 notice);
- "founded within N years" compares founding *years*: founded in year ≥ Y − N;
- a gazelle growth route whose base year Y − 4 precedes the founding year fails (the company
  cannot have base-year figures), rather than waiting for them.
Money is in 万元 (CNY 10,000); valuations are 万元 CNY and are converted with the thresholds'
`cny_per_usd` where the rule is in US dollars. All arithmetic is Decimal; ratios are compared by
cross-multiplication so a value exactly on a threshold is never lost to rounding.

Pure Python by design (see tracker/rules/__init__.py): thresholds live in
`tracker.rules.eligibility_thresholds` and are chosen by year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterable, Mapping

from tracker.rules.eligibility_thresholds import (
    Bar,
    CountBand,
    GazelleThresholds,
    RdRatioBand,
    ScoreBand,
    Thresholds,
    thresholds_for,
)
from tracker.rules.figures import FIELD_NAMES as FIGURE_LABELS
from tracker.rules.ladder import RUNG_CODES

MET = "met"
FAILED = "failed"
UNKNOWN = "unknown"
STATUS_NAMES = {MET: "满足", FAILED: "不满足", UNKNOWN: "数据不足"}

_FIELD_NAMES = {
    "staff_count": "职工总数",
    "st_staff_count": "科技人员数",
    "revenue": "营业收入",
    "rd_expense": "研发费用",
    "rd_expense_domestic": "境内研发费用",
    "total_cost": "成本费用总额",
    "total_assets": "资产总额",
    "hightech_revenue": "高新技术产品（服务）收入",
    "ip_class1_count": "I 类知识产权数",
    "ip_class2_count": "II 类知识产权数",
    "valuation": "估值",
    "financing_amount": "股权融资额",
    "is_listed": "上市状态",
    "innovation_score": "创新能力评价得分",
    # The declarations are named as the figures form and import template name them.
    "key_field": FIGURE_LABELS["key_field"],
    "major_incident": FIGURE_LABELS["major_incident"],
}


# --------------------------------------------------------------------------- inputs and results


@dataclass(frozen=True)
class YearFigures:
    """One company's figures for one year (企业年度数据); None means unknown. Money in 万元."""

    year: int
    staff_count: int | None = None  # 职工总数
    st_staff_count: int | None = None  # 科技人员数
    revenue: Decimal | None = None  # 营业收入 (sales)
    rd_expense: Decimal | None = None  # 研发费用
    rd_expense_domestic: Decimal | None = None  # 境内研发费用
    total_cost: Decimal | None = None  # 成本费用总额
    total_assets: Decimal | None = None  # 资产总额
    hightech_revenue: Decimal | None = None  # 高新技术产品(服务)收入
    ip_class1_count: int | None = None  # I类知识产权 (发明专利等)
    ip_class2_count: int | None = None  # II类知识产权
    valuation: Decimal | None = None  # 估值, 万元人民币
    financing_amount: Decimal | None = None  # 当年股权融资额
    is_listed: bool | None = None  # 是否上市
    innovation_score: Decimal | None = None  # HNTE 创新能力评价得分 (0-100)
    # HNTE declarations recorded per year (yes/no), read from the year before applying:
    key_field: bool | None = None  # 主要产品（服务）的核心技术属于《国家重点支持的高新技术领域》
    major_incident: bool | None = None  # 该年度发生重大安全、重大质量事故或严重环境违法行为


@dataclass(frozen=True)
class CompanyFacts:
    """What the checks know about a company: founding date, figures by year, a valid 高企 certificate."""

    founded_on: dt.date | None
    figures: Mapping[int, YearFigures] = field(default_factory=dict)
    holds_valid_hnte: bool = False  # qualifies a tech SME directly (直接确认)


@dataclass(frozen=True)
class Condition:
    """One condition of a rung, with the numbers it was judged on (Chinese, for display)."""

    code: str
    label: str
    detail: str
    status: str  # MET | FAILED | UNKNOWN
    # A yes/no the company declares and an officer records (not a figure): while unrecorded it
    # is unknown, but it does not count towards how far a company is from the rung (see
    # EligibilityResult.missing_count), so recording it is the work a candidate list asks for.
    declaration: bool = False


@dataclass(frozen=True)
class EligibilityResult:
    """The outcome of one rung's pre-check for one evaluation year."""

    rung: str
    year: int
    conditions: tuple[Condition, ...]
    score: Decimal | None = None  # tech SME score where it is fully determined, else None
    notes: tuple[str, ...] = ()  # what the result approximates (e.g. total income by revenue)

    @property
    def met(self) -> tuple[Condition, ...]:
        """Conditions the data shows are satisfied."""
        return tuple(c for c in self.conditions if c.status == MET)

    @property
    def failed(self) -> tuple[Condition, ...]:
        """Conditions the data shows are not satisfied."""
        return tuple(c for c in self.conditions if c.status == FAILED)

    @property
    def unknown(self) -> tuple[Condition, ...]:
        """Conditions that cannot be judged for lack of data."""
        return tuple(c for c in self.conditions if c.status == UNKNOWN)

    @property
    def pending(self) -> tuple[Condition, ...]:
        """Declarations (yes/no recorded per company and year) that are not recorded yet."""
        return tuple(c for c in self.conditions if c.status == UNKNOWN and c.declaration)

    @property
    def eligible(self) -> bool | None:
        """True when every condition is met, False when any failed, None when only data is missing."""
        if self.failed:
            return False
        if self.unknown:
            return None
        return True

    @property
    def missing_count(self) -> int:
        """Conditions not yet shown to be met (failed + unknown), fewer meaning closer, for ranking.

        Unrecorded declarations (`pending`) are left out: every company lacks them until an
        officer asks, so counting them would push every company out of "差一项" lists.
        """
        return len(self.failed) + len(self.unknown) - len(self.pending)

    def condition(self, code: str) -> Condition:
        """The condition with machine code `code` (KeyError if the rung has none)."""
        for c in self.conditions:
            if c.code == code:
                return c
        raise KeyError(code)


# --------------------------------------------------------------------------- small helpers


def _dec(value: Any) -> Decimal | None:
    # Callers may hand in ints (or, carelessly, floats); str() keeps 0.1 from becoming 0.1000000000000000055.
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(value)


def _num(value: Any) -> str:
    d = Decimal(value) if not isinstance(value, Decimal) else value
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}"


def _pct(num: Decimal | int, den: Decimal | int) -> str:
    ratio = Decimal(num) * 100 / Decimal(den)
    return f"{ratio.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def _bar_status(num: Any, den: Any, bar: Bar) -> str:
    """met/failed/unknown for (num ÷ den in percent) `bar.op` `bar.value`, exact in Decimal."""
    num, den = _dec(num), _dec(den)
    if num is None or den is None:
        return UNKNOWN
    if den <= 0:
        return FAILED
    return MET if bar.passes(num * 100, bar.value * den) else FAILED


def _band_points(num: Any, den: Any, bands: Iterable[ScoreBand]) -> int:
    num, den = _dec(num), _dec(den)
    if num is None or den is None or den <= 0:
        return 0
    for band in bands:
        if num * 100 >= band.at_least_pct * den:
            return band.points
    return 0


def _all(statuses: Iterable[str]) -> str:
    """Three-valued AND: failed beats unknown beats met."""
    items = list(statuses)
    if FAILED in items:
        return FAILED
    if UNKNOWN in items:
        return UNKNOWN
    return MET


def _any(statuses: Iterable[str]) -> str:
    """Three-valued OR: met beats unknown beats failed."""
    items = list(statuses)
    if MET in items:
        return MET
    if UNKNOWN in items:
        return UNKNOWN
    return FAILED


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 Feb in a non-leap year
        return day.replace(year=day.year + years, day=28)


_COUNT_FIELDS = frozenset({
    "staff_count", "st_staff_count", "ip_class1_count", "ip_class2_count", "is_listed",
    "key_field", "major_incident",
})


def _value(facts: CompanyFacts, year: int, name: str) -> Any:
    figures = facts.figures.get(year)
    if figures is None:
        return None
    value = getattr(figures, name)
    # Counts and flags stay as they are; money and scores become Decimal whatever was passed in.
    return value if name in _COUNT_FIELDS else _dec(value)


def _missing(facts: CompanyFacts, years: Iterable[int], names: Iterable[str]) -> list[str]:
    names = list(names)
    return [
        f"{y} 年{_FIELD_NAMES[n]}" for y in years for n in names if _value(facts, y, n) is None
    ]


def _missing_text(missing: list[str]) -> str:
    return "缺少 " + "、".join(missing)


def _span(years: list[int]) -> str:
    if len(years) == 1:
        return f"{years[0]} 年"
    return f"{years[0]}–{years[-1]} 年"


def _usd(amount: Decimal) -> str:
    """A dollar amount the way the rules write it: 亿美元 from 100M up, else 万美元."""
    if amount >= Decimal("100000000"):
        return f"{_num(amount / Decimal('100000000'))} 亿美元"
    return f"{_num(amount / Decimal('10000'))} 万美元"


def _usd_of(valuation_wan_cny: Decimal, rate: Decimal) -> str:
    usd = valuation_wan_cny * 10000 / rate
    if usd >= Decimal("100000000"):
        return f"{(usd / Decimal('100000000')).quantize(Decimal('0.01'), ROUND_HALF_UP):,} 亿美元"
    return f"{(usd / Decimal('10000')).quantize(Decimal('0.01'), ROUND_HALF_UP):,} 万美元"


def _founded_since(facts: CompanyFacts, since_year: int) -> tuple[str, str]:
    if facts.founded_on is None:
        return UNKNOWN, "成立日期未知"
    status = MET if facts.founded_on.year >= since_year else FAILED
    return status, f"成立于 {facts.founded_on.isoformat()}"


# --------------------------------------------------------------------------- HNTE 高新技术企业


def _rd_band(bands: tuple[RdRatioBand, ...], sales: Decimal) -> RdRatioBand:
    for band in bands:
        if band.sales_up_to is None or sales <= band.sales_up_to:
            return band
    return bands[-1]


def _rd_band_text(bands: tuple[RdRatioBand, ...], band: RdRatioBand) -> str:
    index = bands.index(band)
    lower = bands[index - 1].sales_up_to if index > 0 else None
    if band.sales_up_to is None:
        return f"最近一年销售收入 > {_num(lower)} 万元" if lower is not None else "任意销售收入"
    if lower is None:
        return f"最近一年销售收入 ≤ {_num(band.sales_up_to)} 万元"
    return f"最近一年销售收入 {_num(lower)}–{_num(band.sales_up_to)} 万元"


def hnte_window(facts: CompanyFacts, year: int, thresholds: Thresholds | None = None) -> tuple[list[int], str]:
    """The completed years HNTE three-year sums use for evaluation year `year`, and a note if shortened.

    Normally Y − 3 … Y − 1; a company founded inside that window counts from its founding year.
    When the founding date is unknown all three years are used (missing figures then read as unknown).
    """
    t = thresholds or thresholds_for(year)
    years = list(range(year - t.hnte.rd_window_years, year))
    note = ""
    if facts.founded_on is not None:
        kept = [y for y in years if y >= facts.founded_on.year]
        if len(kept) < len(years):
            note = (
                f"成立于 {facts.founded_on.year} 年，不满 {t.hnte.rd_window_years} 个会计年度，"
                "按实际经营年度计算"
            )
        years = kept
    return years, note


def check_hnte(
    facts: CompanyFacts,
    year: int,
    thresholds: Thresholds | None = None,
    *,
    as_of: dt.date | None = None,
) -> EligibilityResult:
    """Pre-check for 高新技术企业认定 (国科发火〔2016〕32号) in evaluation year `year`.

    `as_of` is the application date for "registered ≥ 1 year"; by default the thresholds'
    reference day in `year`. Single-year figures come from Y − 1, three-year sums from `hnte_window`.
    High-tech revenue is compared with 营业收入, the closest figure we hold to the rule's 总收入;
    the condition and `notes` say so. The two declarations of 第十一条（三）and（八）(key supported
    field; no major incident in the year before applying) are read from Y − 1's figures and stay
    unknown, and `pending`, until recorded. Each bar, operator and source is in `thresholds.hnte`.
    """
    t = thresholds or thresholds_for(year)
    h = t.hnte
    latest = year - 1
    reference = as_of or dt.date(year, *h.reference_month_day)
    conditions: list[Condition] = []

    # Registered at least N years before the application date.
    registered_years = int(h.registered_years.value)
    label = f"注册成立满 {registered_years} 年（以 {reference.isoformat()} 计）"
    if facts.founded_on is None:
        conditions.append(Condition("registered_one_year", label, "成立日期未知", UNKNOWN))
    else:
        ok = h.registered_years.passes(reference, _add_years(facts.founded_on, registered_years))
        verdict = "已满" if ok else "未满"
        conditions.append(Condition(
            "registered_one_year", label,
            f"成立于 {facts.founded_on.isoformat()}，至 {reference.isoformat()} {verdict} "
            f"{registered_years} 年",
            MET if ok else FAILED,
        ))

    # S&T staff share, latest year.
    label = f"科技人员占职工总数比例 {h.st_staff_ratio.symbol} {_num(h.st_staff_ratio.value)}%"
    st, staff = _value(facts, latest, "st_staff_count"), _value(facts, latest, "staff_count")
    missing = _missing(facts, [latest], ("st_staff_count", "staff_count"))
    if missing:
        detail = _missing_text(missing)
    elif staff <= 0:
        detail = f"{latest} 年职工总数为 0"
    else:
        detail = f"{latest} 年科技人员 {_num(st)} 人 / 职工总数 {_num(staff)} 人 = {_pct(st, staff)}"
    conditions.append(Condition("st_staff_ratio", label, detail, _bar_status(st, staff, h.st_staff_ratio)))

    # Three-year R&D intensity, banded by the latest year's sales.
    years, note = hnte_window(facts, year, t)
    latest_sales = _value(facts, latest, "revenue") if years else None
    band = _rd_band(h.rd_ratio_bands, latest_sales) if latest_sales is not None else None
    if band is not None:
        label = (
            f"近三年研发费用占销售收入比例 {band.ratio.symbol} {_num(band.min_pct)}%"
            f"（{_rd_band_text(h.rd_ratio_bands, band)}）"
        )
    else:
        label = "近三年研发费用占销售收入比例达标（" + "；".join(
            f"{_rd_band_text(h.rd_ratio_bands, b)} {b.ratio.symbol} {_num(b.min_pct)}%"
            for b in h.rd_ratio_bands
        ) + "）"
    suffix = f"；{note}" if note else ""
    domestic_label = (
        f"近三年境内研发费用占研发费用总额比例 {h.rd_domestic_ratio.symbol} "
        f"{_num(h.rd_domestic_ratio.value)}%"
    )
    if not years:
        conditions.append(Condition("rd_ratio", label, "尚无完整会计年度" + suffix, UNKNOWN))
        conditions.append(Condition("rd_domestic_ratio", domestic_label, "尚无完整会计年度" + suffix, UNKNOWN))
    else:
        missing = _missing(facts, years, ("rd_expense", "revenue"))
        if missing:
            conditions.append(Condition("rd_ratio", label, _missing_text(missing) + suffix, UNKNOWN))
            rd_total = None
        else:
            rd_total = sum((_value(facts, y, "rd_expense") for y in years), Decimal(0))
            sales = sum((_value(facts, y, "revenue") for y in years), Decimal(0))
            if sales <= 0:
                detail = f"{_span(years)}销售收入合计为 0"
            else:
                detail = (
                    f"{_span(years)}研发费用 {_num(rd_total)} 万元 / 销售收入 {_num(sales)} 万元 = "
                    f"{_pct(rd_total, sales)}；最近一年（{latest}）销售收入 {_num(latest_sales)} 万元，"
                    f"适用 {band.ratio.symbol} {_num(band.min_pct)}%"
                )
            conditions.append(Condition(
                "rd_ratio", label, detail + suffix, _bar_status(rd_total, sales, band.ratio)
            ))

        # Domestic share of the same R&D.
        label = domestic_label
        missing = _missing(facts, years, ("rd_expense_domestic", "rd_expense"))
        if missing:
            conditions.append(Condition(
                "rd_domestic_ratio", label, _missing_text(missing) + suffix, UNKNOWN
            ))
        else:
            domestic = sum((_value(facts, y, "rd_expense_domestic") for y in years), Decimal(0))
            rd_total = sum((_value(facts, y, "rd_expense") for y in years), Decimal(0))
            if rd_total <= 0:
                detail = f"{_span(years)}研发费用合计为 0"
            else:
                detail = (
                    f"{_span(years)}境内研发费用 {_num(domestic)} 万元 / 研发费用 {_num(rd_total)} 万元 = "
                    f"{_pct(domestic, rd_total)}"
                )
            conditions.append(Condition(
                "rd_domestic_ratio", label, detail + suffix,
                _bar_status(domestic, rd_total, h.rd_domestic_ratio),
            ))

    # High-tech products and services share of total income (总收入), latest year. We hold no
    # total income (收入总额 − 不征税收入), so operating revenue stands in for it and the result says so.
    bar = h.hightech_revenue_ratio
    label = f"近一年高新技术产品（服务）收入占同期总收入比例 {bar.symbol} {_num(bar.value)}%"
    ht, revenue = _value(facts, latest, "hightech_revenue"), _value(facts, latest, "revenue")
    missing = _missing(facts, [latest], ("hightech_revenue", "revenue"))
    if missing:
        detail = _missing_text(missing)
    elif revenue <= 0:
        detail = f"{latest} 年营业收入为 0"
    else:
        detail = (
            f"{latest} 年高新技术产品（服务）收入 {_num(ht)} 万元 / 营业收入 {_num(revenue)} 万元 = "
            f"{_pct(ht, revenue)}"
        )
    conditions.append(Condition(
        "hightech_revenue_ratio", label, f"{detail}；{TOTAL_INCOME_NOTE}", _bar_status(ht, revenue, bar),
    ))

    # Core IP: at least one class I or class II item.
    label = "拥有核心自主知识产权（I 类或 II 类知识产权）"
    c1, c2 = _value(facts, latest, "ip_class1_count"), _value(facts, latest, "ip_class2_count")
    known = {k: v for k, v in (("I 类", c1), ("II 类", c2)) if v is not None}
    if any(v > 0 for v in known.values()):
        status = MET
    elif len(known) == 2:
        status = FAILED
    else:
        status = UNKNOWN
    parts = [f"{k} {v} 件" for k, v in known.items()]
    missing = _missing(facts, [latest], ("ip_class1_count", "ip_class2_count"))
    detail = f"{latest} 年 " + "、".join(parts) if parts else ""
    if missing and status == UNKNOWN:
        detail = (detail + "；" if detail else "") + _missing_text(missing)
    conditions.append(Condition("core_ip", label, detail, status))

    conditions.append(_declaration(
        facts, latest, "key_field", "主要产品（服务）的核心技术属于《国家重点支持的高新技术领域》",
        met_when=True, met_text="属于", failed_text="不属于",
    ))

    # Innovation capability score (IP 30, transfer of results 30, R&D management 20, growth 20).
    bar = h.innovation_score
    label = f"企业创新能力评价得分 {bar.symbol} {_num(bar.value)} 分"
    score = _value(facts, latest, "innovation_score")
    if score is None:
        conditions.append(Condition(
            "innovation_score", label, f"{latest} 年未做创新能力评价", UNKNOWN
        ))
    else:
        conditions.append(Condition(
            "innovation_score", label, f"{latest} 年评价得分 {_num(score)} 分",
            MET if bar.passes(score) else FAILED,
        ))

    conditions.append(_declaration(
        facts, latest, "major_incident", "申请认定前一年内未发生重大安全、重大质量事故或严重环境违法行为",
        met_when=False, met_text=f"{latest} 年未发生", failed_text=f"{latest} 年发生过",
        code="no_major_incident",
    ))

    return EligibilityResult("hnte", year, tuple(conditions), None, notes=(TOTAL_INCOME_NOTE,))


TOTAL_INCOME_NOTE = "以营业收入近似总收入（未记录总收入）"


def _declaration(
    facts: CompanyFacts, year: int, name: str, label: str, *, met_when: bool, met_text: str,
    failed_text: str, code: str | None = None,
) -> Condition:
    """A yes/no condition recorded in year `year`'s figures; unknown (and pending) until recorded."""
    value = _value(facts, year, name)
    field_name = _FIELD_NAMES[name]
    if value is None:
        return Condition(
            code or name, label,
            f"尚未记录：请在 {year} 年度数据中填写“{field_name}”（是/否）", UNKNOWN, declaration=True,
        )
    return Condition(
        code or name, label,
        f"{year} 年度数据记录：{met_text if value == met_when else failed_text}",
        MET if value == met_when else FAILED, declaration=True,
    )


# --------------------------------------------------------------------------- tech SME 科技型中小企业


@dataclass(frozen=True)
class ScorePart:
    """One of the three tech SME score items, as a range: low == high once the data settles it."""

    code: str  # "st_staff" | "rd" | "ip"
    label: str
    low: int
    high: int
    detail: str

    @property
    def points(self) -> int | None:
        """The points when known exactly, else None."""
        return self.low if self.low == self.high else None


@dataclass(frozen=True)
class TechSmeScore:
    """科技型中小企业评价得分: three parts (科技人员 20, 研发投入 50, 科技成果 30) and their sum."""

    st_staff: ScorePart
    rd: ScorePart
    ip: ScorePart

    @property
    def parts(self) -> tuple[ScorePart, ScorePart, ScorePart]:
        """The three parts in the order the rule lists them."""
        return (self.st_staff, self.rd, self.ip)

    @property
    def low(self) -> int:
        """The lowest total the missing data could give."""
        return sum(p.low for p in self.parts)

    @property
    def high(self) -> int:
        """The highest total the missing data could give."""
        return sum(p.high for p in self.parts)

    @property
    def total(self) -> Decimal | None:
        """The total score when every part is settled, else None."""
        return Decimal(self.low) if self.low == self.high else None

    def text(self) -> str:
        """The score in Chinese, e.g. "72 分（科技人员 20 + 研发投入 30 + 科技成果 22）"."""
        def one(p: ScorePart) -> str:
            return f"{p.label} {p.low}" if p.points is not None else f"{p.label} {p.low}–{p.high}"

        total = f"{self.low}" if self.total is not None else f"{self.low}–{self.high}"
        return f"{total} 分（" + " + ".join(one(p) for p in self.parts) + "）"


def _max_points(bands: Iterable[ScoreBand | CountBand]) -> int:
    return max((b.points for b in bands), default=0)


def _ratio_part(
    name_num: str, name_den: str, num: Decimal | None, den: Decimal | None, bands: tuple[ScoreBand, ...]
) -> tuple[int, int, str]:
    if num is None or den is None:
        missing = [n for n, v in ((name_num, num), (name_den, den)) if v is None]
        return 0, _max_points(bands), f"{name_num}/{name_den}：缺少{'、'.join(missing)}"
    if den <= 0:
        return 0, 0, f"{name_num}/{name_den}：{name_den}为 0，0 分"
    points = _band_points(num, den, bands)
    return points, points, (
        f"{name_num} {_num(num)} / {name_den} {_num(den)} = {_pct(num, den)}，{points} 分"
    )


def tech_sme_score(figures: YearFigures, thresholds: Thresholds | None = None) -> TechSmeScore:
    """The tech SME evaluation score (科技型中小企业评价指标) from one year's figures.

    Pass the figures of the year before the evaluation year; `thresholds` default to those of
    `figures.year + 1`. Missing figures widen a part into a range rather than scoring 0, so the
    caller can tell "fails" from "cannot tell".
    """
    t = (thresholds or thresholds_for(figures.year + 1)).tech_sme

    # 科技人员 (20): S&T staff ÷ staff.
    low, high, detail = _ratio_part(
        "科技人员", "职工总数", _dec(figures.st_staff_count), _dec(figures.staff_count), t.st_staff_bands
    )
    st_part = ScorePart("st_staff", "科技人员", low, high, detail)

    # 研发投入 (50): the better of R&D ÷ sales and R&D ÷ total cost.
    rd = _dec(figures.rd_expense)
    a = _ratio_part("研发费用", "销售收入", rd, _dec(figures.revenue), t.rd_revenue_bands)
    b = _ratio_part("研发费用", "成本费用总额", rd, _dec(figures.total_cost), t.rd_cost_bands)
    rd_part = ScorePart("rd", "研发投入", max(a[0], b[0]), max(a[1], b[1]), f"{a[2]}；{b[2]}；取高者")

    # 科技成果 (30): any class I IP scores in full; otherwise class II counts.
    c1, c2 = figures.ip_class1_count, figures.ip_class2_count
    c2_max = _max_points(t.ip_class2_bands)

    def class2_points(count: int) -> int:
        for band in t.ip_class2_bands:
            if count >= band.at_least:
                return band.points
        return 0

    if c1 is not None and c1 > 0:
        low = high = t.ip_class1_points
        detail = f"I 类知识产权 {c1} 件，{low} 分"
    elif c1 is not None:  # no class I: class II decides
        if c2 is None:
            low, high, detail = 0, c2_max, "无 I 类知识产权；缺少 II 类知识产权数"
        else:
            low = high = class2_points(c2)
            detail = f"无 I 类知识产权，II 类 {c2} 件，{low} 分"
    else:
        if c2 is None:
            low, high = 0, max(t.ip_class1_points, c2_max)
            detail = "缺少 I 类、II 类知识产权数"
        else:
            low, high = class2_points(c2), max(t.ip_class1_points, class2_points(c2))
            detail = f"缺少 I 类知识产权数，II 类 {c2} 件"
    ip_part = ScorePart("ip", "科技成果", low, high, detail)

    return TechSmeScore(st_part, rd_part, ip_part)


def _cap_condition(code: str, label: str, year: int, name: str, value: Any, cap: Bar, unit: str) -> Condition:
    label = f"{label} {cap.symbol} {_num(cap.value)} {unit}"
    if value is None:
        return Condition(code, label, f"缺少 {year} 年{name}", UNKNOWN)
    return Condition(
        code, label, f"{year} 年{name} {_num(value)} {unit}", MET if cap.passes(value) else FAILED
    )


def check_tech_sme(facts: CompanyFacts, year: int, thresholds: Thresholds | None = None) -> EligibilityResult:
    """Pre-check for 科技型中小企业评价入库 in evaluation year `year`, on the figures of Y − 1.

    Size caps always apply. A valid HNTE certificate qualifies directly (直接确认): the score
    conditions are then replaced by a met `hnte_direct` condition (the score is still reported).
    Otherwise the score must reach the pass mark and the S&T staff part must not be 0.
    """
    t = thresholds or thresholds_for(year)
    ts = t.tech_sme
    latest = year - 1
    figures = facts.figures.get(latest) or YearFigures(latest)
    conditions = [
        _cap_condition("staff_cap", "职工总数", latest, "职工总数", figures.staff_count, ts.staff_cap, "人"),
        _cap_condition(
            "revenue_cap", "年销售收入", latest, "销售收入", _dec(figures.revenue), ts.revenue_cap, "万元",
        ),
        _cap_condition(
            "assets_cap", "资产总额", latest, "资产总额", _dec(figures.total_assets), ts.assets_cap, "万元",
        ),
    ]
    score = tech_sme_score(figures, t)
    if facts.holds_valid_hnte:
        conditions.append(Condition(
            "hnte_direct",
            "持有有效高新技术企业证书，直接确认（不看评分）",
            f"持有有效高企证书，评分条件免于适用；参考评分 {score.text()}",
            MET,
        ))
    else:
        mark = ts.pass_mark
        label = f"综合评价得分 {mark.symbol} {_num(mark.value)} 分"
        detail = f"{latest} 年评分 {score.text()}；" + "；".join(p.detail for p in score.parts)
        # The score is a range while data is missing: settled when both ends agree.
        low_ok, high_ok = mark.passes(score.low), mark.passes(score.high)
        status = MET if low_ok and high_ok else (FAILED if not (low_ok or high_ok) else UNKNOWN)
        conditions.append(Condition("score", label, detail, status))

        part = score.st_staff
        status = MET if part.low > 0 else (FAILED if part.high == 0 else UNKNOWN)
        conditions.append(Condition(
            "st_staff_score", "科技人员指标得分不为 0", f"{latest} 年{part.detail}", status
        ))
    return EligibilityResult("tech_sme", year, tuple(conditions), score.total)


# --------------------------------------------------------------------------- gazelle 瞪羚企业


def _growth_check(
    base_value: Any, end_value: Any, cagr_pct: Decimal, periods: int, what: str, unit: str,
    base_year: int, end_year: int,
) -> tuple[str, str]:
    """end ≥ base × (1 + cagr)^periods, i.e. compound annual growth of at least cagr%."""
    name = f"{base_year}–{end_year} 年{what}年均增长率 ≥ {_num(cagr_pct)}%"
    base, end = _dec(base_value), _dec(end_value)
    if base is None or end is None:
        return UNKNOWN, f"{name}：缺少数据"
    if base <= 0 or end < 0:
        return FAILED, f"{name}：{base_year} 年{what}为 {_num(base)} {unit}，无法计算"
    # Raising to an integer power is exact in Decimal, so the boundary is decided exactly;
    # the fractional root is only for the text.
    factor = (1 + cagr_pct / 100) ** periods
    status = MET if end >= base * factor else FAILED
    # A fractional Decimal power is slow (most of a city-wide gazelle ranking's time); a float is
    # plenty for two decimals of display.
    rate = (float(end / base) ** (1 / periods) - 1) * 100
    shown = Decimal(repr(rate)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return status, f"{name}：{_num(base)} → {_num(end)} {unit}，{shown}%"


def _gazelle_paths(facts: CompanyFacts, year: int, g: GazelleThresholds) -> list[tuple[str, str, str]]:
    base, end = year - g.base_year_offset, year - g.end_year_offset
    periods = end - base
    paths: list[tuple[str, str, str]] = []

    def path(name: str, checks: list[tuple[str, str]]) -> None:
        paths.append((name, _all(s for s, _ in checks), "；".join(text for _, text in checks)))

    since = year - g.growth_founded_since_offset
    founded = _founded_since(facts, since)
    founded = (founded[0], f"{since} 年及以后成立：{founded[1]}")
    # A company founded after the base year can never have base-year figures: the growth routes
    # are settled (failed), not waiting for data that cannot exist.
    not_yet = (
        (FAILED, f"{base} 年尚未成立，无 {base} 年基数")
        if facts.founded_on is not None and facts.founded_on.year > base else None
    )

    # Route 1: revenue base, revenue growth, and growth in the end year.
    rev_base, rev_end = _value(facts, base, "revenue"), _value(facts, end, "revenue")
    rev_prev = _value(facts, end - 1, "revenue")
    if rev_base is None:
        base_check = (UNKNOWN, f"{base} 年营业收入 ≥ {_num(g.revenue_base_min)} 万元：缺少数据")
    else:
        base_check = (
            MET if rev_base >= g.revenue_base_min else FAILED,
            f"{base} 年营业收入 {_num(rev_base)} 万元（需 ≥ {_num(g.revenue_base_min)} 万元）",
        )
    if rev_end is None or rev_prev is None:
        last_check = (UNKNOWN, f"{end} 年营业收入较上年增长：缺少数据")
    else:
        last_check = (
            MET if rev_end > rev_prev else FAILED,
            f"{end} 年营业收入 {_num(rev_end)} 万元，{end - 1} 年 {_num(rev_prev)} 万元",
        )
    path("营收成长", [founded, not_yet] if not_yet else [
        founded, base_check,
        _growth_check(rev_base, rev_end, g.revenue_cagr_min_pct, periods, "营业收入", "万元", base, end),
        last_check,
    ])

    # Route 2: staff base and staff growth.
    staff_base, staff_end = _value(facts, base, "staff_count"), _value(facts, end, "staff_count")
    if staff_base is None:
        staff_check = (UNKNOWN, f"{base} 年职工总数 ≥ {g.staff_base_min} 人：缺少数据")
    else:
        staff_check = (
            MET if staff_base >= g.staff_base_min else FAILED,
            f"{base} 年职工总数 {_num(staff_base)} 人（需 ≥ {g.staff_base_min} 人）",
        )
    path("人员成长", [founded, not_yet] if not_yet else [
        founded, staff_check,
        _growth_check(staff_base, staff_end, g.staff_cagr_min_pct, periods, "职工总数", "人", base, end),
    ])

    # Routes 3+: young and already large.
    for scale in g.scale_paths:
        since = year - scale.founded_since_offset
        status, text = _founded_since(facts, since)
        rev = _value(facts, end, "revenue")
        if rev is None:
            rev_check = (UNKNOWN, f"{end} 年营业收入：缺少数据")
        else:
            rev_check = (
                MET if rev >= scale.revenue_min else FAILED,
                f"{end} 年营业收入 {_num(rev)} 万元（需 ≥ {_num(scale.revenue_min)} 万元）",
            )
        path(
            f"{since} 年及以后成立且营收 ≥ {_num(scale.revenue_min)} 万元",
            [(status, f"{since} 年及以后成立：{text}"), rev_check],
        )
    return paths


def check_gazelle(facts: CompanyFacts, year: int, thresholds: Thresholds | None = None) -> EligibilityResult:
    """Pre-check for 瞪羚企业 (Jiangsu 2024 criteria made relative to evaluation year `year`).

    Two conditions: S&T spend (研发费用, our proxy for 科技投入) ÷ revenue in the end year above
    the bar, and `growth_path`, met when any one route is met (its detail lists every route).
    Base year Y − 4, end year Y − 1 with the default thresholds.
    """
    t = thresholds or thresholds_for(year)
    g = t.gazelle
    end = year - g.end_year_offset
    conditions: list[Condition] = []

    label = (
        f"{end} 年科技投入（研发费用）占营业收入比例 {g.st_spend_ratio.symbol} {_num(g.st_spend_ratio.value)}%"
    )
    rd, revenue = _value(facts, end, "rd_expense"), _value(facts, end, "revenue")
    missing = _missing(facts, [end], ("rd_expense", "revenue"))
    if missing:
        detail = _missing_text(missing)
    elif revenue <= 0:
        detail = f"{end} 年营业收入为 0"
    else:
        detail = f"{end} 年研发费用 {_num(rd)} 万元 / 营业收入 {_num(revenue)} 万元 = {_pct(rd, revenue)}"
    conditions.append(Condition(
        "st_spend_ratio", label, detail, _bar_status(rd, revenue, g.st_spend_ratio)
    ))

    paths = _gazelle_paths(facts, year, g)
    detail = "；".join(
        f"路径{i}（{name}）{STATUS_NAMES[status]}：{text}"
        for i, (name, status, text) in enumerate(paths, start=1)
    )
    conditions.append(Condition(
        "growth_path", "满足成长性条件之一（营收成长、人员成长或规模路径）", detail,
        _any(status for _, status, _ in paths),
    ))
    return EligibilityResult("gazelle", year, tuple(conditions), None)


# --------------------------------------------------------------------------- (potential) unicorn


def _invested(facts: CompanyFacts, year: int) -> Condition:
    """Invested = equity financing > 0 in any year up to Y − 1, or a valuation recorded.

    A recorded valuation counts because only a priced investment round produces one. Failed only
    when every year from founding to Y − 1 records a financing of 0 and no valuation.
    """
    latest = year - 1
    label = "获得过股权投资（有融资记录或估值）"
    years = sorted(y for y in facts.figures if y <= latest)
    financed = [
        (y, amount) for y in years
        if (amount := _value(facts, y, "financing_amount")) is not None and amount > 0
    ]
    if financed:
        text = "、".join(f"{y} 年融资 {_num(a)} 万元" for y, a in financed)
        return Condition("invested", label, text, MET)
    valued = [
        (y, v) for y in years if (v := _value(facts, y, "valuation")) is not None and v > 0
    ]
    if valued:
        y, v = valued[-1]
        return Condition(
            "invested", label, f"{y} 年有估值记录（{_num(v)} 万元），视为获得过股权投资", MET
        )
    if facts.founded_on is not None:
        needed = range(facts.founded_on.year, latest + 1)
        if all(_value(facts, y, "financing_amount") is not None for y in needed):
            return Condition("invested", label, "成立以来各年股权融资额均为 0，且无估值记录", FAILED)
    return Condition("invested", label, "没有融资或估值记录（部分年份融资数据缺失）", UNKNOWN)


def _unlisted(facts: CompanyFacts, year: int) -> Condition:
    latest = year - 1
    listed = _value(facts, latest, "is_listed")
    if listed is None:
        return Condition("unlisted", "未上市", f"缺少 {latest} 年上市状态", UNKNOWN)
    return Condition(
        "unlisted", "未上市", f"{latest} 年{'已上市' if listed else '未上市'}", FAILED if listed else MET
    )


def _valuation_passes(valuation: Decimal, bar: Bar, rate: Decimal) -> bool:
    # valuation is 万元 CNY and the bar whole US dollars; compare in yuan to keep it exact.
    return bar.passes(valuation * 10000, bar.value * rate)


def check_potential_unicorn(
    facts: CompanyFacts, year: int, thresholds: Thresholds | None = None
) -> EligibilityResult:
    """Pre-check for 潜在独角兽企业 (Jiangsu 2025) in evaluation year `year`, valuation of Y − 1.

    Founded in Y − 5 or later: valuation ≥ USD 50M or ≥ 30,000 万元; founded in Y − 10 … Y − 6:
    valuation > USD 100M. With an unknown founding date the valuation is met only if it passes
    both bars and failed only if it passes neither.
    """
    t = thresholds or thresholds_for(year)
    u, rate = t.unicorn, t.cny_per_usd
    latest = year - 1
    young_since = year - u.potential_young_within_years
    older_since = year - u.potential_older_within_years
    conditions: list[Condition] = []

    status, text = _founded_since(facts, older_since)
    conditions.append(Condition(
        "founded_within", f"成立 {u.potential_older_within_years} 年以内（{older_since} 年及以后成立）",
        text, status,
    ))
    conditions.append(_invested(facts, year))
    conditions.append(_unlisted(facts, year))

    young_bar = (
        f"{young_since} 年及以后成立：估值 {u.potential_young_valuation_usd.symbol} "
        f"{_usd(u.potential_young_min_valuation_usd)}"
        f"或 {u.potential_young_valuation_cny.symbol} {_num(u.potential_young_min_valuation_cny)} 万元"
    )
    older_bar = (
        f"{older_since}–{young_since - 1} 年成立：估值 {u.potential_older_valuation_usd.symbol} "
        f"{_usd(u.potential_older_min_valuation_usd)}"
    )
    valuation = _value(facts, latest, "valuation")
    founded_year = facts.founded_on.year if facts.founded_on else None
    if founded_year is not None and founded_year >= young_since:
        label = young_bar
    elif founded_year is not None:
        # Older than the window too: judged on the older bar, for information (founded_within fails).
        label = older_bar
    else:
        label = f"估值达标（{young_bar}；{older_bar}）"
    if valuation is None:
        conditions.append(Condition("valuation", label, f"缺少 {latest} 年估值", UNKNOWN))
    else:
        young_ok = (
            _valuation_passes(valuation, u.potential_young_valuation_usd, rate)
            or u.potential_young_valuation_cny.passes(valuation)
        )
        older_ok = _valuation_passes(valuation, u.potential_older_valuation_usd, rate)
        if founded_year is None:
            status = MET if young_ok and older_ok else (FAILED if not (young_ok or older_ok) else UNKNOWN)
        elif founded_year >= young_since:
            status = MET if young_ok else FAILED
        else:
            status = MET if older_ok else FAILED
        detail = (
            f"{latest} 年估值 {_num(valuation)} 万元（约 {_usd_of(valuation, rate)}，"
            f"按 1 美元 = {_num(rate)} 元）"
        )
        if founded_year is None:
            detail += "；成立日期未知，无法确定适用标准" if status == UNKNOWN else ""
        conditions.append(Condition("valuation", label, detail, status))
    return EligibilityResult("potential_unicorn", year, tuple(conditions), None)


def check_unicorn(
    facts: CompanyFacts,
    year: int,
    thresholds: Thresholds | None = None,
    *,
    key_technology: bool = False,
) -> EligibilityResult:
    """Pre-check for 独角兽企业 (Jiangsu 2025) in evaluation year `year`, valuation of Y − 1.

    Founded in Y − 17 or later, invested, unlisted, valuation > USD 1B; with `key_technology`
    (a key-technology breakthrough, judged by people, not data) the bar is ≥ USD 0.7B instead.
    """
    t = thresholds or thresholds_for(year)
    u, rate = t.unicorn, t.cny_per_usd
    latest = year - 1
    since = year - u.unicorn_founded_within_years
    conditions: list[Condition] = []

    status, text = _founded_since(facts, since)
    conditions.append(Condition(
        "founded_within", f"成立 {u.unicorn_founded_within_years} 年以内（{since} 年及以后成立）",
        text, status,
    ))
    conditions.append(_invested(facts, year))
    conditions.append(_unlisted(facts, year))

    if key_technology:
        bar = u.unicorn_key_technology_valuation_usd
        label = f"估值 {bar.symbol} {_usd(bar.value)}（关键核心技术突破）"
    else:
        bar = u.unicorn_valuation_usd
        label = f"估值 {bar.symbol} {_usd(bar.value)}"
    valuation = _value(facts, latest, "valuation")
    if valuation is None:
        conditions.append(Condition("valuation", label, f"缺少 {latest} 年估值", UNKNOWN))
    else:
        conditions.append(Condition(
            "valuation", label,
            f"{latest} 年估值 {_num(valuation)} 万元（约 {_usd_of(valuation, rate)}，按 1 美元 = {_num(rate)} 元）",
            MET if _valuation_passes(valuation, bar, rate) else FAILED,
        ))
    return EligibilityResult("unicorn", year, tuple(conditions), None)


# --------------------------------------------------------------------------- dispatch


def check(
    rung: str,
    facts: CompanyFacts,
    year: int,
    thresholds: Thresholds | None = None,
    *,
    as_of: dt.date | None = None,
    key_technology: bool = False,
) -> EligibilityResult:
    """Pre-check one rung (a code from RUNG_CODES) for evaluation year `year`.

    `thresholds` default to `thresholds_for(year)`; `as_of` only matters for HNTE and
    `key_technology` only for unicorn. Raises ValueError for an unknown rung code.
    """
    if rung == "hnte":
        return check_hnte(facts, year, thresholds, as_of=as_of)
    if rung == "unicorn":
        return check_unicorn(facts, year, thresholds, key_technology=key_technology)
    simple: dict[str, Callable[..., EligibilityResult]] = {
        "tech_sme": check_tech_sme,
        "gazelle": check_gazelle,
        "potential_unicorn": check_potential_unicorn,
    }
    if rung not in simple:
        raise ValueError(f"未知的梯次：{rung}")
    return simple[rung](facts, year, thresholds)


def check_all(
    facts: CompanyFacts,
    year: int,
    thresholds: Thresholds | None = None,
    *,
    as_of: dt.date | None = None,
    key_technology: bool = False,
) -> tuple[EligibilityResult, ...]:
    """Every rung's pre-check for one company and year, lowest rung first."""
    return tuple(
        check(r, facts, year, thresholds, as_of=as_of, key_technology=key_technology)
        for r in RUNG_CODES
    )
