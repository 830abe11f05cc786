"""Officers in the field (issue 17 items 1, 11, 12 and the field extras) through HTTP.

One-time submission tokens, withdrawing a visit, every error at once, the conflict page with the
stored values, phone details (tel:, inputmode, max dates, the active menu item), photos checked
by content with EXIF removed, and the location check-in flagged for managers.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Attachment, AuditEvent, Company, FollowUp, SubmissionToken, Visit
from tracker.rules.uscc import make_code
from tracker.services.companies.queries import CompanyFilters, list_companies
from tracker.services.visits.due import due_visits


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _token(html: str) -> str:
    match = re.search(r'name="submission_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="submission_token"', html)
    assert match, "the form carries no submission token"
    return match.group(1)


@pytest.fixture
def officer_setup(app, factory, auth):
    officer = factory.user("officer", "wujin", name="王专员")
    company = factory.company("wujin", officer=officer, name="常州测试科技有限公司", contact_phone="0519-88881234 / 13912345678")
    auth.login(officer)
    return officer, company


def _visit_data(token: str | None = None, **fields) -> dict:
    data = {"visited_on": today().isoformat(), "kind": "onsite", "summary": "了解企业研发情况"}
    if token:
        data["submission_token"] = token
    data.update(fields)
    return data


# --- 1. one-time submission tokens ---------------------------------------------------------------

def test_saving_the_same_visit_form_twice_creates_one_visit_and_links_to_it(client, officer_setup):
    _, company = officer_setup
    token = _token(client.get(f"/visits/new?company_id={company.id}").get_data(as_text=True))
    first = client.post(f"/visits/new?company_id={company.id}", data=_visit_data(token))
    assert first.status_code == 302
    visit = db.session.scalars(select(Visit)).one()
    again = client.post(f"/visits/new?company_id={company.id}", data=_visit_data(token, summary="又点了一次保存"))
    body = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "该记录已保存" in body and f'href="/visits/{visit.id}"' in body
    assert _count(Visit) == 1
    assert _count(AuditEvent, AuditEvent.action == "visit.create") == 1
    assert db.session.scalars(select(SubmissionToken)).one().record_url == f"/visits/{visit.id}"


def test_each_showing_of_the_form_has_its_own_token(client, officer_setup):
    _, company = officer_setup
    tokens = {_token(client.get(f"/visits/new?company_id={company.id}").get_data(as_text=True)) for _ in range(2)}
    assert len(tokens) == 2
    for token in tokens:
        assert client.post(f"/visits/new?company_id={company.id}", data=_visit_data(token)).status_code == 302
    assert _count(Visit) == 2


def test_a_refused_submission_does_not_use_up_its_token(client, officer_setup):
    _, company = officer_setup
    token = _token(client.get(f"/visits/new?company_id={company.id}").get_data(as_text=True))
    refused = client.post(f"/visits/new?company_id={company.id}", data=_visit_data(
        token, **{"follow_ups-0-category": "talent", "follow_ups-0-description": "人才公寓", "follow_ups-0-owner_id": "999999",
                  "follow_ups-0-due_workdays": "3"}))
    assert refused.status_code == 200 and _count(Visit) == 0 and _count(SubmissionToken) == 0
    assert token in refused.get_data(as_text=True)  # the corrected form is saved with the same token
    assert client.post(f"/visits/new?company_id={company.id}", data=_visit_data(token)).status_code == 302
    assert _count(Visit) == 1


def test_the_company_create_form_is_one_time_too(client, factory, auth):
    auth.login(factory.user("manager", "wujin"))
    token = _token(client.get("/companies/new").get_data(as_text=True))
    data = {"uscc": make_code("91320412MA1X2Y3W4"), "name": "常州一次性科技有限公司", "district": "wujin",
            "submission_token": token}
    assert client.post("/companies/new", data=data).status_code == 302
    again = client.post("/companies/new", data=data)
    assert "该记录已保存" in again.get_data(as_text=True)
    assert _count(Company, Company.name == "常州一次性科技有限公司") == 1


def test_a_malformed_token_is_a_shape_error_not_a_500(client, officer_setup):
    _, company = officer_setup
    response = client.post(f"/visits/new?company_id={company.id}", data=_visit_data("<script>"))
    assert response.status_code == 200 and _count(Visit) == 0
    assert "页面已过期，请刷新后重试" in response.get_data(as_text=True)


# --- 1. withdrawing a visit ------------------------------------------------------------------------

def _log(client, company, **fields):
    response = client.post(f"/visits/new?company_id={company.id}", data=_visit_data(**fields))
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.scalars(select(Visit).order_by(Visit.id.desc())).first()


def test_an_officer_withdraws_their_own_visit_and_it_counts_nowhere(app, client, officer_setup, factory):
    officer, company = officer_setup
    visit = _log(client, company)
    assert company.id not in {d.company_id for d in due_visits(officer, today(), min_state="due")}
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "撤回走访记录" in page
    response = client.post(f"/visits/{visit.id}/withdraw", data={"version": str(visit.version), "reason": "重复提交"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).withdrawn_at is not None
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "visit.withdraw")).one()
    assert event.actor_id == officer.id and event.after["withdraw_reason"] == "重复提交"
    # Counts nowhere: due again, no last visit in the company list, not on the company page.
    assert company.id in {d.company_id for d in due_visits(officer, today(), min_state="due")}
    row = list_companies(officer, CompanyFilters(), today(), 1, 50).rows[0]
    assert getattr(row, "last_visit_on", None) is None
    company_page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert f"/visits/{visit.id}" not in company_page
    shown = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "撤回" in shown and 'data-testid="visit-withdrawn"' in shown
    # The district manager sees the withdrawal in the audit log, in Chinese.
    manager = factory.user("manager", "wujin")
    other = app.test_client()
    other.post("/login", data={"email": manager.email, "password": factory.PASSWORD})
    log = other.get("/audit/").get_data(as_text=True)
    assert "撤回走访" in log and "重复提交" in log


def test_withdrawal_is_refused_while_a_follow_up_is_not_closed_and_for_someone_else(app, client, officer_setup, factory):
    officer, company = officer_setup
    visit = _log(client, company, **{"follow_ups-0-category": "funding", "follow_ups-0-description": "贷款",
                                     "follow_ups-0-owner_id": str(officer.id), "follow_ups-0-due_workdays": "5"})
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "诉求尚未销号，不能撤回" in page and 'data-testid="withdraw-visit"' not in page
    response = client.post(f"/visits/{visit.id}/withdraw", data={"version": str(visit.version)})
    assert response.status_code == 403 and "诉求尚未销号" in response.get_data(as_text=True)
    plain = _log(client, company)
    manager = factory.user("manager", "wujin")
    other = app.test_client()
    other.post("/login", data={"email": manager.email, "password": factory.PASSWORD})
    refused = other.post(f"/visits/{plain.id}/withdraw", data={"version": str(plain.version)})
    assert refused.status_code == 403
    db.session.expire_all()
    assert _count(Visit, Visit.withdrawn_at.is_not(None)) == 0
    assert _count(FollowUp) == 1


def test_withdrawal_after_the_edit_window_is_refused(app, client, officer_setup):
    _, company = officer_setup
    visit = _log(client, company)
    visit.created_at = visit.created_at - dt.timedelta(days=30)
    db.session.commit()
    response = client.post(f"/visits/{visit.id}/withdraw", data={"version": str(visit.version)})
    assert response.status_code == 403 and "已超过可撤回期限" in response.get_data(as_text=True)


# --- 11. every error at once; the conflict page ------------------------------------------------------

def test_a_future_date_is_reported_together_with_the_other_errors(client, officer_setup):
    _, company = officer_setup
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    body = client.post(f"/visits/new?company_id={company.id}",
                       data=_visit_data(visited_on=tomorrow, summary="", kind="fax")).get_data(as_text=True)
    for message in ("走访日期不能晚于今天", "请填写走访情况", "不是有效的选择"):
        assert message in body, message
    body = client.post(f"/visits/new?company_id={company.id}",
                       data=_visit_data(summary="", next_planned_on=today().isoformat())).get_data(as_text=True)
    assert "请填写走访情况" in body and "下次计划走访日期应晚于本次走访日期" in body
    assert _count(Visit) == 0


def test_a_conflicting_edit_says_so_and_shows_the_stored_values(app, client, officer_setup):
    _, company = officer_setup
    visit = _log(client, company, summary="第一次的记录")
    form = {"visited_on": today().isoformat(), "kind": "onsite", "summary": "另一窗口里的修改", "version": str(visit.version)}
    assert client.post(f"/visits/{visit.id}/edit", data=form).status_code == 302
    stale = client.post(f"/visits/{visit.id}/edit", data={**form, "summary": "本窗口的修改", "kind": "phone"})
    body = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "该记录已被修改（可能是您在另一窗口的操作）" in body
    conflict = body[body.index('data-testid="conflict"'):]
    assert "另一窗口里的修改" in conflict and "本窗口的修改" in conflict and "实地走访" in conflict and "电话" in conflict
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).summary == "另一窗口里的修改"
    # The form now carries the stored version: saving again is a deliberate overwrite.
    version = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', body)
    assert int(version.group(1) or version.group(2)) == db.session.get(Visit, visit.id).version


def test_the_company_edit_conflict_shows_the_stored_values(client, factory, auth):
    auth.login(factory.user("manager", "wujin"))
    company = factory.company("wujin", name="常州冲突科技有限公司")
    form = {"uscc": company.uscc, "name": "常州冲突科技股份有限公司", "district": "wujin", "version": "1"}
    assert client.post(f"/companies/{company.id}/edit", data=form).status_code == 302
    body = client.post(f"/companies/{company.id}/edit", data={**form, "name": "常州冲突二号有限公司"}).get_data(as_text=True)
    assert "该记录已被修改（可能是您在另一窗口的操作）" in body and "常州冲突科技股份有限公司" in body


def test_the_new_year_figures_form_never_prefills_an_existing_year(client, factory, auth):
    auth.login(factory.user("manager", "wujin"))
    company = factory.company("wujin", founded_on=dt.date(2015, 3, 1))
    last = today().year - 1
    form = {"year": str(last), "staff_count": "100", "version": "0"}
    assert client.post(f"/candidates/companies/{company.id}/figures/edit", data=form).status_code == 302
    body = client.get(f"/candidates/companies/{company.id}/figures/edit").get_data(as_text=True)
    year = re.search(r'name="year"[^>]*value="(\d*)"|value="(\d*)"[^>]*name="year"', body)
    assert year is not None
    assert (year.group(1) or year.group(2)) == str(last - 1)


# --- 12. phone details ---------------------------------------------------------------------------

def test_phone_numbers_are_tel_links_and_number_fields_bring_up_the_number_pad(client, officer_setup):
    _, company = officer_setup
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert 'href="tel:051988881234"' in page and 'href="tel:13912345678"' in page
    form = client.get(f"/visits/new?company_id={company.id}").get_data(as_text=True)
    assert re.search(r'<input[^>]*inputmode="numeric"[^>]*name="follow_ups-0-due_workdays"', form)
    assert re.search(rf'<input[^>]*max="{today().isoformat()}"[^>]*name="visited_on"', form)
    assert not re.search(r'<input[^>]*max="[^"]*"[^>]*name="next_planned_on"', form)  # the future is allowed there


def test_the_menu_highlights_the_current_section(client, officer_setup):
    page = client.get("/companies/").get_data(as_text=True)
    assert re.search(r'class="nav-link active" href="/companies/"', page)
    assert not re.search(r'class="nav-link active" href="/work/"', page)


def test_the_service_worker_is_served_for_the_visit_pages(client, officer_setup):
    response = client.get("/visits/sw.js")
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/visits/"
    assert "javascript" in response.headers["Content-Type"]
    assert "addEventListener(\"fetch\"" in response.get_data(as_text=True)


# --- photos and attachments ----------------------------------------------------------------------

def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (800, 600), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 48.0, 38.0), 3: "E", 4: (119.0, 58.0, 25.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photos_are_checked_by_content_stored_without_exif_and_thumbnailed(app, client, officer_setup, tmp_path):
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "files")
    _, company = officer_setup
    data = _visit_data(photos=[(io.BytesIO(_jpeg_with_gps()), "现场.jpg"), (io.BytesIO(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF"), "材料.pdf")])
    response = client.post(f"/visits/new?company_id={company.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    photo, pdf = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert (photo.content_type, pdf.content_type) == ("image/jpeg", "application/pdf")
    assert photo.has_thumbnail and not pdf.has_thumbnail
    stored = (tmp_path / "files" / photo.stored_name).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert not image.getexif(), "EXIF (GPS, maker) must be removed"
    download = client.get(f"/visits/attachments/{photo.id}")
    assert download.status_code == 200 and download.mimetype == "image/jpeg" and download.data == stored
    thumb = client.get(f"/visits/attachments/{photo.id}/thumbnail")
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert max(image.size) <= 320
    pdf_download = client.get(f"/visits/attachments/{pdf.id}")
    assert "attachment" in pdf_download.headers["Content-Disposition"]
    page = client.get(f"/visits/{photo.visit_id}").get_data(as_text=True)
    assert f"/visits/attachments/{photo.id}/thumbnail" in page and "材料.pdf" in page


@pytest.mark.parametrize("name, content, message", [
    ("照片.jpg", b"MZ\x90\x00 this is an exe", "不是 JPEG、PNG、WebP 图片或 PDF 文件"),
    ("空.png", b"", "是空文件"),
    ("坏图.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "已损坏或无法识别"),
])
def test_a_bad_file_refuses_the_whole_visit_and_writes_nothing(app, client, officer_setup, tmp_path, name, content, message):
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "files")
    _, company = officer_setup
    data = _visit_data(photos=[(io.BytesIO(content), name)])
    response = client.post(f"/visits/new?company_id={company.id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _count(Visit) == 0 and _count(Attachment) == 0
    assert not (tmp_path / "files").exists() or not any((tmp_path / "files").iterdir())


def test_an_oversized_file_is_refused(app, client, officer_setup, tmp_path):
    app.config.update(ATTACHMENT_DIR=str(tmp_path / "files"), ATTACHMENT_MAX_BYTES=1000)
    _, company = officer_setup
    data = _visit_data(photos=[(io.BytesIO(_jpeg_with_gps() + b"\x00" * 2000), "大.jpg")])
    body = client.post(f"/visits/new?company_id={company.id}", data=data, content_type="multipart/form-data").get_data(as_text=True)
    assert "超过" in body and _count(Attachment) == 0


def test_attachments_are_scoped_like_their_visit(app, client, officer_setup, factory, tmp_path):
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "files")
    _, company = officer_setup
    client.post(f"/visits/new?company_id={company.id}", data=_visit_data(photos=[(io.BytesIO(_jpeg_with_gps()), "a.jpg")]),
                content_type="multipart/form-data")
    photo = db.session.scalars(select(Attachment)).one()
    stranger = factory.user("officer", "liyang")
    other = app.test_client()
    other.post("/login", data={"email": stranger.email, "password": factory.PASSWORD})
    assert other.get(f"/visits/attachments/{photo.id}").status_code == 404
    assert other.get(f"/visits/attachments/{photo.id}/thumbnail").status_code == 404


def test_photos_can_be_added_to_a_follow_up(app, client, officer_setup, tmp_path):
    app.config["ATTACHMENT_DIR"] = str(tmp_path / "files")
    officer, company = officer_setup
    _log(client, company, **{"follow_ups-0-category": "funding", "follow_ups-0-description": "贷款",
                             "follow_ups-0-owner_id": str(officer.id), "follow_ups-0-due_workdays": "5"})
    follow_up = db.session.scalars(select(FollowUp)).one()
    response = client.post(f"/visits/follow-ups/{follow_up.id}/attachments",
                           data={"files": [(io.BytesIO(_jpeg_with_gps()), "办理现场.jpg")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    attachment = db.session.scalars(select(Attachment)).one()
    assert attachment.follow_up_id == follow_up.id and attachment.visit_id is None
    page = client.get(f"/visits/follow-ups/{follow_up.id}").get_data(as_text=True)
    assert f"/visits/attachments/{attachment.id}/thumbnail" in page


# --- location check-in -------------------------------------------------------------------------

def test_a_check_in_far_from_the_company_is_flagged_for_managers_only(app, client, officer_setup, factory):
    officer, company = officer_setup
    company.latitude, company.longitude = Decimal("31.810700"), Decimal("119.973600")
    db.session.commit()
    far = _log(client, company, latitude="31.830000", longitude="119.973600", location_accuracy="12")
    near = _log(client, company, latitude="31.811000", longitude="119.973900", location_accuracy="8")
    assert far.latitude == Decimal("31.830000") and far.location_accuracy == 12
    assert client.get(f"/visits/{far.id}").get_data(as_text=True).count('data-testid="visit-far"') == 0  # officer
    manager = factory.user("manager", "wujin")
    other = app.test_client()
    other.post("/login", data={"email": manager.email, "password": factory.PASSWORD})
    page = other.get(f"/companies/{company.id}").get_data(as_text=True)
    assert f'data-testid="visit-far-{far.id}"' in page and f'data-testid="visit-far-{near.id}"' not in page
    assert "约 2.1 公里" in other.get(f"/visits/{far.id}").get_data(as_text=True)


def test_half_a_position_or_an_impossible_one_is_refused(client, officer_setup):
    _, company = officer_setup
    body = client.post(f"/visits/new?company_id={company.id}",
                       data=_visit_data(latitude="95.5", longitude="119.9", location_accuracy="10")).get_data(as_text=True)
    assert "位置信息无效" in body
    body = client.post(f"/visits/new?company_id={company.id}",
                       data=_visit_data(latitude="31.8", longitude="", location_accuracy="10")).get_data(as_text=True)
    assert "位置信息无效" in body
    assert _count(Visit) == 0


def test_the_company_form_takes_a_position_both_or_neither(client, factory, auth):
    auth.login(factory.user("manager", "wujin"))
    company = factory.company("wujin", name="常州定位科技有限公司")
    form = {"uscc": company.uscc, "name": company.name, "district": "wujin", "version": "1", "latitude": "31.8107"}
    body = client.post(f"/companies/{company.id}/edit", data=form).get_data(as_text=True)
    assert "纬度和经度须同时填写" in body
    assert client.post(f"/companies/{company.id}/edit", data={**form, "longitude": "119.9736"}).status_code == 302
    db.session.expire_all()
    saved = db.session.get(Company, company.id)
    assert (saved.latitude, saved.longitude) == (Decimal("31.810700"), Decimal("119.973600"))
