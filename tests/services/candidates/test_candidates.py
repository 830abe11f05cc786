"""精准挖掘: facts from rows, ranking with reasons on hand-chosen figures, scope, pre-filter safety, the kept ranking."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from tracker.extensions import db
from tracker.models import Company, CompanyYearFigures, User
from tracker.rules import eligibility
from tracker.rules.figures import FIELDS
from tracker.services.candidates import ranking, results
from tracker.services.candidates.ranking import CandidateFilters
from tracker.services.companies import figures as figure_service  # `figures` is this file's helper
from tracker.services.companies.records import soft_delete_company
from tracker.services.cultivation.tracks import add_companies
from tracker.services.designations.grants import revoke_designation
from tracker.services.errors import Forbidden, ServiceError

ON = dt.date(2026, 11, 24)  # evaluation year 2026 reads the figures of 2025 (and before)
YEAR = 2026

# A small company that passes the tech SME pre-check with 92 points:
# S&T 20/100 = 20% → 12; R&D 300/5000 = 6% → 50; one class I IP → 30.
SME = dict(
    staff_count=100, st_staff_count=20, revenue=Decimal(5000), rd_expense=Decimal(300),
    rd_expense_domestic=Decimal(250), total_cost=Decimal(4000), total_assets=Decimal(5000),
    hightech_revenue=Decimal(4000), ip_class1_count=1, ip_class2_count=2, is_listed=False,
)


def figures(company, year=2025, **values):
    """A figures row written directly (faster than the form), with the stored results kept in
    step as the figures service does."""
    row = CompanyYearFigures(company_id=company.id, year=year, **values)
    db.session.add(row)
    results.recompute_companies([company.id])
    db.session.commit()
    return row


def names(keys):
    return [db.session.get(Company, k.company_id).name for k in keys]


@pytest.fixture
def sme_city(factory):
    """Hand-built tech SME candidates in Wujin, plus companies that must not be listed."""
    officer = factory.user("officer", "wujin", name="武进专员")
    made = {}

    def company(name, district="wujin", **fields):
        made[name] = factory.company(district, name=name, founded_on=dt.date(2015, 1, 1), **fields)
        return made[name]

    figures(company("甲-全部满足", officer=officer, industry="新材料"), **SME)
    figures(company("乙-人数超标", industry="新材料"), **{**SME, "staff_count": 600, "st_staff_count": 120})
    figures(company("丙-缺资产总额", officer=officer), **{**SME, "total_assets": None})
    # 丁 fails two conditions (staff and revenue caps): not within one of the rung.
    figures(company("丁-差两项"), **{**SME, "staff_count": 600, "st_staff_count": 120, "revenue": Decimal(30000), "rd_expense": Decimal(1800), "hightech_revenue": Decimal(20000)})
    # 戊 already registered as a tech SME this year: not a candidate.
    wu = company("戊-已入库")
    figures(wu, **SME)
    factory.designation(wu, "tech_sme", dt.date(2026, 5, 10))
    # 己 has no 2025 figures at all (only 2024): three size caps unknown.
    figures(company("己-无上年数据"), year=2024, **SME)
    figures(company("庚-溧阳企业", district="liyang"), **SME)
    # 辛 was registered last year only: a candidate again this year.
    xin = company("辛-去年入库")
    figures(xin, **{**SME, "ip_class1_count": 0, "ip_class2_count": 4})  # 12 + 50 + 24 = 86
    factory.designation(xin, "tech_sme", dt.date(2025, 5, 10))
    return made


def test_evaluation_date_by_year():
    assert ranking.evaluation_date(2026, ON) == ON
    assert ranking.evaluation_date(2025, ON) == dt.date(2025, 12, 31)
    assert ranking.evaluation_date(2027, ON) == dt.date(2027, 1, 1)


def test_facts_come_from_rows_with_founding_date_and_hnte_in_force(app, factory):
    company = factory.company("wujin", founded_on=dt.date(2012, 4, 5))
    figures(company, 2024, staff_count=10, revenue=Decimal("12.34"), is_listed=True)
    figures(company, 2025, staff_count=11)
    figures(company, 2026, staff_count=12)  # the evaluation year itself is never read
    factory.designation(company, "hnte", dt.date(2024, 12, 1))
    facts = ranking.load_facts([company.id], YEAR, on=ON)[company.id]
    assert facts.founded_on == dt.date(2012, 4, 5) and facts.holds_valid_hnte is True
    assert sorted(facts.figures) == [2024, 2025]
    assert facts.figures[2024] == eligibility.YearFigures(year=2024, staff_count=10, revenue=Decimal("12.34"), is_listed=True)
    # The certificate of 2024-12-01 runs to 2027-11-30: not in force on 1 Jan 2028.
    assert ranking.load_facts([company.id], 2028, on=ON)[company.id].holds_valid_hnte is False


def test_tech_sme_candidates_ranked_with_reasons(app, factory, sme_city):
    manager = factory.user("manager", "wujin")
    keys = ranking.rank(manager, CandidateFilters("tech_sme", YEAR), on=ON)
    # Closest first: eligible (92 points before 86), then one unknown, then one failed.
    assert names(keys) == ["甲-全部满足", "辛-去年入库", "丙-缺资产总额", "乙-人数超标"]
    assert [(k.failed, k.unknown) for k in keys] == [(0, 0), (0, 0), (0, 1), (1, 0)]

    page = ranking.candidate_page(manager, CandidateFilters("tech_sme", YEAR), 1, 10, on=ON)
    assert page.total == 4 and page.eligible == 2
    rows = {r.company.name: r for r in page.rows}
    first = rows["甲-全部满足"]
    assert first.result.eligible is True and first.result.score == Decimal(92)
    assert first.officers == ["武进专员"] and first.stage == "prospect" and first.verdict == "符合条件"
    score = first.result.condition("score")
    assert "92 分" in score.detail and "研发费用 300 / 销售收入 5,000 = 6.00%，50 分" in score.detail

    failed = rows["乙-人数超标"].result.failed
    assert [(c.code, c.detail) for c in failed] == [("staff_cap", "2025 年职工总数 600 人")]
    assert rows["乙-人数超标"].verdict == "差 1 项"
    unknown = rows["丙-缺资产总额"].result.unknown
    assert [(c.code, c.detail) for c in unknown] == [("assets_cap", "缺少 2025 年资产总额")]
    assert rows["辛-去年入库"].result.condition("score").detail.startswith("2025 年评分 86 分")


def test_only_eligible_when_asked(app, factory, sme_city):
    admin = factory.user("admin")
    keys = ranking.rank(admin, CandidateFilters("tech_sme", YEAR, max_missing=0), on=ON)
    # 92, 92 and 86 points; equal scores are ordered by name.
    assert names(keys) == ["庚-溧阳企业", "甲-全部满足", "辛-去年入库"]


def test_scope_and_filters(app, factory, sme_city):
    manager = factory.user("manager", "liyang")
    assert names(ranking.rank(manager, CandidateFilters("tech_sme", YEAR), on=ON)) == ["庚-溧阳企业"]
    admin = factory.user("admin")
    everyone = names(ranking.rank(admin, CandidateFilters("tech_sme", YEAR), on=ON))
    assert "庚-溧阳企业" in everyone and len(everyone) == 5
    assert names(ranking.rank(admin, CandidateFilters("tech_sme", YEAR, district="liyang"), on=ON)) == ["庚-溧阳企业"]
    assert names(ranking.rank(admin, CandidateFilters("tech_sme", YEAR, industry="新材料"), on=ON)) == [
        "甲-全部满足", "乙-人数超标"]
    officer = db.session.scalar(select(User).where(User.name == "武进专员"))
    assert names(ranking.rank(admin, CandidateFilters("tech_sme", YEAR, officer_id=officer.id), on=ON)) == [
        "甲-全部满足", "丙-缺资产总额"]


def test_deleted_companies_are_never_candidates(app, factory, sme_city):
    admin = factory.user("admin")
    soft_delete_company(admin, sme_city["甲-全部满足"])
    assert "甲-全部满足" not in names(ranking.rank(admin, CandidateFilters("tech_sme", YEAR), on=ON))


def test_officers_and_bad_filters_are_refused(app, factory):
    officer = factory.user("officer", "wujin")
    with pytest.raises(Forbidden):
        ranking.rank(officer, CandidateFilters("tech_sme", YEAR), on=ON)
    admin = factory.user("admin")
    with pytest.raises(ServiceError, match="目标梯次"):
        ranking.rank(admin, CandidateFilters("nobel", YEAR), on=ON)
    with pytest.raises(ServiceError, match="评价年度"):
        ranking.rank(admin, CandidateFilters("hnte", 1999), on=ON)
    with pytest.raises(ServiceError, match="列出范围"):
        ranking.rank(admin, CandidateFilters("hnte", YEAR, max_missing=3), on=ON)


def _hnte_ready(**changes):
    """Three years that pass every HNTE condition that data can decide (score left unknown)."""
    return {**SME, "innovation_score": None, "key_field": True, "major_incident": False, **changes}


def test_hnte_candidates_exclude_holders_and_explain_the_missing_score(app, factory):
    admin = factory.user("admin")
    made = {}
    for name in ("高企在期", "高企已过期", "未申报", "研发不足"):
        made[name] = factory.company("wujin", name=name, founded_on=dt.date(2016, 1, 1))
        for y in (2023, 2024, 2025):
            values = _hnte_ready(rd_expense=Decimal(100), rd_expense_domestic=Decimal(90)) if name == "研发不足" else _hnte_ready()
            figures(made[name], y, **values)
    factory.designation(made["高企在期"], "hnte", dt.date(2024, 11, 1))
    factory.designation(made["高企已过期"], "hnte", dt.date(2022, 11, 1))  # ran to 2025-10-31
    keys = ranking.rank(admin, CandidateFilters("hnte", YEAR), on=ON)
    assert names(keys) == ["未申报", "高企已过期"]  # both one unknown away; by name
    page = ranking.candidate_page(admin, CandidateFilters("hnte", YEAR), 1, 10, on=ON)
    unknown = page.rows[0].result.unknown
    assert [(c.code, c.detail) for c in unknown] == [("innovation_score", "2025 年未做创新能力评价")]
    assert page.eligible == 0
    # 研发不足 fails R&D intensity (2% < 5%) and has the score unknown: two away, not listed.
    assert "研发不足" not in [r.company.name for r in page.rows]


def test_tech_sme_direct_qualification_for_a_valid_hnte(app, factory):
    admin = factory.user("admin")
    company = factory.company("wujin", name="高企直通", founded_on=dt.date(2010, 1, 1))
    figures(company, **{**SME, "st_staff_count": 5, "ip_class1_count": 0, "ip_class2_count": 0})
    factory.designation(company, "hnte", dt.date(2025, 10, 1))
    [row] = ranking.candidate_page(admin, CandidateFilters("tech_sme", YEAR), 1, 10, on=ON).rows
    assert row.result.eligible is True and row.result.condition("hnte_direct").status == eligibility.MET
    assert row.stage == "hnte"


def test_unicorn_candidates_need_an_investment_and_show_the_valuation(app, factory):
    admin = factory.user("admin")
    big = factory.company("wujin", name="大估值", founded_on=dt.date(2018, 1, 1))
    figures(big, 2024, financing_amount=Decimal(50000))
    figures(big, 2025, valuation=Decimal(800000), is_listed=False)  # 80 亿元 ≈ 11.1 亿美元 at 7.2
    plain = factory.company("wujin", name="无融资", founded_on=dt.date(2018, 1, 1))
    figures(plain, 2025, **SME)
    page = ranking.candidate_page(admin, CandidateFilters("unicorn", YEAR), 1, 10, on=ON)
    assert [r.company.name for r in page.rows] == ["大估值"]
    valuation = page.rows[0].result.condition("valuation")
    assert valuation.status == eligibility.MET and "800,000 万元" in valuation.detail
    assert "2024 年融资 50,000 万元" in page.rows[0].result.condition("invested").detail


def test_pagination_keeps_the_ranking(app, factory, sme_city):
    manager = factory.user("manager", "wujin")
    pages = [ranking.candidate_page(manager, CandidateFilters("tech_sme", YEAR), n, 3, on=ON) for n in (1, 2, 9)]
    assert [r.company.name for r in pages[0].rows] == ["甲-全部满足", "辛-去年入库", "丙-缺资产总额"]
    assert [r.company.name for r in pages[1].rows] == ["乙-人数超标"]
    assert pages[2].page == 2 and pages[0].pages == 2  # a page past the end shows the last one


def test_track_status_is_shown_for_companies_already_listed(app, factory, sme_city):
    manager = factory.user("manager", "wujin")
    add_companies(manager, [sme_city["丙-缺资产总额"].id], "tech_sme", YEAR)
    rows = ranking.candidate_page(manager, CandidateFilters("tech_sme", YEAR), 1, 10, on=ON).rows
    assert {r.company.name: r.track_status for r in rows}["丙-缺资产总额"] == "pool"
    assert {r.company.name: r.track_status for r in rows}["甲-全部满足"] is None


def _random_value(rng, kind):
    if rng.random() < 0.25:
        return None
    if kind == "count":
        return rng.choice([0, 1, 3, 8, 50, 120, 400, 600])
    if kind == "flag":
        return rng.random() < 0.2
    return Decimal(rng.choice([0, 10, 300, 1000, 4000, 5000, 20000, 60000, 400000, 900000]))


def test_sql_prefilter_never_drops_a_company_the_rules_would_list(app, factory, monkeypatch):
    """The SQL cut (`_necessary_clauses`) only removes companies two or more conditions away,
    and reading only the years a rung needs gives the same results as reading every year."""
    rng = random.Random(7)
    admin = factory.user("admin")
    for n in range(80):
        company = factory.company("wujin", founded_on=None if n % 9 == 0 else dt.date(rng.randint(2005, 2024), 3, 1))
        for year in range(2021, 2026):
            if rng.random() < 0.3:
                continue
            values = {name: _random_value(rng, kind) for name, (_n, _u, kind) in FIELDS.items() if kind != "score"}
            if values["st_staff_count"] is not None and values["staff_count"] is not None:
                values["st_staff_count"] = min(values["st_staff_count"], values["staff_count"])
            figures(company, year, **values)
        if n % 5 == 0:
            factory.designation(company, rng.choice(["tech_sme", "hnte", "gazelle"]), dt.date(2025, 3, 1))
    for target_rung in ranking.TARGET_RUNGS:
        for max_missing in ranking.MAX_MISSING_CHOICES:
            filters = CandidateFilters(target_rung, YEAR, max_missing=max_missing)
            with_cut = ranking.rank(admin, filters, on=ON)
            without = ranking.rank(admin, filters, on=ON, prefilter=False)
            assert with_cut == without, target_rung
            with monkeypatch.context() as m:
                m.setattr(ranking, "_first_year_needed", lambda *_a: None)
                assert ranking.rank(admin, filters, on=ON) == with_cut, target_rung
    # The data exercise the cut: some rungs list companies, and the cut removes some companies.
    assert any(ranking.rank(admin, CandidateFilters(t, YEAR), on=ON) for t in ranking.TARGET_RUNGS)


def test_query_count_does_not_grow_with_companies(app, factory, monkeypatch):
    admin = factory.user("admin")
    monkeypatch.setattr(ranking, "BATCH_SIZE", 1000)

    def build(count):
        for _ in range(count):
            figures(factory.company("wujin", founded_on=dt.date(2015, 1, 1)), **SME)

    def count_queries():
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            page = ranking.candidate_page(admin, CandidateFilters("tech_sme", YEAR), 1, 50, on=ON)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements), page.total

    count_queries()  # the first load computes the (tech SME, 2026) set; figures then keep it in step
    build(5)
    few, total = count_queries()
    build(60)
    many, total_after = count_queries()
    assert (total, total_after) == (5, 65)
    assert many == few


def test_the_page_reads_stored_results_and_follows_a_figures_edit(app, factory, sme_city, monkeypatch):
    """The page never runs the reference ranking; a figures edit through the service shows at once."""
    manager = factory.user("manager", "wujin")
    filters = CandidateFilters("tech_sme", YEAR)
    first = ranking.candidate_page(manager, filters, 1, 10, on=ON)
    monkeypatch.setattr(ranking, "rank", lambda *a, **k: pytest.fail("the page ranked the city"))
    # 乙 fixes its staff count: the next page load lists it as eligible.
    big = sme_city["乙-人数超标"]
    figure_service.save_year(
        manager, big, 2025, {**{k: str(v) for k, v in SME.items() if k != "is_listed"}, "is_listed": "0"},
        version=1,
    )
    after = ranking.candidate_page(manager, filters, 1, 10, on=ON)
    assert after.eligible == first.eligible + 1


# --------------------------------------------------------------------------- re-certification (重新认定)


def _hnte_company(factory, name, district="wujin"):
    company = factory.company(district, name=name, founded_on=dt.date(2016, 1, 1))
    for y in (2023, 2024, 2025):
        figures(company, y, **_hnte_ready(innovation_score=Decimal(80)))
    return company


def test_certificates_expiring_in_the_evaluation_year_are_candidates_and_come_first(app, factory):
    """Issue 16 defect 2: a holder whose certificate ends in the evaluation year must re-apply."""
    admin = factory.user("admin")
    first = _hnte_company(factory, "甲-首次申报")
    expiring = _hnte_company(factory, "乙-年内到期")
    factory.designation(expiring, "hnte", dt.date(2023, 12, 15))  # runs to 2026-12-14: held on ON
    lapsed = _hnte_company(factory, "丙-年内已到期")
    factory.designation(lapsed, "hnte", dt.date(2023, 10, 20))  # ran to 2026-10-19, still this year
    renewed = _hnte_company(factory, "丁-已重新认定")
    factory.designation(renewed, "hnte", dt.date(2023, 12, 10))
    factory.designation(renewed, "hnte", dt.date(2026, 11, 1))  # the renewal: to 2029-10-31
    later = _hnte_company(factory, "戊-明年到期")
    factory.designation(later, "hnte", dt.date(2024, 3, 1))  # to 2027-02-28: not this year
    filters = CandidateFilters("hnte", YEAR)
    keys = ranking.rank(admin, filters, on=ON)
    assert names(keys) == ["丙-年内已到期", "乙-年内到期", "甲-首次申报"]
    assert [k.holds_until for k in keys] == [dt.date(2026, 10, 19), dt.date(2026, 12, 14), None]
    rows = {r.company.name: r for r in ranking.candidate_page(admin, filters, 1, 10, on=ON).rows}
    assert rows["乙-年内到期"].recertification and rows["乙-年内到期"].holds_until == dt.date(2026, 12, 14)
    assert rows["乙-年内到期"].result.eligible is True and rows["乙-年内到期"].stage == "hnte"
    assert not rows["甲-首次申报"].recertification and rows["甲-首次申报"].holds_until is None
    # Next year's list: 戊 (ends 2027-02-28) re-applies then; the 2026 ones have lapsed or renewed.
    figures(later, 2026, **_hnte_ready(innovation_score=Decimal(80)))
    assert names(ranking.rank(admin, CandidateFilters("hnte", 2027), on=ON))[0] == "戊-明年到期"
    # A tech SME registered this year is done for the year: its 31 Dec end is not a re-certification.
    sme = factory.company("wujin", name="己-今年科小", founded_on=dt.date(2015, 1, 1))
    figures(sme, **SME)
    factory.designation(sme, "tech_sme", dt.date(2026, 5, 10))
    assert "己-今年科小" not in names(ranking.rank(admin, CandidateFilters("tech_sme", YEAR), on=ON))


def test_a_company_revoked_this_year_is_not_an_hnte_candidate(app, factory):
    admin = factory.user("admin")
    company = _hnte_company(factory, "被取消")
    cert = factory.designation(company, "hnte", dt.date(2024, 11, 1))
    revoke_designation(admin, cert, revoked_on=dt.date(2026, 3, 1), reason="年报造假")
    assert names(ranking.rank(admin, CandidateFilters("hnte", YEAR), on=ON)) == []
    figures(company, 2026, **_hnte_ready(innovation_score=Decimal(80)))
    assert names(ranking.rank(admin, CandidateFilters("hnte", 2027), on=ON)) == ["被取消"]
