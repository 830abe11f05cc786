"""HNTE annual reports (年度发展情况报表): recording a filing, removing a wrong one, importing a list.

`year` is the report year (报表年度): the report on year R is due 31 May of R + 1 (docs/DOMAIN.md §1).
A filing is marked in the app (the maintenance list, the company page) or imported from a CSV/xlsx
with the columns 统一社会信用代码, 年度, 报送日期. Every use case is scoped: a user records filings
only for companies they may see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from tracker.clock import today as clock_today
from tracker.extensions import db
from tracker.models import AnnualReport, Company, User
from tracker.rules import import_formats, uscc
from tracker.rules import reminders as reminder_rules
from tracker.rules.import_formats import CellError, Column
from tracker.services import audit
from tracker.services.errors import Conflict, ServiceError
from tracker.services.imports.importer import MODES, Issue
from tracker.services.imports.spreadsheets import Limits, read_table
from tracker.services.scoping import company_scope_clause, get_company_for
from tracker.services.unit_of_work import use_case

REPORT_FIELDS = ("company_id", "year", "filed_on", "source")
CHUNK = 5000  # ids per IN list (well under PostgreSQL's and SQLite's parameter limits)

COLUMNS: tuple[Column, ...] = (
    Column("uscc", "统一社会信用代码", ("信用代码", "社会信用代码", "uscc", "credit_code"), True, max_length=40),
    Column("year", "年度", ("报表年度", "年报年度", "年份", "year"), True, kind="year"),
    Column("filed_on", "报送日期", ("填报日期", "提交日期", "filed_on"), True, kind="date"),
    Column("name", "企业名称", ("名称", "单位名称", "公司名称", "name", "company_name"), max_length=200),
)


def _check(year: int, filed_on: dt.date, on: dt.date) -> None:
    problem = reminder_rules.filing_problem(year, filed_on, on)
    if problem is not None:
        raise ServiceError(problem[1], field=problem[0])


@dataclass
class CompanyFilings:
    """A company (as the user may see it) and its recorded annual reports, latest year first."""

    company: Company
    reports: list[AnnualReport]


def filings_for_company(user: User, company_id: int) -> CompanyFilings:
    """A company's recorded annual reports (NotFound if the user may not see the company)."""
    company = get_company_for(user, company_id, db.session)
    reports = list(db.session.scalars(
        select(AnnualReport).where(AnnualReport.company_id == company.id).order_by(AnnualReport.year.desc())
    ))
    return CompanyFilings(company, reports)


@use_case
def record_filing(
    user: User, company_id: int, year: int, filed_on: dt.date | None = None, *, on: dt.date | None = None,
) -> AnnualReport:
    """Mark the report on `year` as filed on `filed_on` (default today) for a company the user sees."""
    on = on or clock_today()
    filed_on = filed_on or on
    company = get_company_for(user, company_id, db.session)
    _check(year, filed_on, on)
    existing = db.session.scalar(
        select(AnnualReport).where(AnnualReport.company_id == company.id, AnnualReport.year == year)
    )
    if existing is not None:
        raise Conflict(f"{company.name}的 {year} 年度年报已登记（报送日期 {existing.filed_on.isoformat()}）")
    report = AnnualReport(company_id=company.id, year=year, filed_on=filed_on, recorded_by_id=user.id, source="manual")
    db.session.add(report)
    audit.record(user.id, "annual_report.record", report, company_id=company.id,
                 after=audit.snapshot(report, REPORT_FIELDS))
    return report


@use_case
def remove_filing(user: User, company_id: int, year: int) -> None:
    """Remove a filing recorded by mistake (the audit log keeps what it was)."""
    company = get_company_for(user, company_id, db.session)
    report = db.session.scalar(
        select(AnnualReport).where(AnnualReport.company_id == company.id, AnnualReport.year == year)
    )
    if report is None:
        raise ServiceError(f"{company.name}没有登记 {year} 年度年报", field="year")
    audit.record(user.id, "annual_report.remove", report, company_id=company.id,
                 before=audit.snapshot(report, REPORT_FIELDS))
    db.session.delete(report)


# --------------------------------------------------------------------------- import


@dataclass
class FilingImport:
    """What an import found and did; nothing is written on a dry run or, in mode "all", on any error."""

    filename: str
    dry_run: bool
    mode: str
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[Issue] = field(default_factory=list)
    committed: bool = False

    def summary(self) -> str:
        """One Chinese sentence for the page and the command line."""
        if self.committed:
            head = "导入完成"
        elif self.dry_run:
            head = "检查完成（仅检查，未写入）"
        elif self.mode == "all" and self.errors:
            head = "存在错误，按“全部正确才导入”未写入任何数据"
        else:
            head = "没有需要写入的数据"
        return (f"{head}：共 {self.rows} 行，新增 {self.new}，更新报送日期 {self.updated}，"
                f"无变化 {self.unchanged}，错误 {len(self.errors)}")


def _text(value) -> str:
    return "" if value is None else str(value)[:60]


def _cell(headers, cells: list, name: str):
    """The value of column `name` in one row (None when the column or the cell is absent)."""
    index = headers.positions.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def _visible(user: User | None):
    """Companies an import may record filings for: the user's, or every live one from the command line."""
    return company_scope_clause(user) if user is not None else Company.deleted_at.is_(None)


@use_case
def import_filings(
    user: User | None, data: bytes, filename: str, *, dry_run: bool = True, mode: str = "all",
    limits: Limits | None = None, on: dt.date | None = None,
) -> FilingImport:
    """Read a list of filed reports (统一社会信用代码, 年度, 报送日期) and record it, all or nothing.

    Matched on company + year: a filing already recorded with another date is updated, the same
    date is left alone (re-importing a file changes nothing). Companies the user cannot see are
    refused row by row like unknown codes; `user` None is the command line (the whole city).
    """
    if mode not in MODES:
        raise ServiceError(f"未知的导入方式：{mode}（all 或 valid）", field="mode")
    on = on or clock_today()
    table = read_table(data, filename, limits)
    headers = import_formats.map_headers(COLUMNS, table.header)
    if headers.missing:
        raise ServiceError("缺少必需的列：" + "、".join(c.header for c in headers.missing), field="file")
    report = FilingImport(filename=filename, dry_run=dry_run, mode=mode, rows=len(table.rows))
    parsed: list[tuple[int, str, int, dt.date]] = []
    for number, cells in table.rows:
        row_ok = True
        values = {}
        for column in COLUMNS:
            if column.field == "name":
                continue
            raw = _cell(headers, cells, column.field)
            try:
                if column.field == "uscc":
                    values["uscc"] = uscc.validate(import_formats.unescape_cell(raw))
                else:
                    values[column.field] = import_formats.parse_cell(column, raw)
                    if values[column.field] is None:
                        raise CellError(f"请填写{column.header}")
            except (CellError, uscc.InvalidCreditCode) as exc:
                reason, code = (exc.reason, None) if isinstance(exc, CellError) else (exc.message, exc.reason)
                header = headers.headers.get(column.field, column.header)
                report.errors.append(Issue(number, header, _text(raw), reason, code))
                row_ok = False
        if row_ok:
            problem = reminder_rules.filing_problem(values["year"], values["filed_on"], on)
            if problem is not None:
                header = "年度" if problem[0] == "year" else "报送日期"
                report.errors.append(Issue(number, header, _text(_cell(headers, cells, problem[0])), problem[1]))
            else:
                parsed.append((number, values["uscc"], values["year"], values["filed_on"]))
    companies: dict[str, int] = {}
    codes = sorted({p[1] for p in parsed})
    for start in range(0, len(codes), CHUNK):
        companies.update(db.session.execute(
            select(Company.uscc, Company.id).where(Company.uscc.in_(codes[start:start + CHUNK]), _visible(user))
        ).tuples().all())
    existing: dict[tuple[int, int], AnnualReport] = {}
    ids = sorted(set(companies.values()))
    for start in range(0, len(ids), CHUNK):
        existing.update({
            (r.company_id, r.year): r for r in db.session.scalars(
                select(AnnualReport).where(AnnualReport.company_id.in_(ids[start:start + CHUNK]))
            )
        })
    seen: dict[tuple[int, int], int] = {}
    writes: list[tuple[int, int, dt.date]] = []
    for number, code, year, filed_on in parsed:
        company_id = companies.get(code)
        if company_id is None:
            report.errors.append(Issue(number, "统一社会信用代码", code, "未找到该企业，或不在您的管辖范围内"))
            continue
        if (company_id, year) in seen:
            report.errors.append(Issue(number, "年度", str(year), f"与第 {seen[(company_id, year)]} 行重复（同一企业同一年度）"))
            continue
        seen[(company_id, year)] = number
        writes.append((company_id, year, filed_on))
    plan = []
    for company_id, year, filed_on in writes:
        old = existing.get((company_id, year))
        action = "new" if old is None else ("update" if old.filed_on != filed_on else "unchanged")
        plan.append((company_id, year, filed_on, old, action))
    report.new = sum(1 for p in plan if p[4] == "new")
    report.updated = sum(1 for p in plan if p[4] == "update")
    report.unchanged = sum(1 for p in plan if p[4] == "unchanged")
    if dry_run or (mode == "all" and report.errors) or not (report.new or report.updated):
        return report
    source = f"import:{filename}"[:120]
    for company_id, year, filed_on, old, action in plan:
        if action == "new":
            db.session.add(AnnualReport(company_id=company_id, year=year, filed_on=filed_on,
                                        recorded_by_id=user.id if user else None, source=source))
        elif action == "update":
            old.filed_on, old.source, old.recorded_by_id = filed_on, source, user.id if user else None
    # One audit row per import, as the other importers write (the rows keep their source).
    audit.record(user.id if user else None, "import.annual_reports", entity_type="import", after={
        "file": filename[:200], "mode": mode, "rows": report.rows, "new": report.new,
        "updated": report.updated, "unchanged": report.unchanged, "error_rows": len({e.row for e in report.errors}),
    })
    report.committed = True
    return report
