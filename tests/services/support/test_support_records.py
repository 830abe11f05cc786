"""Support records (tracker/services/support): writing, refusing, scoping, record_subsidy, the
company-list filter, the profile's yearly summary, import and export (docs/DOMAIN.md §9)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AuditEvent, SupportRecord
from tracker.services.candidates.profile import assess_company
from tracker.services.companies.queries import CompanyFilters, list_companies
from tracker.services.errors import Forbidden, NotFound, ServiceError
from tracker.services.imports import importer
from tracker.services.imports.exporter import export_kind
from tracker.services.support import queries, records
from tracker.services.unit_of_work import unit_of_work

YEAR = today().year - 1


def _audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


@pytest.fixture
def world(factory):
    officer = factory.user("officer", "wujin")
    manager = factory.user("manager", "wujin")
    company = factory.company("wujin", officer=officer, name="武进扶持企业")
    other = factory.company("liyang", name="溧阳企业")
    return {"officer": officer, "manager": manager, "company": company, "other": other,
            "admin": factory.user("admin")}


def test_an_officer_records_support_of_every_kind_each_with_one_audit_row(world):
    officer, company = world["officer"], world["company"]
    rows = [
        {"kind": "rd_deduction", "year": YEAR, "amount": Decimal("85.20")},
        {"kind": "tech_loan", "year": YEAR, "loan_product": "sukedai", "bank": "江苏银行", "amount": Decimal(300),
         "occurred_on": dt.date(YEAR, 4, 2)},
        {"kind": "listing", "year": YEAR, "listing_stage": "coaching", "listing_board": "star",
         "filed_on": dt.date(YEAR, 6, 1)},
        {"kind": "contest", "year": YEAR, "name": "常州市创新创业大赛", "level": "city", "award": "一等奖"},
        {"kind": "subsidy", "year": YEAR, "name": "创新政策20条", "amount": Decimal(50)},
    ]
    for data in rows:
        records.add_record(officer, company.id, data)
    stored = queries.for_company(officer, company.id)
    assert [r.kind for r in stored] == ["rd_deduction", "tech_loan", "listing", "contest", "subsidy"]
    assert _audits("support.create") == 5
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "support.create")).first()
    assert event.after["support_kind"] == "研发费用加计扣除"  # the log shows names, never codes
    summary = assess_company(company).support
    assert summary[0].year == YEAR and len(summary[0].lines) == 5


def test_refused_input_writes_nothing(world):
    with pytest.raises(ServiceError) as exc:
        records.add_record(world["officer"], world["company"].id,
                           {"kind": "tech_loan", "year": YEAR, "loan_product": "sukedai", "amount": Decimal(10),
                            "occurred_on": dt.date(YEAR, 1, 5)})
    assert exc.value.field == "bank" and exc.value.message == "请填写贷款银行"
    assert db.session.scalar(select(func.count()).select_from(SupportRecord)) == 0
    assert _audits("support.create") == 0


def test_one_rd_deduction_per_year_and_one_listing_process(world):
    officer, company = world["officer"], world["company"]
    records.add_record(officer, company.id, {"kind": "rd_deduction", "year": YEAR, "amount": Decimal(10)})
    with pytest.raises(ServiceError, match="已登记"):
        records.add_record(officer, company.id, {"kind": "rd_deduction", "year": YEAR, "amount": Decimal(20)})
    records.add_record(officer, company.id, {"kind": "rd_deduction", "year": YEAR - 1, "amount": Decimal(20)})
    listing = {"kind": "listing", "year": YEAR, "listing_stage": "coaching", "listing_board": "main",
               "filed_on": dt.date(YEAR, 3, 1)}
    records.add_record(officer, company.id, listing)
    with pytest.raises(ServiceError, match="已有上市培育记录"):
        records.add_record(officer, company.id, {**listing, "listing_board": "bse"})


def test_other_districts_companies_and_records_are_not_found(world):
    manager, other = world["manager"], world["other"]
    with pytest.raises(NotFound):
        records.add_record(manager, other.id, {"kind": "rd_deduction", "year": YEAR, "amount": Decimal(1)})
    theirs = records.add_record(world["admin"], other.id, {"kind": "rd_deduction", "year": YEAR, "amount": Decimal(1)})
    with pytest.raises(NotFound):
        records.get_record_for(manager, theirs.id)
    with pytest.raises(NotFound):
        records.get_record_for(world["officer"], theirs.id)
    assert queries.list_records(manager, queries.SupportFilters(), 1, 50).total == 0


def test_update_is_version_checked_and_audits_only_changes(world):
    record = records.add_record(world["officer"], world["company"].id,
                                {"kind": "subsidy", "year": YEAR, "name": "创新政策20条", "amount": Decimal(50)})
    records.update_record(world["manager"], record, {"year": YEAR, "name": "创新政策20条", "amount": Decimal(60)},
                          version=record.version)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "support.update")).one()
    assert event.before == {"amount": "50.00"} and event.after == {"amount": "60.00"}
    with pytest.raises(ServiceError, match="可能是您在另一窗口的操作"):
        records.update_record(world["manager"], record, {"year": YEAR, "name": "x", "amount": Decimal(1)}, version=1)


def test_delete_is_soft_and_officers_delete_only_their_own(world, factory):
    record = records.add_record(world["manager"], world["company"].id,
                                {"kind": "rd_deduction", "year": YEAR, "amount": Decimal(5)})
    with pytest.raises(Forbidden):
        records.delete_record(world["officer"], record)
    records.delete_record(world["manager"], record)
    assert db.session.get(SupportRecord, record.id).deleted_at is not None
    assert queries.for_company(world["manager"], world["company"].id) == []
    with pytest.raises(NotFound):
        records.get_record_for(world["manager"], record.id)
    assert _audits("support.delete") == 1


def test_record_subsidy_joins_the_callers_unit_and_rolls_back_with_it(world):
    company = world["company"]
    with pytest.raises(RuntimeError):
        with unit_of_work():
            records.record_subsidy(world["admin"], company.id, YEAR, "高企首次认定奖励", Decimal(20),
                                   dt.date(YEAR, 11, 1), source_claim_id=7)
            raise RuntimeError("the caller fails after the call")
    assert db.session.scalar(select(func.count()).select_from(SupportRecord)) == 0
    with unit_of_work():
        first = records.record_subsidy(None, company.id, YEAR, "高企首次认定奖励", Decimal(20), dt.date(YEAR, 11, 1),
                                       source_claim_id=7)
    again = records.record_subsidy(None, company.id, YEAR, "高企首次认定奖励", Decimal(25), dt.date(YEAR, 11, 2),
                                   source_claim_id=7)
    assert again.id == first.id and again.amount == Decimal("25.00") and again.source == "policy"
    assert db.session.scalar(select(func.count()).select_from(SupportRecord)) == 1
    with pytest.raises(ServiceError):
        records.record_subsidy(None, company.id, YEAR, "", Decimal(25), None)


def test_company_list_filters_by_support(world, factory):
    officer, company = world["officer"], world["company"]
    plain = factory.company("wujin", officer=officer, name="无扶持企业")
    records.add_record(officer, company.id, {"kind": "tech_loan", "year": YEAR, "loan_product": "innovation",
                                             "bank": "中国银行", "amount": Decimal(100), "occurred_on": dt.date(YEAR, 2, 2)})
    records.add_record(officer, company.id, {"kind": "listing", "year": YEAR, "listing_stage": "listed",
                                             "listing_board": "chinext", "filed_on": dt.date(YEAR, 1, 2),
                                             "accepted_on": dt.date(YEAR, 3, 2), "listed_on": dt.date(YEAR, 9, 2)})

    def names(code):
        page = list_companies(officer, CompanyFilters(support=code), today(), 1, 50)
        return {row.company.name for row in page.rows}

    assert names("tech_loan") == {"武进扶持企业"}
    assert names("rd_deduction") == set()
    assert names("listing") == {"武进扶持企业"}
    assert names("listing_active") == set()  # already listed: no longer under cultivation
    assert names(None) == {"武进扶持企业", plain.name}


def _sheet_bytes(headers, rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_dry_run_then_commit_then_same_file_changes_nothing(world):
    company = world["company"]
    headers = ["统一社会信用代码", "企业名称", "扶持类型", "年度", "金额(万元)", "日期", "贷款产品", "贷款银行",
               "上市阶段", "上市板块", "辅导备案日期", "大赛或政策名称", "大赛级别", "获奖等次"]
    rows = [
        [company.uscc, company.name, "研发费用加计扣除", YEAR, 88, None, None, None, None, None, None, None, None, None],
        [company.uscc, company.name, "科技贷款", YEAR, 200, f"{YEAR}-05-06", "苏科贷", "江南银行", None, None, None, None, None, None],
        [company.uscc, company.name, "上市培育", YEAR, None, None, None, None, "辅导备案", "科创板", f"{YEAR}-02-01", None, None, None],
        [company.uscc, company.name, "双创大赛", YEAR, None, None, None, None, None, None, None, "江苏省双创大赛", "省级", "二等奖"],
        [company.uscc, company.name, "补贴奖励", YEAR, 30, None, None, None, None, None, None, "创新政策20条", None, None],
        [company.uscc, company.name, "科技贷款", YEAR, 200, f"{YEAR}-05-06", "苏科贷", None, None, None, None, None, None, None],
        [company.uscc, company.name, "火箭", YEAR, 1, None, None, None, None, None, None, None, None, None],
    ]
    data = _sheet_bytes(headers, rows)
    dry = importer.run_import("support", data, "support.xlsx", dry_run=True)
    assert dry.new == 5 and len(dry.error_rows) == 2
    reasons = {i.row: i.reason for i in dry.errors}
    assert reasons[7] == "请填写贷款银行" and reasons[8].startswith("未知的扶持类型")
    assert db.session.scalar(select(func.count()).select_from(SupportRecord)) == 0
    done = importer.run_import("support", data, "support.xlsx", dry_run=False, mode="valid")
    assert done.committed and done.new == 5
    assert _audits("import.support") == 1
    again = importer.run_import("support", data, "support.xlsx", dry_run=False, mode="valid")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 5)
    # A later file moves the listing process on: an update, with the empty cells keeping the stored values.
    moved = _sheet_bytes(["统一社会信用代码", "扶持类型", "年度", "上市阶段", "申报受理日期"],
                         [[company.uscc, "上市培育", YEAR, "申报受理", f"{YEAR}-08-01"]])
    report = importer.run_import("support", moved, "moved.xlsx", dry_run=False)
    assert report.updated == 1, report.errors
    listing = db.session.scalars(select(SupportRecord).where(SupportRecord.kind == "listing")).one()
    assert listing.listing_stage == "accepted" and listing.filed_on == dt.date(YEAR, 2, 1)


def test_export_round_trips_and_is_scoped(world, tmp_path):
    officer, company = world["officer"], world["company"]
    records.add_record(officer, company.id, {"kind": "contest", "year": YEAR, "name": "=HYPERLINK()", "level": "national",
                                             "award": "优胜奖"})
    records.add_record(world["admin"], world["other"].id, {"kind": "rd_deduction", "year": YEAR, "amount": Decimal(9)})
    data, count = queries.export_xlsx(world["manager"], queries.SupportFilters())
    assert count == 1
    sheet = load_workbook(io.BytesIO(data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][2] == "扶持类型" and values[2][2] == "创新创业大赛" and values[2][13] == "'=HYPERLINK()"
    assert _audits("support.export") == 1
    path = tmp_path / "all.xlsx"
    assert export_kind("support", path) == 2
    report = importer.run_import("support", path.read_bytes(), "all.xlsx", dry_run=True)
    assert (report.new, report.unchanged, len(report.errors)) == (0, 2, 0)
