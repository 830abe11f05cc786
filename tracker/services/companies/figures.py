"""Editing a company's yearly figures (企业年度数据), one row per company and year.

The figures are the inputs of the eligibility pre-checks (精准挖掘). Saving carries the version
the editor loaded, so two people saving the same year get a conflict, not a silent overwrite;
every change writes an audit row with the values before and after. The fields, their ranges
and the relations between them are tracker.rules.figures, which the importer applies too.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Company, CompanyYearFigures, User
from tracker.rules import figures as figure_rules
from tracker.services import audit
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.scoping import officer_assignment_exists
from tracker.services.candidates.results import recompute_companies
from tracker.services.unit_of_work import unit_of_work

AUDITED_FIELDS = tuple(figure_rules.FIELDS) + ("notes",)


class InvalidFigures(ServiceError):
    """One or more fields are refused; `errors` maps each field to its Chinese message."""

    def __init__(self, errors: dict[str, str]):
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field)
        self.errors = errors


def year_range(founded_on: dt.date | None, on: dt.date | None = None) -> tuple[int, int]:
    """The years figures may be entered for today (or on `on`): see tracker.rules.figures.year_range."""
    return figure_rules.year_range(founded_on, on or today())


def clean_figures(
    data: dict[str, Any], year: Any, founded_on: dt.date | None, on: dt.date | None = None
) -> tuple[int, dict[str, Any]]:
    """Check one year's figures and return (year, cleaned values), or raise InvalidFigures.

    The checks are tracker.rules.figures.check_figures (the same rule the importer applies):
    every problem is reported at once, each in Chinese. Empty values mean "unknown" (None).
    """
    checked = figure_rules.check_figures(data, year, founded_on, on or today())
    if checked.errors:
        raise InvalidFigures(checked.errors)
    return checked.year, checked.values


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


_CONFLICT = "该记录已被修改（可能是您在另一窗口的操作），您的修改未保存，请对照当前内容后重新提交"
_CREATED_MEANWHILE = "该年度的数据已存在（可能刚由他人录入），请刷新后在其基础上修改（您的修改未保存）"


def save_year(
    actor: User, company: Company, year: Any, data: dict[str, Any], *, version: int
) -> CompanyYearFigures:
    """Create or update one year of figures in one unit of work, with an audit row.

    `version` is the version the editor loaded: 0 for a year that did not exist yet. A stale
    version (someone saved since, or created the same year) raises Conflict and writes nothing;
    saving the values already stored writes nothing either.
    """
    _may_edit(actor, company)
    year_value, cleaned = clean_figures(data, year, company.founded_on)
    conflict = _CREATED_MEANWHILE if version == 0 else _CONFLICT
    try:
        # A StaleDataError (someone updated between our read and our write, caught by the
        # version column) becomes Conflict(conflict) in the unit of work.
        with unit_of_work(conflict=conflict):
            row = _write_year(actor, company, year_value, cleaned, version=version)
            # The stored candidate results follow the figures (and HNTE conditions) at once.
            recompute_companies([company.id])
            return row
    except IntegrityError as exc:
        # Someone created the same company-year first (unique constraint).
        raise Conflict(conflict) from exc


def _write_year(
    actor: User, company: Company, year: int, cleaned: dict[str, Any], *, version: int
) -> CompanyYearFigures:
    row = get_year(company.id, year)
    if row is None:
        if version:
            # The editor loaded a row that has since disappeared: refuse rather than recreate it.
            raise Conflict(_CONFLICT)
        row = CompanyYearFigures(company_id=company.id, year=year, **cleaned)
        db.session.add(row)
        after = {k: v for k, v in cleaned.items() if v is not None}
        audit.record(actor.id, "figures.create", row, after={"year": year, **after})
        return row
    if version != row.version:
        raise Conflict(_CREATED_MEANWHILE if version == 0 else _CONFLICT)
    before = audit.snapshot(row, AUDITED_FIELDS)
    after = audit.snapshot(SimpleNamespace(**cleaned), AUDITED_FIELDS)
    changed = [k for k in AUDITED_FIELDS if before[k] != after[k]]
    if not changed:
        return row
    for name in changed:
        setattr(row, name, cleaned[name])
    audit.record(
        actor.id, "figures.update", row,
        before={"year": year, **{k: before[k] for k in changed}},
        after={"year": year, **{k: after[k] for k in changed}},
    )
    return row
