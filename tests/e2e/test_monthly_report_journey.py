"""A district manager downloads last month's 通报 from the indicator page; it opens (parsed back
with python-docx / openpyxl) with the dashboard's figures for that month's end."""

import io
import re

import pytest
from docx import Document
from openpyxl import load_workbook

from tests.e2e.conftest import login, screenshot
from tracker.clock import today
from tracker.rules.reports import last_finished_month
from tracker.services.indicators import targets
from tracker.services.indicators.dashboard import dashboard
from tracker.services.ops import demo_city

pytestmark = pytest.mark.e2e


def test_manager_downloads_last_months_report(app, new_page):
    demo_city.generate(companies=600)
    targets.seed_plan()
    month = last_finished_month(today())
    page = new_page()
    login(page, "manager.wujin@example.com", demo_city.DEMO_PASSWORD)
    page.goto("/indicators/")
    form = page.get_by_test_id("report-download")
    assert form.locator("select[name=month]").input_value() == month.key
    screenshot(page, "monthly_report_selector")

    with page.expect_download() as download:
        form.get_by_role("button", name="下载通报").click()
    docx = Document(io.BytesIO(download.value.path().read_bytes()))
    assert download.value.suggested_filename == f"倍增行动月调度通报_{month.label}_武进区.docx"
    board = dashboard(month.end, None, today(), "wujin")
    table = [[c.text for c in row.cells] for row in docx.tables[0].rows]
    for row in table[1:]:
        figure = next(r.figure for r in board.rows if r.figure.indicator.name == row[1])
        assert row[3] == str(figure.actual)
    text = "\n".join(p.text for p in docx.paragraphs)
    assert "一、主要指标完成情况" in text and "六、" in text
    assert not re.search(r"溧阳|金坛|新北|天宁|钟楼|经开", "\n".join(
        c.text for t in docx.tables for r in t.rows for c in r.cells))

    form.locator("select[name=format]").select_option("xlsx")
    with page.expect_download() as download:
        form.get_by_role("button", name="下载通报").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = list(book["主要指标"].iter_rows(min_row=3, max_row=14, values_only=True))
    assert [r[3] for r in rows] == [r.figure.actual for r in board.rows]

    phone = new_page(phone=True)
    login(phone, "manager.wujin@example.com", demo_city.DEMO_PASSWORD)
    phone.goto("/indicators/")
    phone.get_by_test_id("report-download").scroll_into_view_if_needed()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    screenshot(phone, "monthly_report_selector_phone")
