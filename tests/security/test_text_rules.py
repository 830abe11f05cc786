"""Clean text everywhere (issue 12 items 12–14): forms, imports and services refuse control
characters, line breaks in single-line fields, bidi controls and invisible-only text; whitespace-only
is empty; an e-mail subject is built from sanitised text whatever is stored.
"""

from __future__ import annotations

import email
from email.policy import default

import pytest
import wtforms
from sqlalchemy import func, select, text

from tests.services.imports.import_helpers import COMPANY_HEADER, code, csv_file, xlsx_file
from tracker.extensions import db
from tracker.models import Company, CultivationTrack, Notification
from tracker.rules import reminders as reminder_rules
from tracker.rules import text as text_rules
from tracker.rules.uscc import make_code
from tracker.services.accounts.users import create_user, update_user
from tracker.services.companies.records import create_company, update_company
from tracker.services.errors import ServiceError
from tracker.services.imports.importer import run_import
from tracker.services.notifications import mailer, notify, outbox
from tracker.web.forms import Form, SubForm

BAD_SINGLE_LINE = {
    "a line break": ("甲公司\r\n乙公司", "换行"),
    "a lone LF": ("甲\n公司", "换行"),
    "a bidi override": ("\u202e司公限有技科", "文字显示方向"),
    "an isolate": ("甲\u2067公司\u2069", "文字显示方向"),
    "only zero-width": ("\u200b\u200d", "不可见字符"),
    "an escape": ("甲\x1b公司", "控制字符"),
}


def _all_form_classes():
    found, todo = [], [wtforms.Form]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("tracker."):
                found.append(sub)
    return found


def test_every_form_of_the_app_gets_the_rules(app):
    """A form class must derive from tracker.web.forms.Form (or SubForm for rows): the rules are server-side."""
    classes = _all_form_classes()
    assert len(classes) >= 30  # every blueprint's forms were imported by create_app
    strays = [f"{c.__module__}.{c.__qualname__}" for c in classes
              if not issubclass(c, (Form, SubForm)) and c.__module__ != "tracker.web.forms"]
    assert not strays, "forms outside the text rules: " + ", ".join(strays)


@pytest.mark.parametrize("case", sorted(BAD_SINGLE_LINE))
def test_the_company_form_refuses_bad_text(client, auth, factory, case):
    value, words = BAD_SINGLE_LINE[case]
    auth.login(factory.user("admin"))
    for field in ("name", "address", "contact_name"):
        data = {"uscc": make_code("91320412MA1X00001"), "name": "甲公司", "district": "wujin", field: value}
        response = client.post("/companies/new", data=data)
        # 200: the form shown again with the field's message; 400: C0 controls are refused for the
        # whole request before any view runs (tracker/auth/views.py).
        assert response.status_code in (200, 400), (case, field)
        assert words in response.get_data(as_text=True), (case, field)
    assert db.session.scalar(select(func.count(Company.id))) == 0


def test_whitespace_only_is_empty_and_values_are_trimmed(client, auth, factory):
    auth.login(factory.user("admin"))
    data = {"uscc": make_code("91320412MA1X00002"), "name": " \u3000 ", "district": "wujin"}
    assert "请填写企业名称" in client.post("/companies/new", data=data).get_data(as_text=True)
    data["name"], data["address"] = "  甲公司\u3000", "   "
    assert client.post("/companies/new", data=data).status_code == 302
    company = db.session.scalar(select(Company))
    assert company.name == "甲公司" and not company.address


def test_text_areas_refuse_bidi_and_invisible_only_text(client, auth, factory):
    officer = factory.user("officer")
    company = factory.company("wujin", officer=officer)
    auth.login(officer)
    url = f"/visits/new?company_id={company.id}"
    assert client.get(url).status_code == 200
    for summary, words in (("\u202e情况正常", "文字显示方向"), ("\u200b\r\n\u200b", "不可见字符"), (" \r\n ", "请填写走访情况")):
        refused = client.post(url, data={"visited_on": "2026-01-05", "summary": summary})
        assert refused.status_code == 200 and words in refused.get_data(as_text=True), summary


def test_services_refuse_line_breaks_in_names(app, factory):
    admin = factory.user("admin")
    for value, words in BAD_SINGLE_LINE.values():
        with pytest.raises(ServiceError) as refused:
            create_company(admin, {"uscc": make_code("91320412MA1X00003"), "name": value, "district": "wujin"})
        assert refused.value.field == "name" and words in refused.value.message
        with pytest.raises(ServiceError) as refused:
            create_user(admin, email="x@example.com", name=value, role="admin", password="long-enough-1")
        assert refused.value.field == "name"
    company = factory.company("wujin")
    with pytest.raises(ServiceError):
        update_company(admin, company, {"address": "地址\n第二行"}, version=company.version)
    with pytest.raises(ServiceError):
        update_user(admin, admin, name="管理员\r\nBcc: x", role="admin", district=None)
    with pytest.raises(ServiceError):
        create_user(admin, email="a\r\nb@example.com", name="甲", role="admin", password="long-enough-1")
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Company.id))) == 1


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_imports_apply_the_same_rules(app, file_format):
    cases = {
        "NUL": "甲\x00公司", "ESC": "甲\x1b公司", "CR/LF": "甲公司\r\n乙", "bidi": "\u202e司公", "zero-width": "\u200b",
        "C1": "甲\x9b公司",
    }
    rows = [[code(i + 1), value, "武进区", "新材料", "2015-06-01", "2023-03-15"] for i, value in enumerate(cases.values())]
    rows.append([code(99), "  正常企业  ", "武进区", "新材料", "2015-06-01", "2023-03-15"])
    if file_format == "csv":
        data = csv_file(COMPANY_HEADER, rows)
    else:
        # openpyxl refuses C0 controls in a cell, so an xlsx carries the others.
        rows = [r for r in rows if not any(ch in r[1] for ch in "\x00\x1b")]
        data = xlsx_file(COMPANY_HEADER, rows)
    report = run_import("companies", data, f"text.{file_format}", dry_run=False, mode="valid")
    assert report.fatal is None
    refused = {issue.row for issue in report.errors if issue.column == "企业名称"}
    assert len(refused) == len(rows) - 1, [i.to_dict() for i in report.errors]
    names = db.session.scalars(select(Company.name)).all()
    assert names == ["正常企业"]
    assert all(text_rules.problem(n) is None for n in names)


def test_a_track_note_may_have_line_breaks(app, factory):
    company = factory.company("wujin")
    data = csv_file(["统一社会信用代码", "目标资质", "年度", "备注"],
                    [[company.uscc, "高新技术企业", 2026, "第一行\n第二行"],
                     [company.uscc, "瞪羚企业", 2026, "\u202e备注"]])
    report = run_import("tracks", data, "tracks.csv", dry_run=False, mode="valid")
    assert [issue.column for issue in report.errors] == ["备注"]
    assert db.session.scalar(select(CultivationTrack.note)) == "第一行\n第二行"


def test_a_stored_bad_name_never_breaks_an_email_header(app, factory, monkeypatch):
    """Text stored before the rules (or written behind them) still makes a valid message."""
    monkeypatch.setattr(outbox, "publish", lambda ids: True)
    officer = factory.user("officer")
    [nid] = notify.notify([officer.id], reminder_rules.VISIT_DUE, "company:1", "p", "应走访：甲公司", link="/companies/1")
    db.session.execute(text("UPDATE notification SET title = :t WHERE id = :id"),
                       {"t": "应走访：甲公司\r\nBcc: victim@example.com\u202e", "id": nid})
    db.session.commit()
    db.session.expire_all()
    message = mailer.build_message(db.session.get(Notification, nid), officer)
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)
    assert parsed["Subject"] == "【科技企业培育】应走访：甲公司 Bcc: victim@example.com"
    assert parsed["Bcc"] is None
