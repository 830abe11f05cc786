import datetime as dt

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Company
from tracker.rules.uscc import make_code
from tracker.services.designations import grants


def test_officer_sees_only_assigned_companies(client, auth, factory):
    officer = factory.user("officer", "wujin")
    mine = factory.company("wujin", officer=officer, name="我的企业")
    factory.company("wujin", name="同区别人的企业")
    factory.company("liyang", name="溧阳企业")
    auth.login(officer)
    html = client.get("/companies/").get_data(as_text=True)
    assert "我的企业" in html and "同区别人的企业" not in html and "溧阳企业" not in html
    assert client.get(f"/companies/{mine.id}").status_code == 200


def test_manager_sees_district_and_admin_sees_all(client, auth, factory):
    manager = factory.user("manager", "wujin")
    factory.company("wujin", name="武进企业")
    factory.company("liyang", name="溧阳企业")
    auth.login(manager)
    html = client.get("/companies/").get_data(as_text=True)
    assert "武进企业" in html and "溧阳企业" not in html
    auth.logout()
    auth.login(factory.user("admin"))
    html = client.get("/companies/").get_data(as_text=True)
    assert "武进企业" in html and "溧阳企业" in html


def test_search_by_name_and_code_prefix_and_pagination(client, auth, factory, app):
    app.config["PAGE_SIZE"] = 2
    auth.login(factory.user("admin"))
    companies = [factory.company(name=f"搜索企业{i}") for i in range(5)]
    html = client.get("/companies/?q=搜索企业3").get_data(as_text=True)
    assert "搜索企业3" in html and "搜索企业1" not in html
    html = client.get(f"/companies/?q={companies[0].uscc.lower()}").get_data(as_text=True)
    assert companies[0].name in html
    page3 = client.get("/companies/?sort=name&page=3").get_data(as_text=True)
    assert "第 3 / 3 页，共 5 条" in page3 and "搜索企业4" in page3


def test_stage_filter_and_company_page_show_timeline(client, auth, factory):
    auth.login(factory.user("admin"))
    a = factory.company(name="高企甲")
    factory.company(name="普通乙")
    factory.designation(a, "hnte", dt.date.today() - dt.timedelta(days=30), reference="GR2026")
    html = client.get("/companies/?stage=hnte").get_data(as_text=True)
    assert "高企甲" in html and "普通乙" not in html
    page = client.get(f"/companies/{a.id}").get_data(as_text=True)
    assert "高新技术企业" in page and "晋级" in page and "GR2026" in page


def test_create_company_form_shows_chinese_errors_and_writes_nothing(client, auth, factory):
    auth.login(factory.user("admin"))
    bad = make_code("91320412MA1M00009")[:17] + "Z"
    html = client.post("/companies/new", data={"uscc": bad, "name": "新企业", "district": "wujin"}).get_data(as_text=True)
    assert "不允许的字符" in html
    html = client.post("/companies/new", data={"uscc": "", "name": "", "district": ""}).get_data(as_text=True)
    assert "请填写统一社会信用代码" in html and "请填写企业名称" in html
    assert db.session.scalar(select(Company.id)) is None
    good = make_code("91320412MA1M00009")
    response = client.post("/companies/new", data={"uscc": good, "name": "新企业", "district": "wujin", "founded_on": "2020-01-02"})
    assert response.status_code == 302
    assert db.session.scalar(select(Company.name).where(Company.uscc == good)) == "新企业"


def test_edit_conflict_message(client, auth, factory, app):
    auth.login(factory.user("admin"))
    company = factory.company(name="原名")
    other = app.test_client()
    other.post("/login", data={"email": "admin1@example.com", "password": factory.PASSWORD})
    form = {"uscc": company.uscc, "name": "甲改", "district": "wujin", "version": str(company.version)}
    assert client.post(f"/companies/{company.id}/edit", data=form).status_code == 302
    form["name"] = "乙改"
    html = other.post(f"/companies/{company.id}/edit", data=form).get_data(as_text=True)
    assert "已被修改（可能是您在另一窗口的操作）" in html
    db.session.expire_all()
    assert db.session.get(Company, company.id).name == "甲改"


def test_soft_deleted_company_disappears_and_admin_restores(client, auth, factory):
    auth.login(factory.user("admin"))
    company = factory.company(name="待删企业")
    assert client.post(f"/companies/{company.id}/delete", data={"reason": "注销"}).status_code == 302
    listing = client.get("/companies/").get_data(as_text=True)
    assert "待删企业" not in listing.split('data-testid="company-table"')[1]
    assert client.get(f"/companies/{company.id}").status_code == 404
    assert "待删企业" in client.get("/companies/deleted").get_data(as_text=True)
    client.post(f"/companies/{company.id}/restore")
    assert "待删企业" in client.get("/companies/").get_data(as_text=True)


def test_markup_in_names_is_escaped(client, auth, factory):
    auth.login(factory.user("admin"))
    factory.company(name='"><script>alert(1)</script>')
    html = client.get("/companies/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_company_page_shows_every_rung_change_with_chinese_labels(client, auth, factory):
    auth.login(factory.user("admin"))
    company = factory.company(name="续期企业")
    factory.designation(company, "hnte", dt.date(2020, 12, 2))           # last day 2023-12-01
    factory.designation(company, "hnte", dt.date(2023, 12, 7))           # renewed 5 days later
    factory.designation(company, "gazelle", dt.date(2022, 9, 1))
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert 'data-testid="rung-events-hnte"' in page and 'data-testid="rung-events-gazelle"' in page
    assert "重新认定" in page and "中断 5 天" in page and "到期" in page
    assert "recertified" not in page and "lapsed" not in page


def test_company_page_keeps_a_designation_revoked_on_its_grant_day(client, auth, factory):
    admin = factory.user("admin")
    auth.login(admin)
    company = factory.company(name="撤销企业")
    gazelle = factory.designation(company, "gazelle", dt.date(2024, 9, 1))
    grants.revoke_designation(admin, gazelle, revoked_on=dt.date(2024, 9, 1), reason="材料不实")
    page = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert 'data-testid="rung-events-gazelle"' in page and "撤销" in page
    assert "暂无资质记录" not in page
