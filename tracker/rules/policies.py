"""Policies that reach the companies entitled to them (政策"快享直达", docs/DOMAIN.md §9).

Pure Python. A policy's eligibility is a list of conditions chosen from a FIXED MENU (never free
code) that an administrator combines with AND:

| kind | 中文 | parameters | met when (for the policy year Y) |
| --- | --- | --- | --- |
| `rung_first` | 当年首次认定 | rung | a designation of the rung starts counting in Y, is not revoked by 31 Dec Y, and no earlier designation of that rung ever counted |
| `rung_granted` | 当年获得认定（含重新认定） | rung | a designation of the rung starts counting in Y and is not revoked by 31 Dec Y |
| `rung_held` | 年末持有 | rung | a designation of the rung is in force on 31 Dec Y |
| `figure_min` | 年度数据不低于 | field, threshold, year offset | the figure of year Y + offset is recorded and ≥ threshold |
| `figure_max` | 年度数据不高于 | field, threshold, year offset | the figure of year Y + offset is recorded and ≤ threshold |
| `district_in` | 所属辖区 | districts | the company's district is one of them |
| `industry_in` | 产业领域 | industries | the company's industry is one of them |

"Starts counting" is the one date rule of the ladder (`tracker.rules.ladder.counts_from`: the later
of the grant date and valid_from); "in force" is `tracker.rules.ladder.in_force`. A missing figure
never meets a threshold. The SQL twin of `evaluate` is tracker/services/policies/entitlements.py;
a test proves the two agree on a hand-built city.

Claims (申领) move 告知 notified → 申报 applied → 审核 reviewed → 兑现 paid, one step at a time,
each step dated no earlier than the one before and never in the future.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from tracker.rules.districts import DISTRICT_CODES, DISTRICT_NAMES, INDUSTRIES
from tracker.rules.figures import FIELDS as FIGURE_FIELDS
from tracker.rules.ladder import RUNG_BY_CODE, RUNG_CODES, DesignationLike, counts_from, in_force

# --- vocabularies --------------------------------------------------------------------------------

BENEFIT_KINDS: dict[str, str] = {
    "hnte_first_award": "高企首次认定奖励",
    "hnte_recert_award": "高企重新认定奖励",
    "tech_sme_award": "科技型中小企业入库奖励",
    "gazelle_award": "瞪羚企业奖励",
    "unicorn_award": "独角兽（潜在）企业奖励",
    "rd_subsidy": "研发费用补贴",
    "loan_interest": "科技贷款贴息",
    "talent_subsidy": "人才项目资助",
    "other": "其他奖补",
}
AMOUNT_RULES: dict[str, str] = {"fixed": "定额奖补", "none": "不定额（按核定金额）"}

CONDITION_KINDS: dict[str, str] = {
    "rung_first": "当年首次认定",
    "rung_granted": "当年获得认定（含重新认定）",
    "rung_held": "年末持有有效资质",
    "figure_min": "年度数据不低于",
    "figure_max": "年度数据不高于",
    "district_in": "所属辖区为",
    "industry_in": "产业领域为",
}
RUNG_KINDS = ("rung_first", "rung_granted", "rung_held")
FIGURE_KINDS = ("figure_min", "figure_max")
LIST_KINDS = ("district_in", "industry_in")
# Which year's figures a threshold reads: the policy year itself or the year before (most awards
# paid in Y are assessed on the figures of Y − 1).
YEAR_OFFSETS: dict[int, str] = {0: "当年", -1: "上年度"}
# Yes/no declarations are not thresholds; every measured figure is.
THRESHOLD_FIELDS: dict[str, str] = {
    name: spec.label for name, spec in FIGURE_FIELDS.items() if spec.kind != "flag"
}
MAX_CONDITIONS = 8
MAX_THRESHOLD = Decimal("100000000000")

CLAIM_STATUSES: dict[str, str] = {"notified": "已告知", "applied": "已申报", "reviewed": "已审核", "paid": "已兑现"}
CLAIM_STEPS: dict[str, str] = {"notified": "告知", "applied": "申报", "reviewed": "审核", "paid": "兑现"}
CLAIM_ORDER: tuple[str, ...] = tuple(CLAIM_STATUSES)
# The coverage view's measures: entitled companies, then those a claim has reached at least this status.
MEASURES: dict[str, str] = {"entitled": "应享企业", "notified": "已告知", "applied": "已申报", "paid": "已兑现"}


class PolicyRuleError(ValueError):
    """A condition or claim step the rules refuse; `message` is Chinese and shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- conditions ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Condition:
    """One entry of the menu with its parameters (only those its kind uses are set)."""

    kind: str
    rung: str | None = None
    field: str | None = None
    threshold: Decimal | None = None
    year_offset: int = 0
    values: tuple[str, ...] = ()


def check_condition(kind: Any, *, rung: Any = None, field: Any = None, threshold: Any = None,
                    year_offset: Any = 0, values: Iterable[Any] = ()) -> Condition:
    """A valid Condition from raw parameters, else PolicyRuleError with the reason in Chinese."""
    if kind not in CONDITION_KINDS:
        raise PolicyRuleError("请选择条件类型")
    if kind in RUNG_KINDS:
        if rung not in RUNG_CODES:
            raise PolicyRuleError(f"“{CONDITION_KINDS[kind]}”条件须选择资质类型")
        return Condition(kind, rung=rung)
    if kind in FIGURE_KINDS:
        if field not in THRESHOLD_FIELDS:
            raise PolicyRuleError(f"“{CONDITION_KINDS[kind]}”条件须选择年度数据项")
        if threshold is None or threshold == "":
            raise PolicyRuleError(f"请填写“{THRESHOLD_FIELDS[field]}”的门槛值")
        try:
            number = Decimal(str(threshold))
        except InvalidOperation as exc:
            raise PolicyRuleError(f"“{THRESHOLD_FIELDS[field]}”的门槛值须为数字") from exc
        if not number.is_finite() or number < 0 or number > MAX_THRESHOLD:
            raise PolicyRuleError(f"“{THRESHOLD_FIELDS[field]}”的门槛值须在 0 到 {MAX_THRESHOLD:,} 之间")
        if number != number.quantize(Decimal("0.01")):
            raise PolicyRuleError("门槛值最多保留两位小数")
        if FIGURE_FIELDS[field].kind == "count" and number != number.to_integral_value():
            raise PolicyRuleError(f"“{THRESHOLD_FIELDS[field]}”是人数或件数，门槛值须为整数")
        try:
            offset = int(year_offset)
        except (TypeError, ValueError) as exc:
            raise PolicyRuleError("请选择数据年度（当年或上年度）") from exc
        if offset not in YEAR_OFFSETS:
            raise PolicyRuleError("请选择数据年度（当年或上年度）")
        return Condition(kind, field=field, threshold=number.quantize(Decimal("0.01")), year_offset=offset)
    allowed = DISTRICT_CODES if kind == "district_in" else INDUSTRIES
    label = "辖区" if kind == "district_in" else "产业领域"
    chosen = tuple(v for v in allowed if v in set(values or ()))
    unknown = [v for v in (values or ()) if v not in allowed]
    if unknown:
        raise PolicyRuleError(f"未知的{label}：{unknown[0]}")
    if not chosen:
        raise PolicyRuleError(f"“{CONDITION_KINDS[kind]}”条件须至少选择一个{label}")
    return Condition(kind, values=chosen)


def check_conditions(conditions: list[Condition]) -> None:
    """The combination an administrator saved: at least one, at most MAX_CONDITIONS, no duplicates."""
    if not conditions:
        raise PolicyRuleError("请至少设置一个享受条件")
    if len(conditions) > MAX_CONDITIONS:
        raise PolicyRuleError(f"享受条件最多 {MAX_CONDITIONS} 个")
    if len(set(conditions)) != len(conditions):
        raise PolicyRuleError("享受条件有重复，请删除重复的一条")
    for kind in LIST_KINDS:
        if sum(1 for c in conditions if c.kind == kind) > 1:
            raise PolicyRuleError(f"“{CONDITION_KINDS[kind]}”条件只能设置一个（可在其中多选）")


def _number(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, Decimal):
        text = format(value.quantize(Decimal("0.01")).normalize(), "f")
        return text
    return str(value)


def amount_text(amount: Decimal | None) -> str:
    """An amount in 万元 as shown to users ("30万元"), '' for none."""
    return f"{_number(amount)}万元" if amount is not None else ""


def _comparison(kind: str) -> str:
    return "≥" if kind == "figure_min" else "≤"


def describe(condition: Condition, year: int | None = None) -> str:
    """The condition in Chinese, for the policy page; with a year, for that year specifically."""
    c = condition
    if c.kind in RUNG_KINDS:
        rung = RUNG_BY_CODE[c.rung].name
        when = f"{year}年" if year else "当年"
        if c.kind == "rung_first":
            return f"{when}首次认定{rung}"
        if c.kind == "rung_granted":
            return f"{when}获得{rung}认定（含重新认定）"
        return f"{when}末持有有效的{rung}资质" if year else f"年末持有有效的{rung}资质"
    if c.kind in FIGURE_KINDS:
        spec = FIGURE_FIELDS[c.field]
        when = f"{year + c.year_offset}年" if year else YEAR_OFFSETS[c.year_offset]
        return f"{when}{spec.label} {_comparison(c.kind)} {_number(c.threshold)}{spec.unit}"
    if c.kind == "district_in":
        return "所属辖区为" + "、".join(DISTRICT_NAMES.get(v, v) for v in c.values)
    return "产业领域为" + "、".join(c.values)


def reason(condition: Condition, year: int, value: Any = None) -> str:
    """Why a company meets the condition in year `year`, in Chinese.

    `value` is what the company has for the condition: its district code, its industry or the
    figure; rung conditions need none. The SQL evaluation passes the values it selected, the pure
    evaluator the ones it read, so both write the same sentence.
    """
    c = condition
    if c.kind in RUNG_KINDS:
        return describe(c, year)
    if c.kind in FIGURE_KINDS:
        spec = FIGURE_FIELDS[c.field]
        return (f"{year + c.year_offset}年{spec.label} {_number(value)}{spec.unit}"
                f"（{_comparison(c.kind)} {_number(c.threshold)}{spec.unit}）")
    if c.kind == "district_in":
        return f"位于{DISTRICT_NAMES.get(value, value)}"
    return f"产业领域：{value}"


# --- the pure evaluator --------------------------------------------------------------------------

@dataclass(frozen=True)
class CompanyFacts:
    """What the evaluator reads of one company: district, industry, designations, figures by year."""

    company_id: int
    district: str
    industry: str | None = None
    designations: tuple[DesignationLike, ...] = ()
    figures: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """Whether a company is entitled, with one reason per condition met (in the policy's order)."""

    entitled: bool
    reasons: tuple[str, ...]


def _ever_counts(d: DesignationLike) -> bool:
    start = counts_from(d)
    return (d.valid_until is None or d.valid_until >= start) and (d.revoked_on is None or d.revoked_on > start)


def starts_in_year(d: DesignationLike, year: int) -> bool:
    """The designation starts counting in `year` and still holds (not revoked) on 31 Dec."""
    start = counts_from(d)
    end = dt.date(year, 12, 31)
    return (
        dt.date(year, 1, 1) <= start <= end
        and (d.revoked_on is None or d.revoked_on > end)
        and (d.valid_until is None or d.valid_until >= start)
    )


def _value_for(condition: Condition, year: int, facts: CompanyFacts) -> tuple[bool, Any]:
    c = condition
    of_rung = [d for d in facts.designations if d.rung == c.rung] if c.kind in RUNG_KINDS else []
    if c.kind == "rung_granted":
        return any(starts_in_year(d, year) for d in of_rung), None
    if c.kind == "rung_first":
        first_day = dt.date(year, 1, 1)
        earlier = any(counts_from(d) < first_day and _ever_counts(d) for d in of_rung)
        return (not earlier and any(starts_in_year(d, year) for d in of_rung)), None
    if c.kind == "rung_held":
        return any(in_force(d, dt.date(year, 12, 31)) for d in of_rung), None
    if c.kind in FIGURE_KINDS:
        value = (facts.figures.get(year + c.year_offset) or {}).get(c.field)
        if value is None or isinstance(value, bool):
            return False, None
        number = Decimal(value) if not isinstance(value, Decimal) else value
        ok = number >= c.threshold if c.kind == "figure_min" else number <= c.threshold
        return ok, value
    if c.kind == "district_in":
        return facts.district in c.values, facts.district
    return (facts.industry is not None and facts.industry in c.values), facts.industry


def evaluate(conditions: Iterable[Condition], year: int, facts: CompanyFacts) -> Verdict:
    """Whether the company meets every condition in `year` (AND), with the reasons."""
    reasons = []
    for condition in conditions:
        ok, value = _value_for(condition, year, facts)
        if not ok:
            return Verdict(False, ())
        reasons.append(reason(condition, year, value))
    return Verdict(True, tuple(reasons))


# --- claims --------------------------------------------------------------------------------------

def next_status(current: str | None) -> str | None:
    """The claim's next step: 告知 first, then 申报, 审核, 兑现; None once paid."""
    if current is None:
        return CLAIM_ORDER[0]
    index = CLAIM_ORDER.index(current)
    return CLAIM_ORDER[index + 1] if index + 1 < len(CLAIM_ORDER) else None


def reached(status: str | None, measure: str) -> bool:
    """True when a claim at `status` has reached the coverage measure (entitled: always)."""
    if measure == "entitled":
        return True
    return status is not None and CLAIM_ORDER.index(status) >= CLAIM_ORDER.index(measure)


def statuses_reaching(measure: str) -> tuple[str, ...]:
    """The claim statuses that count for a measure (applied: applied, reviewed and paid)."""
    return tuple(s for s in CLAIM_ORDER if reached(s, measure))


def step_error(status: str, on: Any, previous_on: dt.date | None, today: dt.date) -> str | None:
    """Why a claim step cannot be dated `on`, or None."""
    step = CLAIM_STEPS[status]
    if not isinstance(on, dt.date):
        return f"请填写{step}日期（YYYY-MM-DD）"
    if on > today:
        return f"{step}日期不能晚于今天"
    if previous_on is not None and on < previous_on:
        return f"{step}日期不能早于上一环节的日期（{previous_on.isoformat()}）"
    if on.year < 2000:
        return f"{step}日期不能早于 2000 年"
    return None


def coverage(paid: int, entitled: int) -> float | None:
    """快享直达覆盖率 = paid ÷ entitled, in percent with one decimal (None without entitled)."""
    if not entitled:
        return None
    return round(100 * paid / entitled, 1)
