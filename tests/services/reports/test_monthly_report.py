"""The monthly 通报: its figures equal the dashboard's for the month's end, in Word and Excel,
scoped (a manager's version holds only their district), refused to officers."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import update

from tracker.extensions import db
from tracker.models import AuditEvent, Company, FollowUp, Notification, Visit
from tracker.rules.reports import ReportMonth
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.indicators import targets
from tracker.services.indicators.dashboard import dashboard
from tracker.services.notifications import digests, mailer
from tracker.services.reports import monthly
from tracker.services.unit_of_work import unit_of_work

D = dt.date
TODAY = D(2026, 12, 2)
OCTOBER = ReportMonth(2026, 10)


def _follow_up(company, created: dt.datetime, due_on: dt.date | None, **fields) -> FollowUp:
    with unit_of_work():
        row = FollowUp(company_id=company.id, description="融资对接需求", category="other", due_on=due_on, **fields)
        db.session.add(row)
        db.session.flush()
        row.created_at = created
    return row


@pytest.fixture
def city(app, factory):
    targets.seed_plan()
    c = {}
    c["w1"] = factory.company("wujin", name="武进一号科技")
    factory.designation(c["w1"], "hnte", D(2024, 1, 15))  # ends 2027-01-14: next quarter, no re-application
    c["w2"] = factory.company("wujin", name="武进二号科技")
    factory.designation(c["w2"], "hnte", D(2026, 10, 20))  # new in October: the change since September
    c["l1"] = factory.company("liyang", name="溧阳一号科技")
    factory.designation(c["l1"], "hnte", D(2025, 11, 3))
    factory.designation(c["l1"], "tech_sme", D(2026, 5, 6))
    c["l2"] = factory.company("liyang", name="溧阳二号科技")
    factory.designation(c["l2"], "hnte", D(2024, 2, 1))  # ends 2027-01-31: next quarter
    utc = dt.timezone.utc
    _follow_up(c["w1"], dt.datetime(2026, 8, 1, 2, tzinfo=utc), D(2026, 9, 1))  # open and overdue at 31 Oct
    _follow_up(c["w2"], dt.datetime(2026, 10, 30, 2, tzinfo=utc), D(2026, 11, 20))  # open, not overdue
    _follow_up(c["l1"], dt.datetime(2026, 11, 5, 2, tzinfo=utc), D(2026, 11, 30))  # raised after October
    _follow_up(c["l2"], dt.datetime(2026, 6, 1, 2, tzinfo=utc), D(2026, 7, 1),  # resolved in September
               status="resolved", resolved_at=dt.datetime(2026, 9, 10, 2, tzinfo=utc))
    return c


def test_figures_equal_the_dashboard_at_the_month_end(city):
    report = monthly.monthly_report(None, OCTOBER, TODAY)
    board = dashboard(OCTOBER.end, None, TODAY)
    for line in report.indicators:
        row = board.row(line.code)
        assert (line.actual, line.target, line.status) == (row.figure.actual, row.figure.target, row.status.label)
        assert line.expected == row.expected
    hnte = report.indicator("hnte_count")
    assert hnte.actual == 4 and hnte.previous == 3 and hnte.change == 1
    wujin = next(t for t in report.district_tables if t.code == "hnte_count")
    by_name = {line.name: line for line in wujin.lines}
    assert by_name["武进区"].actual == 2 and by_name["武进区"].change == 1
    assert [line.rank for line in wujin.lines] == sorted(line.rank for line in wujin.lines)
    assert len(wujin.lines) == 7
    assert {(c.name, c.open, c.overdue) for c in report.cases if c.open} == {("武进区", 2, 1)}
    assert [c.company for c in report.oldest_cases] == ["武进一号科技", "武进二号科技"]
    assert report.quarter == (D(2027, 1, 1), D(2027, 3, 31))
    assert {e.company for e in report.expiring} == {"武进一号科技", "溧阳二号科技"}


def _docx_tables(data: bytes) -> list[list[list[str]]]:
    document = Document(io.BytesIO(data))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_word_and_excel_parse_back_to_the_same_figures(city):
    report = monthly.monthly_report(None, OCTOBER, TODAY)
    docx = monthly.render(report, "docx")
    first = _docx_tables(docx)[0]
    assert first[0][:5] == ["序号", "指标", "单位", "完成", "年度目标"]
    for line, row in zip(report.indicators, first[1:]):
        assert row[1] == line.name and row[3] == str(line.actual)
        assert row[4] == ("—" if line.target is None else str(line.target))
    document = Document(io.BytesIO(docx))
    assert document.paragraphs[0].text == "常州市科技型企业“倍增行动”月调度通报"
    headings = [p.text for p in document.paragraphs if p.text[:2] in ("一、", "二、", "三、", "四、", "五、", "六、")]
    assert [h[:2] for h in headings] == ["一、", "二、", "三、", "四、", "五、", "六、"]
    east_asia = document.paragraphs[0].runs[0]._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
    assert east_asia == "宋体"
    assert len(document.inline_shapes) == 1  # the chart

    book = load_workbook(io.BytesIO(monthly.render(report, "xlsx")))
    sheet = book["主要指标"]
    assert sheet["A1"].value.startswith("常州市科技型企业“倍增行动”月调度通报（2026年10月）")
    rows = list(sheet.iter_rows(min_row=3, max_row=14, values_only=True))
    assert [(r[1], r[3], r[4]) for r in rows] == [(i.name, i.actual, i.target) for i in report.indicators]
    assert sheet.freeze_panes == "A3" and sheet.page_setup.orientation == "landscape"
    assert len(sheet._charts) == 1
    ranking = [r for r in book["辖市区排名"].iter_rows(min_row=3, values_only=True)]
    assert len(ranking) == 4 * 7


def test_a_managers_version_holds_only_their_district(city, factory):
    manager = factory.user("manager", "liyang")
    report = monthly.monthly_report(manager, OCTOBER, TODAY)
    assert report.scope_name == "溧阳市"
    assert all([line.name for line in t.lines] == ["溧阳市"] for t in report.district_tables)
    hnte = next(t for t in report.district_tables if t.code == "hnte_count").lines[0]
    assert hnte.rank is not None  # the rank among the seven is the 通报's own figure
    assert report.indicator("hnte_count").actual == 2
    assert [c.name for c in report.cases] == ["溧阳市"] and report.cases[0].open == 0
    assert [e.company for e in report.expiring] == ["溧阳二号科技"]
    text = _docx_text(monthly.render(report, "docx"))
    assert "溧阳二号科技" in text and "武进" not in text
    book = load_workbook(io.BytesIO(monthly.render(report, "xlsx")))
    cells = " ".join(str(v) for s in book.worksheets for r in s.iter_rows(values_only=True) for v in r if v)
    assert "武进" not in cells


def test_officers_are_refused_and_bad_months_explained(city, factory):
    officer = factory.user("officer", "wujin")
    with pytest.raises(Forbidden):
        monthly.monthly_report(officer, OCTOBER, TODAY)
    admin = factory.user("admin")
    with pytest.raises(ServiceError, match="尚未结束"):
        monthly.download(admin, "2026-12", "docx", TODAY)
    with pytest.raises(ServiceError, match="YYYY-MM"):
        monthly.download(admin, "十月", "docx", TODAY)
    with pytest.raises(ServiceError, match="docx"):
        monthly.download(admin, "2026-10", "pdf", TODAY)


def test_a_download_is_audited_and_an_admin_may_pick_a_district(city, factory):
    admin = factory.user("admin")
    data, report = monthly.download(admin, "2026-10", "xlsx", TODAY, district="wujin")
    assert report.scope_name == "武进区" and data[:2] == b"PK"
    event = db.session.query(AuditEvent).filter_by(action="report.monthly").one()
    assert event.after == {"month": "2026-10", "format": "xlsx", "district": "wujin"}
    assert monthly.download(admin, "2026-09", "docx", TODAY)[1].scope_name == "全市"


def test_control_characters_in_a_stored_name_do_not_break_the_report(city):
    # NUL where the database can hold it (PostgreSQL text cannot), ESC and BEL everywhere.
    name = "武进一号\x1b科\x07技" if db.engine.dialect.name == "postgresql" else "武进\x00一号\x1b科技"
    with unit_of_work():
        db.session.execute(update(Company).where(Company.id == city["w1"].id).values(name=name))
    report = monthly.monthly_report(None, OCTOBER, TODAY)
    assert "武进一号科技" in _docx_text(monthly.render(report, "docx"))
    book = load_workbook(io.BytesIO(monthly.render(report, "xlsx")))
    assert any(r[1] == "武进一号科技" for r in book["到期高企"].iter_rows(min_row=3, values_only=True))


def test_the_managers_monthly_email_links_to_the_districts_report(city, factory):
    manager = factory.user("manager", "wujin")
    assert digests.monthly_reports(D(2026, 11, 1)) == 1
    row = db.session.query(Notification).filter_by(recipient_id=manager.id, kind="report_monthly").one()
    assert row.payload["report_path"] == "/indicators/report?month=2026-10&format=docx"
    _subject, text, html = mailer.render(row, manager)
    assert "http://127.0.0.1:5000/indicators/report?month=2026-10&amp;format=docx" in html
    assert "2026-10 月调度通报" in text and "/indicators/report?month=2026-10&format=docx" in text


def test_a_follow_up_is_raised_on_its_visits_day_not_when_it_was_recorded(city, factory):
    """Rows loaded later (demo data, imports) carry the visit's date: open at the month's end if
    the visit was before it and the 诉求 was resolved only after it."""
    officer = factory.user("officer", "liyang")
    utc = dt.timezone.utc
    with unit_of_work():
        visit = Visit(company_id=city["l1"].id, officer_id=officer.id, visited_on=D(2026, 9, 15), summary="走访")
        db.session.add(visit)
        db.session.flush()
        visit_id = visit.id
    _follow_up(city["l1"], dt.datetime(2026, 12, 1, 2, tzinfo=utc), D(2026, 10, 15), visit_id=visit_id,
               status="resolved", resolved_at=dt.datetime(2026, 11, 10, 2, tzinfo=utc))
    report = monthly.monthly_report(None, OCTOBER, TODAY)
    liyang = next(c for c in report.cases if c.name == "溧阳市")
    assert (liyang.open, liyang.overdue) == (1, 1)
    item = next(c for c in report.oldest_cases if c.district_name == "溧阳市")
    assert item.raised_on == D(2026, 9, 15) and item.days_open == 46 and item.overdue
    november = monthly.monthly_report(None, ReportMonth(2026, 11), TODAY)  # resolved by then: only the 5 Nov one
    assert november.cases[0].open == 1
    assert [c.raised_on for c in november.oldest_cases if c.district_name == "溧阳市"] == [D(2026, 11, 5)]
