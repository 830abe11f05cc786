"""Annual reports (年度发展情况报表): marking, removing and importing filings, all scoped."""

from __future__ import annotations

from datetime import date as D

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import AnnualReport, AuditEvent
from tracker.services.certificates import annual_reports as reports
from tracker.services.errors import Conflict, NotFound, ServiceError

ON = D(2026, 6, 3)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(AnnualReport))


@pytest.fixture
def people(factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    mine = factory.company(officer=officer, name="专员企业")
    other = factory.company("xinbei", name="新北企业")
    return dict(manager=manager, officer=officer, mine=mine, other=other)


def test_record_and_remove_a_filing(app, people):
    report = reports.record_filing(people["officer"], people["mine"].id, 2025, D(2026, 5, 20), on=ON)
    assert (report.year, report.filed_on, report.source) == (2025, D(2026, 5, 20), "manual")
    with pytest.raises(Conflict, match="已登记"):
        reports.record_filing(people["manager"], people["mine"].id, 2025, on=ON)
    assert [r.year for r in reports.filings_for_company(people["manager"], people["mine"].id).reports] == [2025]
    reports.remove_filing(people["manager"], people["mine"].id, 2025)
    assert _count() == 0
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["annual_report.record", "annual_report.remove"]


def test_scope_and_meaning_are_checked(app, factory, people):
    with pytest.raises(NotFound):
        reports.record_filing(people["manager"], people["other"].id, 2025, on=ON)
    with pytest.raises(NotFound):
        reports.filings_for_company(people["officer"], people["other"].id)
    reports.record_filing(factory.user("admin"), people["other"].id, 2025, on=ON)
    with pytest.raises(NotFound):
        reports.remove_filing(people["manager"], people["other"].id, 2025)
    with pytest.raises(ServiceError, match="没有登记"):
        reports.remove_filing(people["manager"], people["mine"].id, 2024)
    with pytest.raises(ServiceError, match="报表年度"):
        reports.record_filing(people["manager"], people["mine"].id, 2026, on=ON)  # filed in 2027
    with pytest.raises(ServiceError, match="不能晚于今天"):
        reports.record_filing(people["manager"], people["mine"].id, 2025, D(2026, 7, 1), on=ON)
    with pytest.raises(ServiceError, match="不能早于 2026-01-01"):
        reports.record_filing(people["manager"], people["mine"].id, 2025, D(2025, 12, 31), on=ON)
    assert _count() == 1


def _csv(*rows: str) -> bytes:
    return ("统一社会信用代码,年度,报送日期\n" + "\n".join(rows) + "\n").encode("utf-8-sig")


def test_import_dry_run_then_valid_rows_then_again_changes_nothing(app, people):
    mine, other = people["mine"], people["other"]
    data = _csv(f"{mine.uscc},2025,2026-05-20", f"{mine.uscc},2024,2025/5/30", f"{other.uscc},2025,2026-05-01",
                "91320412MA1XXXXX,2025,2026-05-01", f"{mine.uscc},2026,2026-05-01")
    dry = reports.import_filings(people["manager"], data, "年报.csv", dry_run=True, on=ON)
    assert (dry.new, dry.committed, _count()) == (2, False, 0)
    reasons = {e.row: e.reason for e in dry.errors}
    assert "不在您的管辖范围内" in reasons[4]  # another district's company is refused like an unknown code
    assert "统一社会信用代码" in reasons[5] and "报表年度" in reasons[6]
    refused = reports.import_filings(people["manager"], data, "年报.csv", dry_run=False, mode="all", on=ON)
    assert not refused.committed and _count() == 0 and "未写入" in refused.summary()
    done = reports.import_filings(people["manager"], data, "年报.csv", dry_run=False, mode="valid", on=ON)
    assert done.committed and done.new == 2 and _count() == 2
    again = reports.import_filings(people["manager"], data, "年报.csv", dry_run=False, mode="valid", on=ON)
    assert (again.new, again.updated, again.unchanged, _count()) == (0, 0, 2, 2)
    moved = reports.import_filings(people["manager"], _csv(f"{mine.uscc},2025,2026-05-25"), "b.csv", dry_run=False, on=ON)
    assert moved.updated == 1
    assert db.session.scalar(select(AnnualReport.source).where(AnnualReport.year == 2025)) == "import:b.csv"


def test_import_xlsx_with_the_code_as_text_and_a_numeric_code_refused(app, people, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "年度", "报送日期"])
    sheet.append([people["mine"].uscc, 2025, D(2026, 5, 20)])
    sheet.append([913204120000123456, 2025, D(2026, 5, 20)])
    path = tmp_path / "r.xlsx"
    book.save(path)
    result = reports.import_filings(people["manager"], path.read_bytes(), "r.xlsx", dry_run=False, mode="valid", on=ON)
    assert result.new == 1 and "文本" in result.errors[0].reason


def test_import_refuses_a_file_without_the_columns_and_an_unknown_mode(app, people):
    with pytest.raises(ServiceError, match="缺少必需的列"):
        reports.import_filings(people["manager"], "企业名称\n甲\n".encode(), "x.csv", on=ON)
    with pytest.raises(ServiceError, match="导入方式"):
        reports.import_filings(people["manager"], _csv(), "x.csv", mode="some", on=ON)
    dup = reports.import_filings(people["manager"], _csv(f"{people['mine'].uscc},2025,2026-05-20",
                                                      f"{people['mine'].uscc},2025,2026-05-21"), "d.csv", on=ON)
    assert "重复" in dup.errors[0].reason
