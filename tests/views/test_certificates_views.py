"""高企资质维护: the list, its filters, one-click tracks, export, annual reports and their import."""

from __future__ import annotations

import io
from datetime import date as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AnnualReport, CultivationTrack

YEAR = today().year


@pytest.fixture
def city(factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin", name="武进专员")
    mine = factory.company("wujin", officer=officer, name="武进高企")
    cert = factory.designation(mine, "hnte", D(YEAR - 3, 9, 1), reference="GR-WUJIN-1")
    secret = factory.company("liyang", name="溧阳机密高企")
    factory.designation(secret, "hnte", D(YEAR - 3, 9, 1), reference="GR-LIYANG-1")
    return dict(manager=manager, officer=officer, mine=mine, cert=cert, secret=secret)


def _tracks() -> int:
    return db.session.scalar(select(func.count()).select_from(CultivationTrack))


def test_manager_sees_their_district_only_and_the_menu_entry(client, auth, city):
    auth.login(city["manager"])
    page = client.get("/certificates/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "武进高企" in text and "GR-WUJIN-1" in text and "武进专员" in text
    assert "溧阳机密高企" not in text and "未建重新认定培育记录" in text
    assert "高企资质维护" in client.get("/").get_data(as_text=True)
    # A manager cannot widen the list with ?district=.
    assert "溧阳机密高企" not in client.get("/certificates/?district=liyang").get_data(as_text=True)


def test_officers_and_anonymous_are_refused(client, auth, city):
    assert client.get("/certificates/").status_code == 302
    auth.login(city["officer"])
    assert client.get("/certificates/").status_code == 403
    assert client.post("/certificates/tracks", data={"all_missing": "1"}).status_code == 403
    assert client.get("/certificates/export").status_code == 403
    assert _tracks() == 0


def test_admin_filters_by_district(client, auth, factory, city):
    auth.login(factory.user("admin"))
    text = client.get("/certificates/?district=liyang").get_data(as_text=True)
    assert "溧阳机密高企" in text and "武进高企" not in text
    for bad in ("?district=nowhere", "?expiry_year=1999", "?status=x", "?page=99999999999999999999"):
        assert client.get("/certificates/" + bad).status_code == 200


def test_add_ticked_and_all_missing_tracks(client, auth, city):
    auth.login(city["manager"])
    response = client.post("/certificates/tracks", data={})
    assert response.status_code == 302 and _tracks() == 0  # nothing ticked: a message, nothing written
    assert client.post("/certificates/tracks", data={"designation_ids": "abc"}).status_code == 400
    client.post("/certificates/tracks", data={"designation_ids": str(city["cert"].id)}, follow_redirects=True)
    track = db.session.scalar(select(CultivationTrack))
    assert (track.company_id, track.year, track.status, track.target_rung) == (city["mine"].id, YEAR, "pool", "hnte")
    text = client.get("/certificates/").get_data(as_text=True)
    assert f"{YEAR}年：储备" in text
    again = client.post("/certificates/tracks", data={"all_missing": "1"}, follow_redirects=True)
    assert "已补建重新认定培育记录 0 条" in again.get_data(as_text=True) and _tracks() == 1


def test_export_is_scoped_xlsx(client, auth, city):
    auth.login(city["manager"])
    response = client.get("/certificates/export")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "企业名称" and [r[0] for r in rows[2:]] == ["武进高企"]


def test_mark_a_report_from_the_list_and_remove_it(client, auth, city):
    auth.login(city["manager"])
    company_id = city["mine"].id
    response = client.post(f"/certificates/companies/{company_id}/annual-reports",
                           data={"year": str(YEAR - 1), "back": "list"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/certificates/")
    assert db.session.scalar(select(AnnualReport.year)) == YEAR - 1
    page = client.get(f"/certificates/companies/{company_id}/annual-reports").get_data(as_text=True)
    assert "在系统中登记" in page
    bad = client.post(f"/certificates/companies/{company_id}/annual-reports", data={"year": str(YEAR + 1)},
                      follow_redirects=True)
    assert "报表年度应在" in bad.get_data(as_text=True)
    client.post(f"/certificates/companies/{company_id}/annual-reports/remove", data={"year": str(YEAR - 1)})
    assert db.session.scalar(select(func.count()).select_from(AnnualReport)) == 0


def test_officer_marks_their_company_but_not_another_districts(client, auth, city):
    auth.login(city["officer"])
    company = client.get(f"/companies/{city['mine'].id}").get_data(as_text=True)
    assert "年报报送" in company
    ok = client.post(f"/certificates/companies/{city['mine'].id}/annual-reports", data={"year": str(YEAR - 1)})
    assert ok.status_code == 302
    for url in (f"/certificates/companies/{city['secret'].id}/annual-reports",
                f"/certificates/companies/{city['secret'].id}/annual-reports/remove"):
        assert client.post(url, data={"year": str(YEAR - 1)}).status_code == 404
    assert client.get(f"/certificates/companies/{city['secret'].id}/annual-reports").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AnnualReport)) == 1


def test_import_dry_run_then_commit_on_the_page(client, auth, city):
    auth.login(city["manager"])
    body = f"统一社会信用代码,年度,报送日期\n{city['mine'].uscc},{YEAR - 1},{YEAR}-01-15\n{city['secret'].uscc},{YEAR - 1},{YEAR}-01-15\n"

    def post(dry_run: bool, mode: str = "valid"):
        data = {"file": (io.BytesIO(body.encode()), "年报.csv"), "mode": mode}
        if dry_run:
            data["dry_run"] = "y"
        return client.post("/certificates/annual-reports/import", data=data, content_type="multipart/form-data")

    dry = post(True).get_data(as_text=True)
    assert "仅检查" in dry and "不在您的管辖范围内" in dry and "溧阳机密高企" not in dry
    assert db.session.scalar(select(func.count()).select_from(AnnualReport)) == 0
    done = post(False).get_data(as_text=True)
    assert "导入完成" in done and db.session.scalar(select(func.count()).select_from(AnnualReport)) == 1
    empty = client.post("/certificates/annual-reports/import", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400 and "请选择要导入的文件" in empty.get_data(as_text=True)
    junk = client.post("/certificates/annual-reports/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"a,b\n1,2\n"), "x.csv"), "mode": "all"})
    assert junk.status_code == 400 and "缺少必需的列" in junk.get_data(as_text=True)
