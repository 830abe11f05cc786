"""The companies import's 纬度/经度 columns: both or neither, range checked, exported and read back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.services.imports.import_helpers import COMPANY_HEADER, code, company_rows, csv_file, xlsx_file
from tracker.extensions import db
from tracker.models import Company
from tracker.rules import import_formats as fmt
from tracker.services.imports.exporter import export_kind
from tracker.services.imports.importer import run_import

HEADER = COMPANY_HEADER + ["纬度", "经度"]


def _rows(*positions):
    return [row + list(position) for row, position in zip(company_rows(len(positions)), positions)]


def test_the_position_columns_are_part_of_the_companies_format():
    headers = fmt.template_headers("companies")
    assert headers[-2:] == ["纬度", "经度"]


def test_a_row_with_both_coordinates_stores_the_position(app):
    report = run_import("companies", csv_file(HEADER, _rows(("31.810123", "119.974567"), ("", ""))), "c.csv",
                        dry_run=False)
    assert report.errors == [] and report.new == 2
    placed = db.session.scalar(select(Company).where(Company.uscc == code(1)))
    assert (placed.latitude, placed.longitude) == (Decimal("31.810123"), Decimal("119.974567"))
    unplaced = db.session.scalar(select(Company).where(Company.uscc == code(2)))
    assert unplaced.latitude is None and unplaced.longitude is None


def test_aliases_are_read_too(app):
    header = COMPANY_HEADER + ["latitude", "longitude"]
    report = run_import("companies", xlsx_file(header, _rows((31.5, 119.25))), "c.xlsx", dry_run=False)
    assert report.errors == []
    company = db.session.scalar(select(Company))
    assert (company.latitude, company.longitude) == (Decimal("31.500000"), Decimal("119.250000"))


@pytest.mark.parametrize(("latitude", "longitude", "column", "reason"), [
    ("31.81", "", "经度", "纬度和经度须同时填写（或都不填）"),
    ("", "119.97", "纬度", "纬度和经度须同时填写（或都不填）"),
    ("91", "119.97", "纬度", "纬度应在 -90 至 90 之间"),
    ("31.81", "-180.5", "经度", "经度应在 -180 至 180 之间"),
    ("1e400", "119.97", "纬度", "纬度应在 -90 至 90 之间"),
    ("北纬31度", "119.97", "纬度", "纬度应为十进制度数（如 31.810000）"),
])
def test_a_bad_position_is_refused_with_a_reason_and_nothing_is_written(app, latitude, longitude, column, reason):
    report = run_import("companies", csv_file(HEADER, _rows((latitude, longitude))), "c.csv", dry_run=False)
    assert [(i.row, i.column, i.reason) for i in report.errors] == [(2, column, reason)]
    assert not report.committed
    assert db.session.scalar(select(Company.id)) is None


def test_an_import_without_a_position_keeps_the_stored_one(app):
    run_import("companies", csv_file(HEADER, _rows(("31.81", "119.97"))), "c.csv", dry_run=False)
    again = run_import("companies", csv_file(COMPANY_HEADER, company_rows(1)), "c.csv", dry_run=False)
    assert (again.updated, again.unchanged) == (0, 1)
    moved = run_import("companies", csv_file(HEADER, _rows(("31.7", "119.9"))), "c.csv", dry_run=False)
    assert moved.updated == 1
    db.session.expire_all()
    company = db.session.scalar(select(Company))
    assert (company.latitude, company.longitude) == (Decimal("31.700000"), Decimal("119.900000"))


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_export_carries_the_position_and_reimports_unchanged(app, tmp_path, suffix):
    run_import("companies", csv_file(HEADER, _rows(("31.810123", "119.974567"), ("", ""))), "c.csv", dry_run=False)
    path = tmp_path / f"companies.{suffix}"
    assert export_kind("companies", path) == 2
    report = run_import("companies", path.read_bytes(), path.name, dry_run=True)
    assert report.errors == [] and (report.new, report.updated, report.unchanged) == (0, 0, 2)
    if suffix == "csv":
        text = path.read_text(encoding="utf-8-sig")
        assert text.splitlines()[0].endswith("纬度,经度") and "31.810123,119.974567" in text
