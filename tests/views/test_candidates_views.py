"""The candidates page (精准挖掘), its add-to-list action and export, and the company profile card."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import CompanyYearFigures, CultivationTrack
from tracker.services.designations.grants import revoke_designation

YEAR = today().year
LATEST = YEAR - 1
SME = dict(
    staff_count=100, st_staff_count=20, revenue=Decimal(5000), rd_expense=Decimal(300),
    rd_expense_domestic=Decimal(250), total_cost=Decimal(4000), total_assets=Decimal(5000),
    hightech_revenue=Decimal(4000), ip_class1_count=1, ip_class2_count=2, is_listed=False,
)


def figures(company, year=LATEST, **values):
    db.session.add(CompanyYearFigures(company_id=company.id, year=year, **values))
    db.session.commit()


@pytest.fixture
def city(factory):
    """Wujin: one eligible tech SME candidate and one that misses the staff cap; Liyang: a secret one."""
    officer = factory.user("officer", "wujin", name="武进专员甲")
    ok = factory.company("wujin", name="武进合格企业", officer=officer, founded_on=dt.date(2015, 1, 1))
    figures(ok, **SME)
    big = factory.company("wujin", name="武进超员企业", founded_on=dt.date(2015, 1, 1))
    figures(big, **{**SME, "staff_count": 600, "st_staff_count": 120})
    secret = factory.company("liyang", name="溧阳机密候选", founded_on=dt.date(2015, 1, 1))
    figures(secret, **SME)
    return {"ok": ok, "big": big, "secret": secret, "officer": officer}


def test_manager_sees_ranked_candidates_with_reasons_of_own_district_only(client, auth, factory, city):
    auth.login(factory.user("manager", "wujin"))
    response = client.get("/candidates/?target=tech_sme")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index("武进合格企业") < html.index("武进超员企业")
    assert "溧阳机密候选" not in html and city["secret"].uscc not in html
    assert "共 2 家候选企业，其中 <strong>1</strong> 家" in html
    assert f"{LATEST} 年职工总数 600 人" in html and "职工总数 ≤ 500 人" in html
    assert "武进专员甲" in html and "差 1 项" in html and "符合条件" in html
    assert ' style="' not in html


def test_filters_by_officer_and_industry_and_default_target(client, auth, factory, city):
    auth.login(factory.user("manager", "wujin"))
    html = client.get(f"/candidates/?target=tech_sme&officer={city['officer'].id}").get_data(as_text=True)
    assert "武进合格企业" in html and "武进超员企业" not in html
    html = client.get("/candidates/?target=tech_sme&industry=机器人").get_data(as_text=True)
    assert "武进合格企业" not in html and "没有符合条件的候选企业" in html
    html = client.get("/candidates/").get_data(as_text=True)  # default: HNTE of this year
    assert f"{YEAR} 年高新技术企业候选企业" in html


def test_bad_filter_values_fall_back_instead_of_failing(client, auth, factory, city):
    auth.login(factory.user("manager", "wujin"))
    for query in ("?target=nobel", "?year=abc", "?year=1900", "?max_missing=7", "?officer=x", "?page=-3"):
        assert client.get("/candidates/" + query).status_code == 200, query


def test_manager_district_filter_cannot_widen_scope(client, auth, factory, city):
    auth.login(factory.user("manager", "wujin"))
    html = client.get("/candidates/?target=tech_sme&district=liyang").get_data(as_text=True)
    assert "溧阳机密候选" not in html and "武进合格企业" in html


def test_admin_sees_every_district_and_filters_by_district(client, auth, factory, city):
    auth.login(factory.user("admin"))
    html = client.get("/candidates/?target=tech_sme").get_data(as_text=True)
    assert "溧阳机密候选" in html and "武进合格企业" in html
    html = client.get("/candidates/?target=tech_sme&district=liyang").get_data(as_text=True)
    assert "溧阳机密候选" in html and "武进合格企业" not in html


def test_officers_cannot_use_the_candidates_page(client, auth, factory, city):
    auth.login(city["officer"])
    assert client.get("/candidates/").status_code == 403
    assert client.get("/candidates/export?format=csv").status_code == 403
    assert client.post("/candidates/add", data={"company_ids": [city["ok"].id], "list_year": YEAR}).status_code == 403
    assert db.session.scalar(select(CultivationTrack.id)) is None


def test_add_selected_companies_to_the_cultivation_list(client, auth, factory, city):
    manager = factory.user("manager", "wujin")
    auth.login(manager)
    ids = [city["ok"].id, city["big"].id, city["secret"].id]
    response = client.post(
        "/candidates/add?target=tech_sme", data={"company_ids": ids, "target": "tech_sme", "list_year": YEAR + 1},
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert f"已加入 {YEAR + 1} 年科技型中小企业培育名单：2 家" in html and "跳过 1 家" in html
    tracks = db.session.scalars(select(CultivationTrack).order_by(CultivationTrack.company_id)).all()
    assert [(t.company_id, t.target_rung, t.year, t.status) for t in tracks] == [
        (city["ok"].id, "tech_sme", YEAR + 1, "pool"), (city["big"].id, "tech_sme", YEAR + 1, "pool"),
    ]
    # Twice: nothing new, and the page marks them as listed for that year.
    html = client.post(
        "/candidates/add?target=tech_sme", data={"company_ids": ids[:1], "target": "tech_sme", "list_year": YEAR + 1},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "：0 家" in html and "已在" in html
    assert len(db.session.scalars(select(CultivationTrack)).all()) == 2


def test_add_without_selection_or_with_a_bad_year_changes_nothing(client, auth, factory, city):
    auth.login(factory.user("manager", "wujin"))
    html = client.post("/candidates/add", data={"target": "tech_sme", "list_year": YEAR}, follow_redirects=True).get_data(as_text=True)
    assert "请先勾选" in html
    html = client.post(
        "/candidates/add", data={"company_ids": [city["ok"].id], "target": "tech_sme", "list_year": "明年"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "培育年度须为四位年份" in html and "Not a valid" not in html
    assert client.post("/candidates/add", data={"company_ids": ["x"], "list_year": YEAR}).status_code == 400
    assert db.session.scalar(select(CultivationTrack.id)) is None


def test_csv_export_is_ranked_scoped_and_formula_safe(client, auth, factory, city):
    evil = factory.company("wujin", name="=cmd|' /C calc'!A0", founded_on=dt.date(2015, 1, 1))
    figures(evil, **SME)
    auth.login(factory.user("manager", "wujin"))
    response = client.get("/candidates/export?format=csv&target=tech_sme")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("排名,企业名称,统一社会信用代码")
    assert len(lines) == 4 and "溧阳机密候选" not in text
    assert "'=cmd|" in text and "\n=cmd" not in text
    assert lines[-1].startswith("3,武进超员企业") and f"{LATEST} 年职工总数 600 人" in lines[-1]


def test_xlsx_export_opens_with_the_same_rows(client, auth, factory, city):
    auth.login(factory.user("admin"))
    response = client.get("/candidates/export?format=xlsx&target=tech_sme")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("排名", "企业名称", "统一社会信用代码")
    assert {r[1] for r in rows[2:]} == {"武进合格企业", "武进超员企业", "溧阳机密候选"}
    assert client.get("/candidates/export?format=pdf").status_code == 400


def test_company_page_shows_the_profile_with_svg_charts_and_missing_data(client, auth, factory, city):
    company = city["ok"]
    figures(company, LATEST - 1, **{**SME, "revenue": Decimal(4000), "rd_expense": None})
    auth.login(city["officer"])
    html = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "科创属性画像" in html and "<svg" in html and 'data-testid="chart-revenue"' in html
    assert f"/candidates/companies/{company.id}/figures" in html and "年度数据" in html
    assert f"缺少 {LATEST - 1} 年研发费用" in html
    assert f"缺少 {LATEST - 2} 年年度数据" in html
    profile = html[html.index('data-testid="profile"'):]
    assert ' style="' not in profile and "<script" not in profile.split("</main>")[0]
    # Every rung above the company's stage (a prospect) is judged.
    for rung in ("tech_sme", "hnte", "gazelle", "potential_unicorn", "unicorn"):
        assert f'data-testid="rung-{rung}"' in profile


def test_profile_escapes_company_data(client, auth, factory):
    company = factory.company("wujin", name='"><script>alert(1)</script>')
    figures(company, **SME)
    auth.login(factory.user("admin"))
    html = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html


def test_profile_is_not_shown_to_someone_who_cannot_see_the_company(client, auth, factory, city):
    auth.login(factory.user("manager", "wujin"))
    response = client.get(f"/companies/{city['secret'].id}")
    assert response.status_code == 404 and "科创属性画像" not in response.get_data(as_text=True)


def test_page_works_with_pagination(client, auth, factory, city, app):
    app.config["PAGE_SIZE"] = 1
    auth.login(factory.user("manager", "wujin"))
    html = client.get("/candidates/?target=tech_sme&page=2").get_data(as_text=True)
    assert "武进超员企业" in html and "武进合格企业" not in html and "第 2 / 2 页" in html
    assert re.search(r'<td class="text-muted small d-none d-md-table-cell">2</td>', html)


def test_recertifications_come_first_marked_and_exported(client, auth, factory):
    """Issue 16 defect 2 on the page: a certificate ending this year is a candidate, first."""
    ready = {**SME, "innovation_score": Decimal(80)}
    first = factory.company("wujin", name="首次申报企业", founded_on=dt.date(2015, 1, 1))
    renew = factory.company("wujin", name="到期重新认定企业", founded_on=dt.date(2015, 1, 1))
    for company in (first, renew):
        for year in (YEAR - 3, YEAR - 2, YEAR - 1):
            figures(company, year, **ready)
    factory.designation(renew, "hnte", dt.date(YEAR - 3, 12, 31))  # ends 30 Dec this year
    auth.login(factory.user("manager", "wujin"))
    html = client.get("/candidates/?target=hnte").get_data(as_text=True)
    assert html.index("到期重新认定企业") < html.index("首次申报企业")
    assert f"重新认定 · 现有资质至 {YEAR}-12-30" in html and "（其中重新认定 1 家）" in html
    lines = client.get("/candidates/export?format=csv&target=hnte").get_data().decode("utf-8-sig").splitlines()
    assert lines[0].endswith("重新认定（现有资质至）")
    assert lines[1].startswith("1,到期重新认定企业") and lines[1].endswith(f"{YEAR}-12-30")


def test_adding_a_company_revoked_this_year_is_refused_with_the_reason(client, auth, factory):
    admin = factory.user("admin")
    company = factory.company("wujin", name="被取消企业", founded_on=dt.date(2015, 1, 1))
    cert = factory.designation(company, "hnte", dt.date(YEAR - 3, 12, 31))
    revoke_designation(admin, cert, revoked_on=dt.date(YEAR, 1, 2), reason="不再符合条件")
    auth.login(factory.user("manager", "wujin"))
    html = client.post(
        "/candidates/add?target=hnte", data={"company_ids": [company.id], "target": "hnte", "list_year": YEAR},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"该企业高企资格已于 {YEAR}-01-02 被取消，当年不得重新申请" in html
    assert db.session.scalar(select(CultivationTrack.id)) is None
