"""Support-record pages: the company page's card, the form per kind with Chinese errors, the list,
its export, the company-list filter and the profile (docs/DOMAIN.md §9)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import SupportRecord
from tracker.services.support import records

YEAR = today().year - 1


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(SupportRecord))


@pytest.fixture
def world(factory, auth):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer, name="武进扶持企业")
    other = factory.company("liyang", name="溧阳保密企业")
    auth.login(officer)
    return {"officer": officer, "company": company, "other": other}


def test_an_officer_adds_a_tech_loan_from_the_company_page(client, world):
    company = world["company"]
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert 'data-testid="company-support"' in page and "暂无扶持记录" in page
    kinds = client.get(f"/support/new?company_id={company.id}").get_data(as_text=True)
    assert "科技贷款" in kinds and "研发费用加计扣除" in kinds
    form = client.get(f"/support/new?company_id={company.id}&kind=tech_loan").get_data(as_text=True)
    assert "贷款金额（万元）" in form and "放款日期" in form and "上市阶段" not in form
    response = client.post(f"/support/new?company_id={company.id}&kind=tech_loan", data={
        "year": YEAR, "loan_product": "sukedai", "bank": "江苏银行", "amount": "300", "occurred_on": f"{YEAR}-03-04",
    })
    assert response.status_code == 302 and response.headers["Location"].endswith("#support")
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "苏科贷 江苏银行 300 万元" in page
    assert "扶持情况" in page  # the profile's yearly summary beside the figures


def test_bad_input_is_refused_in_chinese_and_writes_nothing(client, world):
    company = world["company"]
    response = client.post(f"/support/new?company_id={company.id}&kind=listing", data={
        "year": YEAR, "listing_stage": "accepted", "listing_board": "star", "filed_on": f"{YEAR}-03-04",
    })
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "当前阶段为“申报受理”，请填写申报受理日期" in body
    response = client.post(f"/support/new?company_id={company.id}&kind=rd_deduction", data={"year": "abc", "amount": "-3"})
    body = response.get_data(as_text=True)
    assert "请检查标红的内容" in body
    assert _count() == 0


def test_other_districts_company_and_records_are_404(client, world, factory):
    other = world["other"]
    assert client.get(f"/support/new?company_id={other.id}&kind=subsidy").status_code == 404
    assert client.post(f"/support/new?company_id={other.id}&kind=subsidy",
                       data={"year": YEAR, "name": "x", "amount": "1"}).status_code == 404
    theirs = records.add_record(factory.user("admin"), other.id, {"kind": "rd_deduction", "year": YEAR, "amount": Decimal(1)})
    assert client.get(f"/support/{theirs.id}/edit").status_code == 404
    assert client.post(f"/support/{theirs.id}/delete").status_code == 404
    listing = client.get("/support/").get_data(as_text=True)
    assert "溧阳保密企业" not in listing
    assert _count() == 1


def test_edit_and_delete(client, world, factory):
    record = records.add_record(world["officer"], world["company"].id,
                                {"kind": "subsidy", "year": YEAR, "name": "创新政策20条", "amount": Decimal(50)})
    form = client.get(f"/support/{record.id}/edit").get_data(as_text=True)
    assert "创新政策20条" in form and "补贴奖励金额（万元）" in form
    response = client.post(f"/support/{record.id}/edit", data={"year": YEAR, "name": "创新政策20条", "amount": "80",
                                                               "version": str(record.version)})
    assert response.status_code == 302
    stale = client.post(f"/support/{record.id}/edit", data={"year": YEAR, "name": "创新政策20条", "amount": "90",
                                                            "version": "1"})
    assert stale.status_code == 409 and "该记录已被修改（可能是您在另一窗口的操作）" in stale.get_data(as_text=True)
    assert client.post(f"/support/{record.id}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(SupportRecord, record.id).deleted_at is not None


def test_list_totals_export_and_company_filter(client, world):
    company = world["company"]
    records.add_record(world["officer"], company.id, {"kind": "rd_deduction", "year": YEAR, "amount": Decimal("12.5")})
    page = client.get(f"/support/?kind=rd_deduction&year={YEAR}").get_data(as_text=True)
    assert "武进扶持企业" in page and "扣除额 12.5 万元" in page
    export = client.get("/support/export.xlsx?kind=rd_deduction")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[2][0] == company.uscc and rows[2][2] == "研发费用加计扣除"
    filtered = client.get("/companies/?support=rd_deduction").get_data(as_text=True)
    assert "武进扶持企业" in filtered
    assert "武进扶持企业" not in client.get("/companies/?support=tech_loan").get_data(as_text=True)
    assert "享受研发加计扣除" in filtered  # the filter's option
