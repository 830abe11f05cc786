"""Issue 13 item 2: the company page (企业详情) runs a bounded number of statements however many
policies, visits and other history the company has (counts, never timings)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import event

from tracker.clock import today
from tracker.extensions import db
from tracker.models import CompanyYearFigures, SupportRecord, Visit
from tracker.services.companies import activity
from tracker.services.policies import registry


def _policy(admin, name: str, conditions):
    year = today().year
    return registry.create_policy(admin, {
        "name": name, "issuer": "常州市科学技术局", "reference": None, "year": year - 1, "until_year": year,
        "benefit_kind": "other", "amount_rule": "none", "amount": None, "description": None,
    }, conditions)


class _Statements:
    def __init__(self):
        self.seen: list[str] = []

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._add)
        return self.seen

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._add)

    def _add(self, conn, cursor, statement, *args):
        self.seen.append(statement)


def test_company_page_statements_do_not_grow_with_policies_and_history(client, auth, factory):
    admin = factory.user("admin")
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer, industry="新材料")
    year = today().year
    factory.designation(company, "tech_sme", dt.date(year - 1, 4, 1))
    db.session.add(Visit(company_id=company.id, officer_id=officer.id, visited_on=dt.date(year - 1, 5, 1), summary="首访"))
    db.session.add(CompanyYearFigures(company_id=company.id, year=year - 1, revenue=Decimal(5000), rd_expense=Decimal(400)))
    db.session.commit()
    _policy(admin, "科技型中小企业奖励", [{"kind": "rung_held", "rung": "tech_sme"},
                                  {"kind": "figure_min", "field": "revenue", "threshold": "1000", "year_offset": "0"}])
    auth.login(manager)
    url = f"/companies/{company.id}"
    assert "科技型中小企业奖励" in client.get(url).get_data(as_text=True)
    with _Statements() as statements:
        client.get(url)
    few = len(statements)

    for i in range(8):  # policies the company meets and policies it does not, over two years
        _policy(admin, f"研发奖励{i}", [
            {"kind": "figure_min", "field": "rd_expense", "threshold": str(100 * i), "year_offset": "-1" if i % 2 else "0"},
            {"kind": "industry_in", "values": ["新材料"]},
        ])
    db.session.add_all([Visit(company_id=company.id, officer_id=officer.id, visited_on=dt.date(year - 1, 1, 1) + dt.timedelta(days=i),
                              summary=f"走访{i}") for i in range(30)])
    factory.designation(company, "hnte", dt.date(year - 1, 11, 1))
    db.session.commit()
    with _Statements() as statements:
        page = client.get(url).get_data(as_text=True)
    assert "研发奖励3" in page and "研发奖励7" not in page  # 700 > 400: not entitled
    assert len(statements) <= few  # 8 more policies, 30 more visits: no more statements


def test_activity_page_is_one_statement(app, factory):
    officer = factory.user("officer", "wujin")
    company = factory.company("wujin", officer=officer)
    factory.designation(company, "tech_sme", dt.date(2025, 4, 1))
    db.session.add_all([Visit(company_id=company.id, officer_id=officer.id, visited_on=dt.date(2025, 1, 1) + dt.timedelta(days=i),
                              summary=f"走访{i}") for i in range(12)])
    db.session.commit()
    company_id = company.id
    with _Statements() as statements:
        page = activity.activity_page(company_id, per_page=10)
    assert len(statements) == 1
    assert page.total == 12 + 1 + 1  # visits, the designation, the assignment
    db.session.add(SupportRecord(company_id=company_id, kind="other", year=2025, name="市级奖补", amount=Decimal(10)))
    db.session.commit()
    with _Statements() as statements:
        page = activity.activity_page(company_id, per_page=10)
    assert len(statements) == 2  # the support records' typed fields for their summary
    assert page.rows[0].kind == "support" and "市级奖补" in (page.rows[0].detail or "")
    assert activity.activity_page(company_id, kind="bogus").total == 0
