"""Indicator pages: dashboard, drill-down, cohorts, export, targets; who may see what."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from tracker.api import views as api_views
from tracker.extensions import db
from tracker.indicators import views as indicator_views
from tracker.models import AuditEvent, Carrier, CarrierLevel, CultivationTrack, IndicatorTarget
from tracker.rules.indicators import INDICATOR_CODES
from tracker.services.indicators import targets
from tracker.services.indicators.drill_down import drill_down
from tracker.services.indicators.rollup import roll_up

D = dt.date
TODAY = D(2026, 11, 24)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """The pages read today's date through these modules; pin it so figures are predictable."""
    monkeypatch.setattr(indicator_views, "today", lambda: TODAY)
    monkeypatch.setattr(api_views, "today", lambda: TODAY)


@pytest.fixture
def city(app, factory):
    targets.seed_plan()
    wujin = [factory.company("wujin", name=f"武进企业{n}") for n in range(3)]
    liyang = factory.company("liyang", name="溧阳机密企业X")
    for company in wujin[:2] + [liyang]:
        factory.designation(company, "hnte", D(2025, 3, 1))
    factory.designation(wujin[0], "tech_sme", D(2026, 5, 1))
    factory.designation(wujin[0], "gazelle", D(2024, 5, 1))
    factory.designation(wujin[2], "tech_sme", D(2023, 5, 1))
    factory.designation(wujin[2], "hnte", D(2024, 6, 1))
    carrier = Carrier(name="=HYPERLINK(\"x\")孵化器", kind="incubator", district="liyang")
    db.session.add(carrier)
    db.session.flush()
    db.session.add(CarrierLevel(carrier_id=carrier.id, level="city", recognized_on=D(2026, 2, 2)))
    db.session.commit()
    return {"wujin": wujin, "liyang": liyang}


def login(client, factory, role, district="wujin"):
    user = factory.user(role, district)
    client.post("/login", data={"email": user.email, "password": factory.PASSWORD})
    return user


def test_officer_gets_403_everywhere(client, factory, city):
    login(client, factory, "officer")
    for url in ("/indicators/", "/indicators/drill?code=hnte_count", "/indicators/cohorts", "/indicators/gap",
                "/indicators/gap/companies?code=hnte_count&year=2026&part=lapsing_without",
                "/indicators/export.xlsx", "/indicators/targets", "/indicators/tokens"):
        assert client.get(url).status_code == 403, url


def test_admin_dashboard_shows_city_figures_targets_and_districts(client, factory, city):
    login(client, factory, "admin")
    response = client.get("/indicators/")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'data-testid="as-of">2026-11-24' in body
    assert re.search(r'data-testid="actual-hnte_count">4<', body)
    assert ">6800<" in body  # the city's 2026 HNTE target
    assert re.search(r'data-testid="district-hnte_count-liyang">1<', body)
    assert re.search(r'data-testid="district-hnte_count-wujin">3<', body)
    assert "<svg" in body and "trend-target" in body and "style=" not in body
    assert 'data-status="behind"' in body  # 4 HNTE late in the year against 6800
    # Every actual links to its drill-down, whose list has as many rows as the number.
    for code in INDICATOR_CODES:
        match = re.search(rf'href="([^"]+)" data-testid="actual-{code}">(\d+)<', body)
        assert match, code
        drill = client.get(match.group(1).replace("&amp;", "&"))
        assert drill.status_code == 200
        total = re.search(r'data-testid="drill-total">(\d+)<', drill.get_data(as_text=True)).group(1)
        assert total == match.group(2), code


def test_dashboard_year_selector_and_as_of(client, factory, city):
    login(client, factory, "admin")
    body = client.get("/indicators/?year=2025").get_data(as_text=True)
    assert 'data-testid="as-of">2025-12-31' in body
    assert re.search(r'data-testid="actual-hnte_count">4<', body)
    assert re.search(r'data-testid="actual-tech_sme_registered">0<', body)
    body = client.get("/indicators/?as_of=2024-12-31").get_data(as_text=True)
    assert re.search(r'data-testid="actual-hnte_count">1<', body)
    assert re.search(r'data-testid="actual-gazelle_cumulative">1<', body)
    bad = client.get("/indicators/?as_of=2026-02-30")
    assert bad.status_code == 200 and "无效" in bad.get_data(as_text=True)


def test_manager_sees_only_their_district(client, factory, city):
    login(client, factory, "manager", "wujin")
    body = client.get("/indicators/").get_data(as_text=True)
    assert re.search(r'data-testid="actual-hnte_count">3<', body)
    assert ">1953<" in body  # wujin's 2026 HNTE target
    assert "district-hnte_count-liyang" not in body
    assert "溧阳机密企业X" not in client.get("/indicators/drill?code=hnte_count").get_data(as_text=True)
    assert client.get("/indicators/drill?code=hnte_count&district=liyang").status_code == 403
    # A manager cannot widen their scope with the admin's district selector.
    body = client.get("/indicators/?district=liyang").get_data(as_text=True)
    assert re.search(r'data-testid="actual-hnte_count">3<', body)


def test_drill_down_lists_and_bad_arguments(client, factory, city):
    login(client, factory, "admin")
    body = client.get("/indicators/drill?code=hnte_count&as_of=2026-11-24&district=liyang").get_data(as_text=True)
    assert "溧阳机密企业X" in body and "武进企业0" not in body
    assert client.get("/indicators/drill?code=nope").status_code == 404
    assert client.get("/indicators/drill?code=hnte_count&district=nowhere").status_code == 404
    bad = client.get("/indicators/drill?code=hnte_count&as_of=2026-13-01")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    carriers = client.get("/indicators/drill?code=carrier_city_new&as_of=2026-11-24").get_data(as_text=True)
    assert "=HYPERLINK(&#34;x&#34;)孵化器" in carriers or "=HYPERLINK(&quot;x&quot;)孵化器" in carriers


def test_drill_down_pages_through_the_rows(client, factory, city, app):
    app.config["PAGE_SIZE"] = 2
    login(client, factory, "admin")
    first = client.get("/indicators/drill?code=hnte_count&as_of=2026-11-24").get_data(as_text=True)
    assert 'data-testid="drill-total">4<' in first and "第 1 / 2 页" in first
    assert "武进企业0" in first and "武进企业1" in first and "溧阳机密企业X" not in first
    # A page beyond the last shows the last one.
    last = client.get("/indicators/drill?code=hnte_count&as_of=2026-11-24&page=9").get_data(as_text=True)
    assert "第 2 / 2 页" in last and "武进企业2" in last and "溧阳机密企业X" in last and "武进企业0" not in last


def test_projection_formula(client, factory, city, app):
    admin = login(client, factory, "admin")
    wujin = city["wujin"]
    extra = [factory.company("wujin", name=f"申报企业{n}") for n in range(4)]
    # Last year: 3 recognised, 1 rejected → 75%. This year: 4 submitted.
    for n, company in enumerate(extra):
        db.session.add(CultivationTrack(company_id=company.id, target_rung="hnte", year=2025,
                                        status="recognized" if n < 3 else "rejected"))
        db.session.add(CultivationTrack(company_id=company.id, target_rung="hnte", year=2026, status="submitted"))
    # wujin[2]'s certificate (2024-06-01) runs to 2027; an early one that expires this year:
    factory.designation(wujin[1], "hnte", D(2023, 12, 20))  # ends 2026-12-19, but wujin[1] also holds a 2025 cert
    lapsing = factory.company("wujin", name="到期企业")
    factory.designation(lapsing, "hnte", D(2023, 12, 1))  # ends 2026-11-30, no re-application
    renewing = factory.company("wujin", name="重新认定企业")
    factory.designation(renewing, "hnte", D(2023, 12, 1))
    db.session.add(CultivationTrack(company_id=renewing.id, target_rung="hnte", year=2026, status="key"))
    db.session.commit()
    body = client.get("/indicators/").get_data(as_text=True)
    # today 6 (4 + lapsing + renewing) − 1 (lapsing) − 1 (renewing: counted through its track, which is
    # not yet submitted) + 4 first applications × 75% = 7
    assert re.search(r'data-testid="projection-hnte_count">7<', body)
    assert "6 − 1 − 1 + 0 × 0%（上年无已评审的申报） + 4 × 75%（全市，4 条） ≈ 7" in body
    assert 'data-testid="pacing-hnte_count">按时间均匀进度<' in body


def test_cohorts_page(client, factory, city):
    login(client, factory, "admin")
    body = client.get("/indicators/cohorts?rung=tech_sme&entry_year=2023&by_year=2026").get_data(as_text=True)
    row = re.search(r'data-district="wujin">(.*?)</tr>', body, re.S).group(1)
    cells = re.findall(r'<td class="text-end">(\d+)', row)
    assert cells[:2] == ["1", "1"]  # one 2023 entrant, who became an HNTE
    bad = client.get("/indicators/cohorts?entry_year=abc")
    assert bad.status_code == 200 and "请填写整数" in bad.get_data(as_text=True)


def test_export_has_both_layouts_scoped_and_safe(client, factory, city):
    login(client, factory, "admin")
    response = client.get("/indicators/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["指标任务年度分解表", "各辖市区分解表", "缺口分析", "招引分渠道"]
    channels = book["招引分渠道"]
    assert [channels.cell(2, c).value for c in range(1, 9)] == \
        ["年度", "载体招引", "平台招引", "大赛招引", "基金招引", "飞地孵化", "其他", "合计"]
    assert channels.cell(3, 1).value.startswith("2023年（截至 2023-12-31）")
    annual = book["指标任务年度分解表"]
    assert annual["B4"].value == "高新技术企业数"
    assert annual["D3"].value == "目标" and annual["E3"].value == "实际"
    assert [annual.cell(4, c).value for c in range(4, 14)] == [4300, 0, 5000, 1, 5800, 4, 6800, 4, 8000, None]
    districts = book["各辖市区分解表"]
    header = [districts.cell(2, c).value for c in range(1, 21)]
    assert header[4] == "目标值（全市）" and "溧阳" in header and "常经开" in header
    liyang_col = header.index("溧阳") + 1
    row_2026 = next(r for r in range(4, 30) if districts.cell(r, 4).value == "2026年")
    assert districts.cell(row_2026, liyang_col).value == 430
    assert districts.cell(row_2026, liyang_col + 1).value == 1

    client.post("/logout")
    login(client, factory, "manager", "wujin")
    book = load_workbook(io.BytesIO(client.get("/indicators/export.xlsx").data))
    annual = book["指标任务年度分解表"]
    assert annual.cell(4, 10).value == 1953 and annual.cell(4, 11).value == 3
    header = [c.value for c in book["各辖市区分解表"][2]]
    assert "溧阳" not in header and "武进" in header and "目标值（全市）" not in header


def test_targets_page_edits_and_warns(client, factory, city):
    login(client, factory, "admin")
    page = client.get("/indicators/targets?year=2026")
    assert page.status_code == 200 and 'value="6800"' in page.get_data(as_text=True)
    response = client.post("/indicators/targets?year=2026", data={"t_hnte_count_wujin": "2000", "t_hnte_count_city": "6800"},
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "修改 1 项" in body and 'data-testid="target-mismatch"' in body
    assert db.session.query(IndicatorTarget).filter_by(indicator="hnte_count", year=2026, district="wujin").one().value == 2000
    assert db.session.query(AuditEvent).filter_by(action="target.update").count() == 1
    bad = client.post("/indicators/targets?year=2026", data={"t_hnte_count_city": "-5", "t_gazelle_cumulative_city": "abc"})
    text = bad.get_data(as_text=True)
    assert "目标须为0至10000000之间的整数" in text and "请填写整数" in text
    assert db.session.query(IndicatorTarget).filter_by(indicator="hnte_count", year=2026, district=None).one().value == 6800
    client.post("/logout")
    login(client, factory, "manager")
    assert client.get("/indicators/targets").status_code == 403
    assert client.post("/indicators/targets?year=2026", data={"t_hnte_count_city": "1"}).status_code == 403


def test_roll_up_and_drill_down_agree_on_the_view_city(app, factory, city):
    for district in (None, "wujin", "liyang"):
        result = roll_up(TODAY, None, district)
        for figure in result.figures:
            assert drill_down(figure.code, TODAY, None, district).count() == figure.actual


def test_gap_plan_page_for_a_manager_and_an_administrator(client, factory, city):
    lapsing = factory.company("wujin", name="到期未申请企业")
    factory.designation(lapsing, "hnte", D(2023, 12, 1))  # ends 2026-11-30, no re-application
    db.session.commit()
    login(client, factory, "manager", "wujin")
    body = client.get("/indicators/gap?district=liyang").get_data(as_text=True)  # a district is an admin's choice
    assert 'data-testid="scope">武进区' in body
    assert "2026 年目标" in body and "2027 年目标" in body and "算法" in body
    assert re.search(r'data-testid="lapsing-without-hnte_count-2026">1<', body)
    link = re.search(r'href="([^"]*part=lapsing_without[^"]*)"', body).group(1).replace("&amp;", "&")
    listed = client.get(link).get_data(as_text=True)
    assert "到期未申请企业" in listed and 'data-testid="drill-total">1<' in listed
    assert client.get("/indicators/gap/companies?code=hnte_count&year=2026&part=lapsing_without&district=liyang").status_code == 403
    assert client.get("/indicators/gap/companies?code=hnte_count&year=abc&part=x").status_code == 400
    assert client.get("/indicators/gap/companies?code=hnte_count&year=2026&part=nonsense").status_code == 404
    assert client.get("/indicators/gap?as_of=2026-02-30").status_code == 200
    menu = client.get("/indicators/").get_data(as_text=True)
    assert 'href="/indicators/gap' in menu and "缺口分析" in menu
    client.post("/logout")
    login(client, factory, "admin")
    city_body = client.get("/indicators/gap").get_data(as_text=True)
    assert 'data-testid="scope">全市' in city_body
    liyang = client.get("/indicators/gap?district=liyang").get_data(as_text=True)
    assert 'data-testid="scope">溧阳' in liyang
    book = load_workbook(io.BytesIO(client.get("/indicators/export.xlsx").data))
    sheet = book["缺口分析"]
    labels = [sheet.cell(r, 1).value for r in range(1, 40)]
    assert "到期且未申请重新认定" in labels and "还需认定" in labels
