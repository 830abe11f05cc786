"""A company's yearly figures (企业年度数据): the fields, their ranges and the relations between them.

Pure Python. This is the one rule both writers of figures apply — the edit form's service
(tracker.services.companies.figures) and the importer (tracker.services.imports.importer) — so a
file can never store figures the form refuses. The form hands in text and gets it parsed here
(`clean_value`); the importer reads spreadsheet cells itself (tracker.rules.import_formats) and
checks the typed values here (`value_error`); both then check the year (`year_error`) and the
relations between fields (`relation_errors`). Every message is Chinese and names the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, NamedTuple


class FigureField(NamedTuple):
    """One figure: its Chinese name, unit and kind.

    kind: "count" (whole number ≥ 0), "money" (万元, ≥ 0, two decimals), "score" (0–100, two
    decimals) or "flag" (yes / no; empty means unknown, like every other field).
    """

    label: str
    unit: str
    kind: str


FIELDS: dict[str, FigureField] = {
    "staff_count": FigureField("职工总数", "人", "count"),
    "st_staff_count": FigureField("科技人员数", "人", "count"),
    "revenue": FigureField("营业收入", "万元", "money"),
    "rd_expense": FigureField("研发费用", "万元", "money"),
    "rd_expense_domestic": FigureField("境内研发费用", "万元", "money"),
    "total_cost": FigureField("成本费用总额", "万元", "money"),
    "total_assets": FigureField("资产总额", "万元", "money"),
    "hightech_revenue": FigureField("高新技术产品（服务）收入", "万元", "money"),
    "ip_class1_count": FigureField("I 类知识产权", "件", "count"),
    "ip_class2_count": FigureField("II 类知识产权", "件", "count"),
    "valuation": FigureField("估值", "万元", "money"),
    "financing_amount": FigureField("当年股权融资额", "万元", "money"),
    "is_listed": FigureField("是否上市", "", "flag"),
    "innovation_score": FigureField("高企创新能力评价得分", "分", "score"),
    # HNTE declarations (国科发火〔2016〕32号 第十一条（三）、（八）), recorded per year; the row of
    # year X holds what is true of year X, which is "上年度" for an application in X + 1.
    "key_field": FigureField("属于国家重点支持的高新技术领域", "", "flag"),
    "major_incident": FigureField("发生重大安全、质量、环境事故", "", "flag"),
}
FIELD_NAMES: dict[str, str] = {name: spec.label for name, spec in FIELDS.items()}
# Yes/no facts a company declares and an officer records (not measured figures): the profile asks
# for them on a line of their own, and the pre-check leaves them pending until recorded.
DECLARATION_FIELDS: tuple[str, ...] = ("key_field", "major_incident")

EARLIEST_YEAR = 1980  # no company followed by the bureau reports figures from before this
# Upper bounds keep values inside the columns (Numeric(16, 2), Integer) and catch typing slips.
MAX_COUNT = 10_000_000
MAX_MONEY = Decimal("100000000000")  # 1e11 万元, far above any company
MAX_SCORE = Decimal(100)
MAX_NOTES = 2000
_CENT = Decimal("0.01")

_YES = ("1", "true", "True", "yes", "是")
_NO = ("0", "false", "False", "no", "否")


class Relation(NamedTuple):
    """A figure that can never exceed another one; a breach is reported on `part`."""

    part: str
    whole: str
    message: str


RELATIONS: tuple[Relation, ...] = (
    Relation("st_staff_count", "staff_count", "科技人员数不能大于职工总数"),
    Relation("rd_expense_domestic", "rd_expense", "境内研发费用不能大于研发费用"),
    Relation("hightech_revenue", "revenue", "高新技术产品（服务）收入不能大于营业收入"),
    Relation("rd_expense", "total_cost", "研发费用不能大于成本费用总额"),
)


class FigureError(ValueError):
    """A value that cannot be stored; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def field_label(name: str) -> str:
    """A field's label with its unit, e.g. "研发费用（万元）"."""
    spec = FIELDS[name]
    return f"{spec.label}（{spec.unit}）" if spec.unit else spec.label


def year_range(founded_on: dt.date | None, today: dt.date) -> tuple[int, int]:
    """The years figures may be entered for: from the founding year (or 1980) to this year."""
    latest = today.year
    earliest = max(EARLIEST_YEAR, founded_on.year) if founded_on else EARLIEST_YEAR
    return min(earliest, latest), latest


def year_error(year: int, founded_on: dt.date | None, today: dt.date) -> str | None:
    """Why figures cannot be kept for `year` (before the founding year, outside `year_range`), or None."""
    lo, hi = year_range(founded_on, today)
    if founded_on and EARLIEST_YEAR <= year < founded_on.year:
        return f"年份不能早于企业成立年份（{founded_on.year} 年）"
    if not lo <= year <= hi:
        return f"年份须在 {lo}–{hi} 年之间"
    return None


def _has_more_than_cents(number: Decimal) -> bool:
    return number.as_tuple().exponent < -2 and number != number.quantize(_CENT)


def value_error(name: str, value: Any) -> str | None:
    """Why a typed value (int, Decimal or bool) cannot be stored in field `name`, or None.

    None (unknown) is always accepted. Counts are whole numbers up to MAX_COUNT, money up to
    MAX_MONEY 万元 and scores up to 100, none negative and none with more than two decimals.
    """
    if value is None:
        return None
    label, _unit, kind = FIELDS[name]
    if kind == "flag":
        return None if isinstance(value, bool) else f"{label}请选择“是”或“否”"
    if isinstance(value, bool):
        return f"{label}须为数字"
    number = Decimal(value)
    if not number.is_finite():
        return f"{label}须为数字"
    if number < 0:
        return f"{label}不能为负数"
    if kind == "count":
        if number != number.to_integral_value():
            return f"{label}须为整数"
        if number > MAX_COUNT:
            return f"{label}数值过大，请核对"
        return None
    if kind == "money":
        # The size check comes first: quantize() of a 30-digit number would itself overflow.
        if number > MAX_MONEY:
            return f"{label}数值过大，请核对单位是否为万元"
        if _has_more_than_cents(number):
            return f"{label}最多保留两位小数（单位：万元）"
        return None
    if number > MAX_SCORE:
        return f"{label}须在 0–100 分之间"
    if _has_more_than_cents(number):
        return f"{label}最多保留两位小数"
    return None


def clean_value(name: str, raw: Any) -> int | Decimal | bool | None:
    """The stored value of field `name` from what a person typed, or raise FigureError.

    Empty means unknown (None); thousands separators (, and ，) are dropped; a flag takes
    是/否, yes/no, true/false or 1/0. The result has passed `value_error`.
    """
    label, _unit, kind = FIELDS[name]
    if isinstance(raw, str):
        raw = raw.strip().replace(",", "").replace("，", "")
    if raw is None or raw == "":
        return None
    if kind == "flag":
        if isinstance(raw, bool):
            return raw
        if str(raw) in _YES:
            return True
        if str(raw) in _NO:
            return False
        raise FigureError(f"{label}请选择“是”或“否”")
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        raise FigureError(f"{label}须为数字") from None
    problem = value_error(name, number)
    if problem:
        raise FigureError(problem)
    return int(number) if kind == "count" else number.quantize(_CENT)


def relation_errors(values: Mapping[str, Any]) -> dict[str, str]:
    """Each relation in RELATIONS that `values` break, as {part field: message}.

    A relation is only checked when both of its figures are known (not None).
    """
    errors: dict[str, str] = {}
    for relation in RELATIONS:
        part, whole = values.get(relation.part), values.get(relation.whole)
        if part is not None and whole is not None and part > whole:
            errors.setdefault(relation.part, relation.message)
    return errors


def notes_error(notes: str | None) -> str | None:
    """Why the notes are refused (too long), or None."""
    return f"备注不超过 {MAX_NOTES} 字" if notes and len(notes) > MAX_NOTES else None


@dataclass
class CheckedFigures:
    """One year's figures as checked: the year, the cleaned values and every problem found."""

    year: int
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def check_figures(data: Mapping[str, Any], year: Any, founded_on: dt.date | None, today: dt.date) -> CheckedFigures:
    """Check one year's figures as typed in the form, reporting every problem at once.

    `errors` maps each refused field ("year", a figure or "notes") to its Chinese message: a year
    that is not a number or is outside `year_range`, a value `clean_value` refuses, a broken
    relation (only between values that were themselves accepted) and notes that are too long.
    Empty values mean unknown and are kept as None.
    """
    errors: dict[str, str] = {}
    try:
        year_value = int(str(year).strip())
    except (TypeError, ValueError):
        errors["year"] = "请填写年份（四位数字）"
        year_value = 0
    else:
        problem = year_error(year_value, founded_on, today)
        if problem:
            errors["year"] = problem

    values: dict[str, Any] = {}
    for name in FIELDS:
        try:
            values[name] = clean_value(name, data.get(name))
        except FigureError as exc:
            errors[name] = exc.message
            values[name] = None
    for name, message in relation_errors(values).items():
        errors.setdefault(name, message)

    notes = (data.get("notes") or "").strip()
    problem = notes_error(notes)
    if problem:
        errors["notes"] = problem
    values["notes"] = notes or None
    return CheckedFigures(year_value, values, errors)
