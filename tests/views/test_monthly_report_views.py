"""The 通报 download on the indicator dashboard and `flask report monthly`: scoped, refused to
officers, bad months answered in Chinese, the file parses back to the dashboard's figures."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from docx import Document
from openpyxl import load_workbook

from tracker.indicators import cli as indicator_cli
from tracker.indicators import views as indicator_views
from tracker.services.indicators import targets
from tracker.services.indicators.dashboard import dashboard

D = dt.date
TODAY = D(2026, 11, 24)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(indicator_views, "today", lambda: TODAY)
    monkeypatch.setattr(indicator_cli, "today", lambda: TODAY)


@pytest.fixture
def city(app, factory):
    targets.seed_plan()
    for n in range(3):
        factory.designation(factory.company("wujin", name=f"武进企业{n}"), "hnte", D(2025, 3 + n, 1))
    factory.designation(factory.company("liyang", name="溧阳机密企业X"), "hnte", D(2024, 1, 20))  # ends Jan 2027


def _first_table(data: bytes) -> list[list[str]]:
    table = Document(io.BytesIO(data)).tables[0]
    return [[c.text for c in row.cells] for row in table.rows]


def test_the_dashboard_offers_every_finished_month(client, auth, factory, city):
    auth.login(factory.user("manager", "wujin"))
    page = client.get("/indicators/").get_data(as_text=True)
    assert 'data-testid="report-download"' in page
    assert '<option value="2026-10">2026年10月</option>' in page and '<option value="2026-11">' not in page
    assert '<option value="2023-01">2023年1月</option>' in page


def test_a_manager_downloads_their_districts_version(client, auth, factory, city):
    auth.login(factory.user("manager", "wujin"))
    response = client.get("/indicators/report?month=2026-10&format=docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    disposition = response.headers["Content-Disposition"]
    assert "filename=monthly-report-2026-10-wujin.docx" in disposition
    assert "filename*=UTF-8''" + quote("倍增行动月调度通报_2026年10月_武进区.docx") in disposition
    rows = _first_table(response.data)
    board = dashboard(D(2026, 10, 31), None, TODAY, "wujin")
    hnte = next(r for r in rows[1:] if r[1] == "高新技术企业数")
    assert hnte[3] == str(board.row("hnte_count").figure.actual) == "3"
    text = "\n".join(c.text for t in Document(io.BytesIO(response.data)).tables for r in t.rows for c in r.cells)
    assert "溧阳" not in text
    # Asking for another district's version still gives the manager their own district's.
    other = client.get("/indicators/report?month=2026-10&district=liyang")
    assert other.status_code == 200 and "wujin" in other.headers["Content-Disposition"]
    assert "溧阳" not in "".join(p.text for p in Document(io.BytesIO(other.data)).paragraphs)


def test_an_admin_picks_a_district_and_excel(client, auth, factory, city):
    auth.login(factory.user("admin"))
    response = client.get("/indicators/report?month=2026-10&format=xlsx&district=liyang")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert "溧阳市" in book["主要指标"]["A1"].value
    assert [r[1] for r in book["到期高企"].iter_rows(min_row=3, values_only=True)] == ["溧阳机密企业X"]


@pytest.mark.parametrize("month, message", [
    ("2026-11", "尚未结束"), ("2026-13", "1—12"), ("2022-12", "2023"), ("十月", "YYYY-MM"),
])
def test_bad_months_answer_400_in_chinese(client, auth, factory, city, month, message):
    auth.login(factory.user("admin"))
    response = client.get(f"/indicators/report?month={quote(month)}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_officers_are_refused(client, auth, factory, city):
    auth.login(factory.user("officer", "wujin"))
    assert client.get("/indicators/report?month=2026-10").status_code == 403


def test_cli_writes_word_and_excel(runner, city, tmp_path):
    out = tmp_path / "通报.docx"
    result = runner.invoke(args=["report", "monthly", "--month", "2026-10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "全市2026年10月" in result.output
    hnte = next(r for r in _first_table(out.read_bytes())[1:] if r[1] == "高新技术企业数")
    assert hnte[3] == "4"
    xlsx = tmp_path / "r.xlsx"
    assert runner.invoke(args=["report", "monthly", "--month", "2026-09", "--out", str(xlsx),
                               "--district", "liyang"]).exit_code == 0
    assert "溧阳市" in load_workbook(xlsx)["主要指标"]["A1"].value
    bad = runner.invoke(args=["report", "monthly", "--month", "2026-11", "--out", str(out)])
    assert bad.exit_code == 2 and "尚未结束" in bad.output
    assert runner.invoke(args=["report", "monthly", "--out", str(tmp_path / "r.pdf")]).exit_code == 2
