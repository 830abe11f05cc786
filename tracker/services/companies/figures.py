"""Editing a company's yearly figures (企业年度数据), one row per company and year.

The figures are the inputs of the eligibility pre-checks (精准挖掘). Saving carries the version
the editor loaded, so two people saving the same year get a conflict, not a silent overwrite;
every change writes an audit row with the values before and after.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Company, CompanyYearFigures, User
from tracker.services import audit
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.scoping import officer_assignment_exists

EARLIEST_YEAR = 1980  # no company followed by the bureau reports figures from before this

# Field name -> (Chinese name, unit, kind). kind: "count" (whole number ≥ 0), "money" (万元, ≥ 0,
# two decimals), "score" (0–100), "flag" (yes/no/unknown).
FIELDS: dict[str, tuple[str, str, str]] = {
    "staff_count": ("职工总数", "人", "count"),
    "st_staff_count": ("科技人员数", "人", "count"),
    "revenue": ("营业收入", "万元", "money"),
    "rd_expense": ("研发费用", "万元", "money"),
    "rd_expense_domestic": ("境内研发费用", "万元", "money"),
    "total_cost": ("成本费用总额", "万元", "money"),
    "total_assets": ("资产总额", "万元", "money"),
    "hightech_revenue": ("高新技术产品（服务）收入", "万元", "money"),
    "ip_class1_count": ("I 类知识产权", "件", "count"),
    "ip_class2_count": ("II 类知识产权", "件", "count"),
    "valuation": ("估值", "万元", "money"),
    "financing_amount": ("当年股权融资额", "万元", "money"),
    "is_listed": ("是否上市", "", "flag"),
    "innovation_score": ("高企创新能力评价得分", "分", "score"),
}
FIELD_NAMES: dict[str, str] = {name: spec[0] for name, spec in FIELDS.items()}


def field_label(name: str) -> str:
    """A field's form label with its unit, e.g. "研发费用（万元）"."""
    short, unit, _kind = FIELDS[name]
    return f"{short}（{unit}）" if unit else short


AUDITED_FIELDS = tuple(FIELDS) + ("notes",)

# Upper bounds keep values inside the columns (Numeric(16, 2), Integer) and catch typing slips.
MAX_COUNT = 10_000_000
MAX_MONEY = Decimal("100000000000")  # 1e11 万元, far above any company
MAX_NOTES = 2000


class InvalidFigures(ServiceError):
    """One or more fields are refused; `errors` maps each field to its Chinese message."""

    def __init__(self, errors: dict[str, str]):
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors


def year_range(founded_on: dt.date | None, on: dt.date | None = None) -> tuple[int, int]:
    """The years figures may be entered for: from the founding year (or 1980) to this year."""
    latest = (on or today()).year
    earliest = max(EARLIEST_YEAR, founded_on.year) if founded_on else EARLIEST_YEAR
    return min(earliest, latest), latest


def clean_figures(
    data: dict[str, Any], year: Any, founded_on: dt.date | None, on: dt.date | None = None
) -> tuple[int, dict[str, Any]]:
    """Check one year's figures and return (year, cleaned values), or raise InvalidFigures.

    Every field is checked and every problem reported at once, each in Chinese: negative or
    non-numeric values, too many decimals, a year outside `year_range`, and the relations between
    fields (S&T staff ≤ staff, domestic R&D ≤ R&D, high-tech revenue ≤ revenue, R&D ≤ total cost).
    Empty values mean "unknown" and are kept as None.
    """
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}

    lo, hi = year_range(founded_on, on)
    try:
        year_value = int(str(year).strip())
    except (TypeError, ValueError):
        errors["year"] = "请填写年份（四位数字）"
        year_value = 0
    else:
        if founded_on and year_value < founded_on.year and year_value >= EARLIEST_YEAR:
            errors["year"] = f"年份不能早于企业成立年份（{founded_on.year} 年）"
        elif not lo <= year_value <= hi:
            errors["year"] = f"年份须在 {lo}–{hi} 年之间"

    for name, (short, _unit, kind) in FIELDS.items():
        raw = data.get(name)
        if isinstance(raw, str):
            raw = raw.strip().replace(",", "").replace("，", "")
        if raw is None or raw == "":
            cleaned[name] = None
            continue
        if kind == "flag":
            if isinstance(raw, bool):
                cleaned[name] = raw
            elif str(raw) in ("1", "true", "True", "yes", "是"):
                cleaned[name] = True
            elif str(raw) in ("0", "false", "False", "no", "否"):
                cleaned[name] = False
            else:
                errors[name] = f"{short}请选择“是”或“否”"
            continue
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            errors[name] = f"{short}须为数字"
            continue
        if not number.is_finite():
            errors[name] = f"{short}须为数字"
        elif number < 0:
            errors[name] = f"{short}不能为负数"
        elif kind == "count":
            if number != number.to_integral_value():
                errors[name] = f"{short}须为整数"
            elif number > MAX_COUNT:
                errors[name] = f"{short}数值过大，请核对"
            else:
                cleaned[name] = int(number)
        elif kind == "money":
            # The size check comes first: quantize() of a 30-digit number would itself overflow.
            if number > MAX_MONEY:
                errors[name] = f"{short}数值过大，请核对单位是否为万元"
            elif number.as_tuple().exponent < -2 and number != number.quantize(Decimal("0.01")):
                errors[name] = f"{short}最多保留两位小数（单位：万元）"
            else:
                cleaned[name] = number.quantize(Decimal("0.01"))
        else:  # score
            if number > 100:
                errors[name] = f"{short}须在 0–100 分之间"
            elif number.as_tuple().exponent < -2 and number != number.quantize(Decimal("0.01")):
                errors[name] = f"{short}最多保留两位小数"
            else:
                cleaned[name] = number.quantize(Decimal("0.01"))

    def over(small: str, big: str, message: str) -> None:
        a, b = cleaned.get(small), cleaned.get(big)
        if a is not None and b is not None and a > b and small not in errors:
            errors[small] = message

    over("st_staff_count", "staff_count", "科技人员数不能大于职工总数")
    over("rd_expense_domestic", "rd_expense", "境内研发费用不能大于研发费用")
    over("hightech_revenue", "revenue", "高新技术产品（服务）收入不能大于营业收入")
    over("rd_expense", "total_cost", "研发费用不能大于成本费用总额")

    notes = (data.get("notes") or "").strip()
    if len(notes) > MAX_NOTES:
        errors["notes"] = f"备注不超过 {MAX_NOTES} 字"
    cleaned["notes"] = notes or None

    if errors:
        raise InvalidFigures(errors)
    return year_value, cleaned


def _may_edit(actor: User, company: Company) -> None:
    # The view fetched the company through scoping already; this keeps the service safe on its own.
    if actor.is_admin:
        return
    if actor.is_manager and actor.district == company.district:
        return
    if actor.is_officer:
        assigned = db.session.scalar(
            select(Company.id).where(Company.id == company.id, officer_assignment_exists(actor.id))
        )
        if assigned:
            return
    raise Forbidden("无权修改该企业的年度数据")


def figures_for_company(company_id: int) -> list[CompanyYearFigures]:
    """Every year of one company's figures, newest first."""
    return list(
        db.session.scalars(
            select(CompanyYearFigures)
            .where(CompanyYearFigures.company_id == company_id)
            .order_by(CompanyYearFigures.year.desc())
        )
    )


def get_year(company_id: int, year: int) -> CompanyYearFigures | None:
    """One company's figures for one year, or None when that year has not been entered."""
    return db.session.scalar(
        select(CompanyYearFigures).where(
            CompanyYearFigures.company_id == company_id, CompanyYearFigures.year == year
        )
    )


_CONFLICT = "该年度数据已被他人修改，请刷新后重新编辑（您的修改未保存）"
_CREATED_MEANWHILE = "该年度的数据已存在（可能刚由他人录入），请刷新后在其基础上修改（您的修改未保存）"


def save_year(
    actor: User, company: Company, year: Any, data: dict[str, Any], *, version: int
) -> CompanyYearFigures:
    """Create or update one year of figures and commit once, with an audit row.

    `version` is the version the editor loaded: 0 for a year that did not exist yet. A stale
    version (someone saved since, or created the same year) raises Conflict and writes nothing.
    """
    _may_edit(actor, company)
    year_value, cleaned = clean_figures(data, year, company.founded_on)
    row = get_year(company.id, year_value)
    try:
        if row is None:
            if version:
                # The editor loaded a row that has since disappeared: refuse rather than recreate it.
                raise Conflict(_CONFLICT)
            row = CompanyYearFigures(company_id=company.id, year=year_value, **cleaned)
            db.session.add(row)
            after = {k: v for k, v in cleaned.items() if v is not None}
            audit.record(actor.id, "figures.create", row, after={"year": year_value, **after})
        else:
            if version != row.version:
                raise Conflict(_CREATED_MEANWHILE if version == 0 else _CONFLICT)
            before = audit.snapshot(row, AUDITED_FIELDS)
            for name, value in cleaned.items():
                setattr(row, name, value)
            after = audit.snapshot(row, AUDITED_FIELDS)
            changed = [k for k in AUDITED_FIELDS if before[k] != after[k]]
            if not changed:
                db.session.rollback()
                return row
            audit.record(
                actor.id, "figures.update", row,
                before={"year": year_value, **{k: before[k] for k in changed}},
                after={"year": year_value, **{k: after[k] for k in changed}},
            )
        db.session.commit()
    except (StaleDataError, IntegrityError) as exc:
        # StaleDataError: someone updated between our read and our write (version_id_col);
        # IntegrityError: someone created the same company-year first (unique constraint).
        db.session.rollback()
        raise Conflict(_CREATED_MEANWHILE if version == 0 else _CONFLICT) from exc
    except ServiceError:
        db.session.rollback()
        raise
    return row
