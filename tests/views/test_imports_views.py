"""The upload page: dry run writes nothing, commit in a mode, templates, and who may use it."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.services.imports.import_helpers import COMPANY_HEADER, code, company_rows, csv_file
from tracker.extensions import db
from tracker.models import AuditEvent, Company, CultivationTrack, TrackTransition, User


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _upload(client, data: bytes, filename: str = "companies.csv", kind: str = "companies"):
    return client.post("/imports/", data={"kind": kind, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def _token(html: str) -> str:
    match = re.search(r'name="token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'id="token" name="token" type="hidden" value="([^"]+)"', html)
    assert match, "no commit form on the report page"
    return match.group(1)


@pytest.fixture
def admin_client(client, auth, factory):
    admin = factory.user("admin")
    auth.login(admin)
    return client


def test_upload_dry_run_then_commit(admin_client, app):
    page = admin_client.get("/imports/")
    assert page.status_code == 200 and "数据导入" in page.get_data(as_text=True)
    audits_before = _count(AuditEvent)  # logging in may write audit rows of its own

    response = _upload(admin_client, csv_file(COMPANY_HEADER, company_rows(4)))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "试导入报告" in html and "将新增 4" in html
    assert _count(Company) == 0 and _count(AuditEvent) == audits_before  # the dry run wrote nothing

    result = admin_client.post("/imports/commit", data={"token": _token(html), "mode": "all"})
    body = result.get_data(as_text=True)
    assert result.status_code == 200 and "已导入" in body
    assert _count(Company) == 4
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "import.companies")) == 1
    # The stored file is gone once committed: the same token cannot be replayed.
    again = admin_client.post("/imports/commit", data={"token": _token(html), "mode": "all"}, follow_redirects=True)
    assert "已失效" in again.get_data(as_text=True)
    assert "companies.csv" in admin_client.get("/imports/").get_data(as_text=True)  # listed as recent


def test_all_or_nothing_refusal_then_valid_rows_only(admin_client, app):
    rows = company_rows(60)
    rows[48][0] = "123"
    report = _upload(admin_client, csv_file(COMPANY_HEADER, rows))
    html = report.get_data(as_text=True)
    assert "table-danger" in html and ">50<" in html and "应为18位" in html
    token = _token(html)

    refused = admin_client.post("/imports/commit", data={"token": token, "mode": "all"})
    assert "未写入任何数据" in refused.get_data(as_text=True)
    assert _count(Company) == 0

    written = admin_client.post("/imports/commit", data={"token": token, "mode": "valid"})
    assert "已导入" in written.get_data(as_text=True)
    assert _count(Company) == 59


def test_reimport_through_the_page_reports_unchanged(admin_client, app):
    data = csv_file(COMPANY_HEADER, company_rows(3))
    first = _upload(admin_client, data).get_data(as_text=True)
    admin_client.post("/imports/commit", data={"token": _token(first), "mode": "all"})
    second = _upload(admin_client, data).get_data(as_text=True)
    assert "将新增 0，将更新 0，无变化 3" in second


def test_bad_files_get_a_message_not_a_500(admin_client, zip_bomb_small):
    response = _upload(admin_client, zip_bomb_small, "bomb.xlsx")
    assert response.status_code == 200 and "超过上限" in response.get_data(as_text=True)
    assert 'name="token"' not in response.get_data(as_text=True)
    wrong_type = _upload(admin_client, b"x", "notes.txt")
    assert wrong_type.status_code == 400 and "只支持 .csv 或 .xlsx" in wrong_type.get_data(as_text=True)
    missing = admin_client.post("/imports/", data={"kind": "companies"}, content_type="multipart/form-data")
    assert missing.status_code == 400 and "请选择要导入的文件" in missing.get_data(as_text=True)


@pytest.fixture
def zip_bomb_small() -> bytes:
    """An archive that declares 60 MB uncompressed (over the 50 MB limit) in a few kilobytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            chunk = b"\0" * (1 << 20)
            for _ in range(60):
                entry.write(chunk)
    return buffer.getvalue()


def test_token_of_another_admin_or_a_forged_path_is_refused(app, client, auth, factory):
    first, second = factory.user("admin"), factory.user("admin")
    auth.login(first)
    token = _token(_upload(client, csv_file(COMPANY_HEADER, company_rows(2))).get_data(as_text=True))
    auth.logout()
    auth.login(second)
    refused = client.post("/imports/commit", data={"token": token, "mode": "all"}, follow_redirects=True)
    assert "已失效" in refused.get_data(as_text=True)
    forged = client.post("/imports/commit", data={"token": "../../tracker.sqlite", "mode": "all"}, follow_redirects=True)
    assert forged.status_code == 200 and "已失效" in forged.get_data(as_text=True)
    assert _count(Company) == 0


def test_template_files(admin_client):
    response = admin_client.get("/imports/template?kind=designations")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    header = response.data.decode("utf-8-sig").strip()
    assert header.startswith("统一社会信用代码,企业名称,资质类型,编号,认定日期,有效期起,有效期至,批次")
    assert admin_client.get("/imports/template?kind=figures").data.decode("utf-8-sig").count("(万元)") >= 5
    assert admin_client.get("/imports/template?kind=nope").status_code == 404


@pytest.mark.parametrize("role", ["manager", "officer"])
def test_only_administrators_may_import(app, client, auth, factory, role):
    user = factory.user(role, "wujin")
    auth.login(user)
    assert client.get("/imports/").status_code == 403
    assert _upload(client, csv_file(COMPANY_HEADER, company_rows(1))).status_code == 403
    assert client.post("/imports/commit", data={"token": "x" * 32, "mode": "all"}).status_code == 403
    assert client.get("/imports/template?kind=companies").status_code == 403
    assert client.get("/imports/template?kind=tracks&format=xlsx").status_code == 403
    assert _upload(client, csv_file(TRACK_HEADER, [[code(1), "高新技术企业", 2025, "储备"]]), "t.csv",
                   kind="tracks").status_code == 403
    assert "数据导入" not in client.get("/").get_data(as_text=True)
    assert _count(Company) == 0


def test_admin_sees_the_menu_entry(admin_client):
    assert "数据导入" in admin_client.get("/").get_data(as_text=True)
    assert code(1)  # helper sanity


TRACK_HEADER = ["统一社会信用代码", "目标资质", "年度", "状态"]


@pytest.mark.parametrize("kind", ["companies", "designations", "figures", "tracks"])
def test_xlsx_templates_format_the_credit_code_column_as_text(admin_client, kind):
    response = admin_client.get(f"/imports/template?kind={kind}&format=xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"import-{kind}-template.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A1"].value == "统一社会信用代码"
    assert sheet.column_dimensions["A"].number_format == "@" and sheet["A2"].number_format == "@"
    assert admin_client.get(f"/imports/template?kind={kind}&format=xls").status_code == 404


def test_the_page_offers_the_cultivation_list_and_says_how_money_units_work(admin_client):
    html = admin_client.get("/imports/").get_data(as_text=True)
    assert '<option value="tracks">培育名单</option>' in html
    assert 'data-testid="template-tracks-xlsx"' in html and "目标资质" in html
    assert "营业收入(元)" in html


def test_cultivation_list_dry_run_then_commit_through_the_page(admin_client, app, factory):
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    company = factory.company("wujin", uscc=code(1))
    rows = [[code(1), "高新技术企业", 2025, "重点培育"], [code(2), "瞪羚企业", 2025, "储备"]]
    html = _upload(admin_client, csv_file(TRACK_HEADER, rows), "名单.csv", kind="tracks").get_data(as_text=True)
    assert "试导入报告 · 培育名单" in html and "将新增 1" in html and "系统中没有统一社会信用代码" in html
    assert _count(CultivationTrack) == 0
    result = admin_client.post("/imports/commit", data={"token": _token(html), "mode": "valid"})
    assert "已导入" in result.get_data(as_text=True)
    track = db.session.scalar(select(CultivationTrack))
    assert (track.company_id, track.status) == (company.id, "key")
    assert db.session.scalar(select(TrackTransition.by_id)) == admin.id
