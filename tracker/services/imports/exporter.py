"""Exporting companies, designations, yearly figures and cultivation lists in the very layout the
importers read.

So a city can be moved or backed up as spreadsheets: export, import into another database, and
the same companies, designations and indicator table come back (tested by a round trip).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from openpyxl import Workbook
from sqlalchemy import select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Company, CompanyYearFigures, CultivationTrack, Designation, User
from tracker.rules.cultivation import STATUS_NAMES
from tracker.rules import import_formats as fmt
from tracker.rules.districts import DISTRICT_NAMES
from tracker.rules.import_examples import column_hints, example_row
from tracker.rules.ladder import RUNG_BY_CODE
from tracker.services.attractions.channels import channel_names
from tracker.services.attractions.export import project_rows as attraction_rows
from tracker.services.exports import scope_label, title_line, write_sheet, write_table, xlsx_bytes
from tracker.services.imports.spreadsheets import Limits, read_table
from tracker.services.scoping import company_scope_clause
from tracker.services.support.queries import export_rows as support_rows

_BATCH = 2000


def _live(actor: User | None):
    return company_scope_clause(actor) if actor is not None else Company.deleted_at.is_(None)


def company_rows(actor: User | None = None) -> Iterator[list[Any]]:
    """Live companies (those `actor` may see; all for the system) in COMPANY_COLUMNS order."""
    query = select(Company).where(_live(actor)).order_by(Company.uscc)
    channels = channel_names()  # the channel's Chinese name; the importer reads it back to the code
    for company in db.session.scalars(query.execution_options(yield_per=_BATCH)):
        yield [
            company.uscc, company.name, DISTRICT_NAMES.get(company.district, company.district),
            company.industry, company.founded_on, company.attracted_on,
            channels.get(company.attraction_channel, company.attraction_channel),
            company.address, company.contact_name, company.contact_phone, company.latitude, company.longitude,
        ]


def designation_rows(actor: User | None = None) -> Iterator[list[Any]]:
    """Designations of live companies in DESIGNATION_COLUMNS order (revocations included)."""
    query = (
        select(Designation, Company.uscc, Company.name)
        .join(Company, Company.id == Designation.company_id)
        .where(_live(actor))
        .order_by(Company.uscc, Designation.rung, Designation.valid_from, Designation.id)
    )
    for d, uscc, name in db.session.execute(query.execution_options(yield_per=_BATCH)):
        yield [
            uscc, name, RUNG_BY_CODE[d.rung].name if d.rung in RUNG_BY_CODE else d.rung, d.reference,
            d.granted_on, d.valid_from, d.valid_until, d.batch, d.revoked_on, d.revoke_reason,
        ]


def figure_rows(actor: User | None = None) -> Iterator[list[Any]]:
    """Yearly figures of live companies in FIGURE_COLUMNS order."""
    query = (
        select(CompanyYearFigures, Company.uscc, Company.name)
        .join(Company, Company.id == CompanyYearFigures.company_id)
        .where(_live(actor))
        .order_by(Company.uscc, CompanyYearFigures.year)
    )
    for f, uscc, name in db.session.execute(query.execution_options(yield_per=_BATCH)):
        yield [uscc, name, f.year, *(getattr(f, field) for field in CompanyYearFigures.FIELDS)]


def track_rows(actor: User | None = None) -> Iterator[list[Any]]:
    """Cultivation tracks of live companies in TRACK_COLUMNS order (names, not codes)."""
    query = (
        select(CultivationTrack, Company.uscc, Company.name)
        .join(Company, Company.id == CultivationTrack.company_id)
        .where(_live(actor))
        .order_by(CultivationTrack.year, CultivationTrack.target_rung, Company.uscc)
    )
    for t, uscc, name in db.session.execute(query.execution_options(yield_per=_BATCH)):
        rung = RUNG_BY_CODE[t.target_rung].name if t.target_rung in RUNG_BY_CODE else t.target_rung
        yield [uscc, name, rung, t.year, STATUS_NAMES.get(t.status, t.status), t.note]


ROW_SOURCES = {"companies": company_rows, "designations": designation_rows, "figures": figure_rows,
               "tracks": track_rows, "support": support_rows, "attractions": attraction_rows}


def export_kind(kind: str, path: str | Path, actor: User | None = None) -> int:
    """Write one kind to a file (xlsx by extension, else CSV with BOM); returns the rows written."""
    title = title_line(fmt.KIND_NAMES[kind], scope_label(actor), today())
    return write_table(path, fmt.template_headers(kind), ROW_SOURCES[kind](actor), sheet_title=fmt.KIND_NAMES[kind],
                       title=title)


EXAMPLE_SHEET = "填写示例"


def add_example_sheet(workbook: Workbook, kind: str) -> None:
    """A second sheet in an import template: the header, one example row, and per column whether it
    is required and what shape it takes. The importers read the first sheet only."""
    sheet = workbook.create_sheet(EXAMPLE_SHEET)
    title = f"{fmt.KIND_NAMES[kind]}填写示例（本页仅供参考、不会导入；请在第一个工作表“{fmt.KIND_NAMES[kind]}”中填写）"
    write_sheet(sheet, fmt.template_headers(kind), [example_row(kind), column_hints(kind)], title)


ROW_RESULT_HEADERS = ("检查结果", "问题说明")
ROW_RESULT_NAMES = {"new": "新增", "update": "更新", "unchanged": "无变化", "error": "错误"}


def dry_run_xlsx(report: Any, data: bytes, filename: str, limits: Limits | None = None) -> bytes:
    """The dry-run report as xlsx: every row of the uploaded file as it was, with its result and
    every error and warning of that row in the first two columns (so a clerk fixes the file in
    place). `report` is the importer's ImportReport of that very file."""
    table = read_table(data, filename, limits)
    errors: dict[int, list[str]] = {}
    warnings: dict[int, list[str]] = {}
    for target, issues in ((errors, report.errors), (warnings, report.warnings)):
        for issue in issues:
            where = f"“{issue.column}”" if issue.column else ""
            value = f"（{issue.value}）" if issue.value not in (None, "") else ""
            target.setdefault(issue.row, []).append(f"{where}{value}：{issue.reason}" if where else issue.reason)
    actions = {o.row: o.action for o in report.outcomes}

    def rows():
        for number, values in table.rows:
            if number in errors:
                result = "错误"
            else:
                result = ROW_RESULT_NAMES.get(actions.get(number, ""), "通过")
                if number in warnings:
                    result += "（有提示）"
            notes = [f"错误{n}：{t}" for n, t in enumerate(errors.get(number, []), start=1)]
            notes += [f"提示：{t}" for t in warnings.get(number, [])]
            yield [result, "\n".join(notes), *values]

    header = [*ROW_RESULT_HEADERS, *[h if h is not None else "" for h in table.header]]
    file_notes = [f"{t}" for t in (*errors.get(1, []), *warnings.get(1, []))]
    title = "；".join([f"{report.kind_name}试导入结果（文件：{filename}", f"共 {report.total_rows} 行",
                       f"有错误 {len(report.error_rows)} 行）", *file_notes])
    return xlsx_bytes(header, rows(), sheet_title="试导入结果", title=title)
