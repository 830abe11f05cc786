import csv
import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import event, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AuditEvent, FollowUp, Visit


def _visit(company, officer, days_ago):
    db.session.add(Visit(company_id=company.id, officer_id=officer.id, visited_on=today() - dt.timedelta(days=days_ago), summary="走访"))
    db.session.commit()


def _names(html, *candidates):
    return {n for n in candidates if n in html}


def test_officer_idle_expiring_and_follow_up_filters(client, auth, factory):
    manager = factory.user("manager", "wujin")
    zhang = factory.user("officer", "wujin", name="张专员")
    li = factory.user("officer", "wujin", name="李专员")
    recent = factory.company("wujin", officer=zhang, name="近期走访企业")
    stale = factory.company("wujin", officer=zhang, name="久未走访企业")
    never = factory.company("wujin", officer=li, name="从未走访企业")
    _visit(recent, zhang, 10)
    _visit(stale, zhang, 200)
    factory.designation(stale, "hnte", today() - dt.timedelta(days=3 * 365 - 40), reference="GR-OLD")  # expires in ~40 days
    factory.designation(recent, "hnte", today() - dt.timedelta(days=100), reference="GR-NEW")
    db.session.add(FollowUp(company_id=never.id, owner_id=li.id, description="融资", status="in_progress"))
    db.session.add(FollowUp(company_id=recent.id, owner_id=zhang.id, description="已办", status="closed"))
    db.session.commit()
    all_three = ("近期走访企业", "久未走访企业", "从未走访企业")
    auth.login(manager)
    html = client.get(f"/companies/?officer_id={zhang.id}").get_data(as_text=True)
    assert _names(html, *all_three) == {"近期走访企业", "久未走访企业"}
    html = client.get("/companies/?idle_days=90").get_data(as_text=True)
    assert _names(html, *all_three) == {"久未走访企业", "从未走访企业"}
    assert "从未走访" in html
    html = client.get("/companies/?expiring_days=60").get_data(as_text=True)
    assert _names(html, *all_three) == {"久未走访企业"}
    html = client.get("/companies/?open_follow_ups=y").get_data(as_text=True)
    assert _names(html, *all_three) == {"从未走访企业"}
    html = client.get(f"/companies/?idle_days=90&officer_id={li.id}").get_data(as_text=True)
    assert _names(html, *all_three) == {"从未走访企业"}
    # Out-of-range input: a Chinese message, the filter ignored, no 500.
    response = client.get("/companies/?idle_days=0&expiring_days=abc")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "未走访天数须在1至3650之间" in html and _names(html, *all_three) == set(all_three)


def test_sorting_and_columns(client, auth, factory):
    auth.login(factory.user("admin"))
    factory.company("wujin", name="甲企业", industry="新材料")
    factory.company("liyang", name="乙企业", industry="新能源")
    # District codes sort the same under every collation: liyang < wujin.
    html = client.get("/companies/?sort=district&dir=desc").get_data(as_text=True)
    assert html.index("甲企业") < html.index("乙企业")
    html = client.get("/companies/?sort=district").get_data(as_text=True)
    assert html.index("乙企业") < html.index("甲企业")
    assert client.get("/companies/?sort=industry&dir=desc").status_code == 200
    assert client.get("/companies/?sort=nonsense").status_code == 200
    huge = "-99999999999999999999999"
    response = client.get(f"/companies/?officer_id={huge}&page={huge}&format=xxx&idle_days={huge}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "/companies/export?format=csv" in html
    assert "export?format=xxx" not in html


def test_export_is_exactly_the_filtered_scoped_list_with_safe_cells(client, auth, factory):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin", name="周专员")
    factory.company("wujin", officer=officer, name="=cmd|' /C calc'!A0", industry="新材料")
    factory.company("wujin", name="+正常企业", industry="新材料")
    factory.company("wujin", name="别的领域企业", industry="新能源")
    factory.company("liyang", name="溧阳企业", industry="新材料")
    auth.login(manager)
    response = client.get("/companies/export?format=csv&industry=新材料&sort=name")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["企业名称", "统一社会信用代码", "所属辖区"]
    names = sorted(r[0] for r in rows[1:])
    assert names == sorted(["'=cmd|' /C calc'!A0", "'+正常企业"])
    officer_column = rows[0].index("服务专员")
    assert {r[officer_column] for r in rows[1:]} == {"周专员", ""}
    response = client.get("/companies/export?format=xlsx&industry=新材料")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert sorted(values) == names
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "companies.export")).all()
    assert [e.after["rows"] for e in events] == [2, 2] and events[0].after["filters"] == {"industry": "新材料"}


def test_officer_exports_only_own_companies(client, auth, factory):
    officer = factory.user("officer", "wujin")
    factory.company("wujin", officer=officer, name="我的企业")
    factory.company("wujin", name="同区别人的企业")
    auth.login(officer)
    html = client.get("/companies/").get_data(as_text=True)
    assert 'id="bulk"' not in html and "加入培育名单" not in html
    text = client.get("/companies/export?format=csv").data.decode("utf-8-sig")
    assert "我的企业" in text and "同区别人的企业" not in text


def test_list_page_query_count_does_not_grow_with_rows(client, auth, factory, app):
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")

    def count_queries():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/companies/?idle_days=30").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    auth.login(manager)
    factory.company("wujin", officer=officer)
    few = count_queries()
    for _ in range(15):
        company = factory.company("wujin", officer=officer)
        _visit(company, officer, 100)
    assert count_queries() == few
