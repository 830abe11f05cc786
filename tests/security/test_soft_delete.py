"""Soft delete: a deleted company is gone from every list, search, count and export; an administrator restores it."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from openpyxl import load_workbook

from tests.conftest import Factory
from tests.security.routes import routes
from tracker.clock import today
from tracker.extensions import db
from tracker.services.companies import records as company_records
from tracker.services.companies import stage_counts
from tracker.services.indicators.rollup import roll_up

GONE = "已删除的溧阳企业"


def _indicator_figures(as_of):
    return {f.indicator.code: f.actual for f in roll_up(as_of).figures}


def _signed_in(web, user):
    client = web.test_client()
    assert client.post("/login", data={"email": user.email, "password": Factory.PASSWORD}).status_code == 302
    return client


def _text(response) -> str:
    body = response.get_data()
    if body.startswith(b"PK") and b"word/document.xml" in body:  # the monthly 通报 (Word)
        document = Document(io.BytesIO(body))
        return " ".join([p.text for p in document.paragraphs]
                        + [c.text for t in document.tables for r in t.rows for c in r.cells])
    if body.startswith(b"PK"):  # xlsx
        book = load_workbook(io.BytesIO(body), read_only=True)
        text = " ".join(str(v) for s in book.worksheets for r in s.iter_rows(values_only=True) for v in r if v is not None)
        book.close()
        return text
    return body.decode("utf-8", errors="replace")


def test_a_deleted_company_disappears_everywhere_and_comes_back(web, app, factory):
    admin = factory.user("admin")
    manager = factory.user("manager", "liyang")
    officer = factory.user("officer", "liyang")
    kept = factory.company("liyang", officer=officer, name="保留的溧阳企业")
    factory.designation(kept, "hnte", dt.date(2025, 1, 1))
    baseline_home = stage_counts.home_summary(admin)["total"]
    baseline_figures = _indicator_figures(today())

    gone = factory.company("liyang", officer=officer, name=GONE)
    factory.designation(gone, "hnte", dt.date(2025, 1, 1))
    assert stage_counts.home_summary(admin)["total"] == baseline_home + 1
    assert _indicator_figures(today()) != baseline_figures  # the company counts while it exists
    company_records.soft_delete_company(admin, gone, "重复录入")

    assert stage_counts.home_summary(admin)["total"] == baseline_home
    assert stage_counts.home_summary(manager)["total"] == baseline_home
    assert _indicator_figures(today()) == baseline_figures

    for user in (admin, manager, officer):
        client = _signed_in(web, user)
        assert client.get(f"/companies/{gone.id}").status_code == 404
        search = client.get("/companies/?q=已删除").get_data(as_text=True)
        assert GONE not in search and gone.uscc not in search
        # Every page, list, export and API answer without URL arguments, for every role.
        for rule, _ in routes(web, {"GET"}):
            if rule.arguments or "deleted" in rule.endpoint or "audit" in rule.endpoint or rule.endpoint == "auth.logout":
                continue
            response = client.get(rule.rule)
            if response.status_code != 200:
                continue
            text = _text(response)
            assert GONE not in text and gone.uscc not in text, f"{rule.rule} shows a deleted company to {user.role}"

    # Managers cannot restore; the administrator can, from the list of deleted companies.
    assert _signed_in(web, manager).post(f"/companies/{gone.id}/restore").status_code == 403
    admin_client = _signed_in(web, admin)
    assert GONE in admin_client.get("/companies/deleted").get_data(as_text=True)
    restored = admin_client.post(f"/companies/{gone.id}/restore")
    assert restored.status_code == 302
    assert GONE in admin_client.get("/companies/?q=已删除").get_data(as_text=True)
    db.session.expire_all()
    assert stage_counts.home_summary(admin)["total"] == baseline_home + 1
