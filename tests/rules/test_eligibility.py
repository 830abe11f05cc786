"""Eligibility pre-checks (精准挖掘): every threshold at, just under and just over its bar."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from tracker.rules import eligibility_thresholds as et
from tracker.rules.eligibility import (
    FAILED,
    MET,
    UNKNOWN,
    CompanyFacts,
    Condition,
    EligibilityResult,
    YearFigures,
    check,
    check_all,
    check_gazelle,
    check_hnte,
    check_potential_unicorn,
    check_tech_sme,
    check_unicorn,
    hnte_window,
    tech_sme_score,
)
from tracker.rules.eligibility_thresholds import BASE, thresholds_for

D = Decimal
_MONEY = {
    "revenue", "rd_expense", "rd_expense_domestic", "total_cost", "total_assets",
    "hightech_revenue", "valuation", "financing_amount", "innovation_score",
}


def fig(year: int, **values) -> YearFigures:
    """YearFigures with money given as str/int for brevity (converted to Decimal, never float)."""
    converted = {
        k: (D(str(v)) if k in _MONEY and v is not None else v) for k, v in values.items()
    }
    return YearFigures(year, **converted)


def facts(*figures: YearFigures, founded: dt.date | None = dt.date(2015, 3, 1), hnte: bool = False):
    return CompanyFacts(founded, {f.year: f for f in figures}, holds_valid_hnte=hnte)


def status(result: EligibilityResult, code: str) -> str:
    return result.condition(code).status


# --------------------------------------------------------------------------- result semantics


def _result(*statuses: str) -> EligibilityResult:
    conditions = tuple(Condition(f"c{i}", "l", "d", s) for i, s in enumerate(statuses))
    return EligibilityResult("hnte", 2024, conditions, None)


@pytest.mark.parametrize(
    "statuses, eligible, missing",
    [
        ((MET, MET), True, 0),
        ((MET, UNKNOWN), None, 1),
        ((UNKNOWN, UNKNOWN), None, 2),
        ((MET, FAILED), False, 1),
        ((FAILED, UNKNOWN, MET), False, 2),
    ],
)
def test_eligible_and_missing_count(statuses, eligible, missing):
    result = _result(*statuses)
    assert result.eligible is eligible
    assert result.missing_count == missing
    assert len(result.met) + len(result.failed) + len(result.unknown) == len(statuses)
    assert all(c.status == FAILED for c in result.failed)
    assert all(c.status == UNKNOWN for c in result.unknown)


def test_condition_lookup_raises_for_unknown_code():
    with pytest.raises(KeyError):
        _result(MET).condition("nope")


# --------------------------------------------------------------------------- thresholds by year


def test_thresholds_for_returns_newest_set_not_after_year():
    later = dataclasses.replace(
        BASE, year=2026, tech_sme=dataclasses.replace(BASE.tech_sme, staff_cap=dataclasses.replace(BASE.tech_sme.staff_cap, value=D(1000)))
    )
    registry = (BASE, later)
    assert thresholds_for(2025, registry) is BASE
    assert thresholds_for(2026, registry) is later
    assert thresholds_for(2030, registry) is later
    assert thresholds_for(2024) is BASE


def test_thresholds_before_oldest_set_raise():
    with pytest.raises(ValueError):
        thresholds_for(BASE.year - 1)


def test_later_threshold_set_takes_effect_in_checks(monkeypatch):
    later = dataclasses.replace(
        BASE, year=2026, tech_sme=dataclasses.replace(BASE.tech_sme, staff_cap=dataclasses.replace(BASE.tech_sme.staff_cap, value=D(1000)))
    )
    monkeypatch.setattr(et, "THRESHOLD_SETS", (BASE, later))
    company = facts(fig(2024, staff_count=800), fig(2025, staff_count=800))
    assert status(check_tech_sme(company, 2025), "staff_cap") == FAILED
    assert status(check_tech_sme(company, 2026), "staff_cap") == MET
    assert "1,000" in check_tech_sme(company, 2026).condition("staff_cap").label


# --------------------------------------------------------------------------- HNTE


Y = 2024  # HNTE/tech SME/gazelle evaluation year in these tests: figures of 2021-2023


def good_hnte_facts(**overrides) -> CompanyFacts:
    """A company meeting every HNTE condition; 2023 figures overridable."""
    latest = dict(
        staff_count=100, st_staff_count=20, revenue=1600, rd_expense=100,
        rd_expense_domestic=90, hightech_revenue=1200, ip_class1_count=1, ip_class2_count=0,
        innovation_score=80, key_field=True, major_incident=False,
    )
    latest.update(overrides)
    return facts(
        fig(2021, revenue=1500, rd_expense=100, rd_expense_domestic=90),
        fig(2022, revenue=1700, rd_expense=120, rd_expense_domestic=100),
        fig(2023, **latest),
    )


def test_hnte_all_met_is_eligible():
    result = check_hnte(good_hnte_facts(), Y)
    assert result.rung == "hnte" and result.year == Y
    assert [c.status for c in result.conditions] == [MET] * 9  # the eight of 第十一条, R&D in two
    assert result.eligible is True
    assert result.missing_count == 0
    assert result.score is None


def test_hnte_nothing_known_is_all_unknown_not_failed():
    result = check_hnte(CompanyFacts(None, {}), Y)
    assert {c.status for c in result.conditions} == {UNKNOWN}
    assert result.eligible is None
    assert result.missing_count == 7  # the two declarations are pending, not counted
    assert len(result.pending) == 2


@pytest.mark.parametrize(
    "founded, as_of, expected",
    [
        (dt.date(2023, 6, 30), None, MET),  # default reference day 30 Jun: exactly one year
        (dt.date(2023, 7, 1), None, FAILED),  # one day short
        (dt.date(2023, 6, 29), None, MET),
        (dt.date(2023, 6, 30), dt.date(2024, 6, 29), FAILED),  # caller's application date
        (dt.date(2020, 2, 29), dt.date(2021, 2, 28), MET),  # leap day: anniversary on 28 Feb
        (dt.date(2020, 2, 29), dt.date(2021, 2, 27), FAILED),
        (None, None, UNKNOWN),
    ],
)
def test_hnte_registered_one_year(founded, as_of, expected):
    company = dataclasses.replace(good_hnte_facts(), founded_on=founded)
    year = as_of.year if as_of else Y
    assert status(check_hnte(company, year, as_of=as_of), "registered_one_year") == expected


@pytest.mark.parametrize(
    "st, staff, expected",
    [(10, 100, MET), (9, 100, FAILED), (11, 100, MET), (1, 10, MET), (1, 11, FAILED),
     (0, 0, FAILED), (None, 100, UNKNOWN), (10, None, UNKNOWN)],
)
def test_hnte_st_staff_ratio(st, staff, expected):
    result = check_hnte(good_hnte_facts(st_staff_count=st, staff_count=staff), Y)
    assert status(result, "st_staff_ratio") == expected


def _rd_company(sales: str, rd_total: str) -> CompanyFacts:
    """Three years of equal sales `sales`, R&D summing to `rd_total` (all in 2023)."""
    return facts(
        fig(2021, revenue=sales, rd_expense=0, rd_expense_domestic=0),
        fig(2022, revenue=sales, rd_expense=0, rd_expense_domestic=0),
        fig(2023, revenue=sales, rd_expense=rd_total, rd_expense_domestic=rd_total),
    )


@pytest.mark.parametrize(
    "sales, rd_total, expected, bar",
    [
        # Band 1: latest sales ≤ 5,000 万元 → 5 % (three-year sales 15,000: 5 % = 750).
        ("5000", "750", MET, "5%"),
        ("5000", "749.99", FAILED, "5%"),
        ("5000", "750.01", MET, "5%"),
        ("5000", "675", FAILED, "5%"),  # 4.5 %: would pass the next band
        # Band 2: 5,000 < sales ≤ 20,000 → 4 %.
        ("5000.01", "675", MET, "4%"),
        ("5000.01", "600.0012", MET, "4%"),  # exactly 4 % of 15,000.03
        ("5000.01", "600.0011", FAILED, "4%"),
        ("20000", "2400", MET, "4%"),  # exactly 4 % of 60,000
        ("20000", "2399.99", FAILED, "4%"),
        ("20000", "2100", FAILED, "4%"),  # 3.5 %: would pass the next band
        # Band 3: sales > 20,000 → 3 %.
        ("20000.01", "2100", MET, "3%"),
        ("30000", "2700", MET, "3%"),  # exactly 3 % of 90,000
        ("30000", "2699.99", FAILED, "3%"),
    ],
)
def test_hnte_rd_ratio_bands(sales, rd_total, expected, bar):
    condition = check_hnte(_rd_company(sales, rd_total), Y).condition("rd_ratio")
    assert condition.status == expected
    assert f"≥ {bar}" in condition.label


def test_hnte_rd_ratio_detail_shows_numbers():
    company = facts(
        fig(2021, revenue=1500, rd_expense=100),
        fig(2022, revenue=1700, rd_expense=100),
        fig(2023, revenue=1600, rd_expense=120),
    )
    condition = check_hnte(company, Y).condition("rd_ratio")
    assert condition.status == MET
    assert "研发费用 320 万元 / 销售收入 4,800 万元 = 6.67%" in condition.detail
    assert "2021–2023" in condition.detail


def test_hnte_window_shortened_for_young_company():
    company = facts(
        fig(2022, revenue=100, rd_expense=10, rd_expense_domestic=10),
        fig(2023, revenue=100, rd_expense=0, rd_expense_domestic=0),
        founded=dt.date(2022, 3, 1),
    )
    years, note = hnte_window(company, Y)
    assert years == [2022, 2023]
    assert "按实际经营年度计算" in note
    condition = check_hnte(company, Y).condition("rd_ratio")
    assert condition.status == MET  # 10 / 200 = 5 %, 2021 not required
    assert "2022–2023" in condition.detail and "按实际经营年度计算" in condition.detail


def test_hnte_window_full_when_founded_before():
    years, note = hnte_window(facts(founded=dt.date(2021, 12, 31)), Y)
    assert years == [2021, 2022, 2023] and note == ""


def test_hnte_rd_ratio_unknown_when_a_window_year_is_missing():
    company = facts(
        fig(2022, revenue=100, rd_expense=10),
        fig(2023, revenue=100, rd_expense=10),
        founded=None,  # cannot tell whether 2021 existed
    )
    condition = check_hnte(company, Y).condition("rd_ratio")
    assert condition.status == UNKNOWN
    assert "2021 年研发费用" in condition.detail


def test_hnte_rd_ratio_no_completed_year_is_unknown():
    company = facts(founded=dt.date(2024, 1, 5))
    assert status(check_hnte(company, Y), "rd_ratio") == UNKNOWN
    assert status(check_hnte(company, Y), "registered_one_year") == FAILED


def test_hnte_rd_ratio_zero_sales_fails():
    assert status(check_hnte(_rd_company("0", "50"), Y), "rd_ratio") == FAILED


@pytest.mark.parametrize(
    "domestic, expected",
    [("60", MET), ("59.99", FAILED), ("60.01", MET), (None, UNKNOWN)],
)
def test_hnte_domestic_rd_ratio(domestic, expected):
    # 100 万元 of R&D over the window, `domestic` of it spent in China.
    company = facts(
        fig(2021, revenue=1000, rd_expense=100, rd_expense_domestic=domestic),
        fig(2022, revenue=1000, rd_expense=0, rd_expense_domestic=0),
        fig(2023, revenue=1000, rd_expense=0, rd_expense_domestic=0),
    )
    assert status(check_hnte(company, Y), "rd_domestic_ratio") == expected


def test_hnte_domestic_rd_ratio_without_rd_fails():
    company = facts(*(fig(y, revenue=100, rd_expense=0, rd_expense_domestic=0) for y in (2021, 2022, 2023)))
    assert status(check_hnte(company, Y), "rd_domestic_ratio") == FAILED


@pytest.mark.parametrize(
    "hightech, revenue, expected",
    [("960", "1600", MET), ("959.99", "1600", FAILED), ("960.01", "1600", MET),
     (None, "1600", UNKNOWN), ("960", None, UNKNOWN), ("0", "0", FAILED)],
)
def test_hnte_hightech_revenue_ratio(hightech, revenue, expected):
    result = check_hnte(good_hnte_facts(hightech_revenue=hightech, revenue=revenue), Y)
    assert status(result, "hightech_revenue_ratio") == expected


@pytest.mark.parametrize(
    "class1, class2, expected",
    [(0, 0, FAILED), (1, 0, MET), (0, 1, MET), (None, 1, MET), (1, None, MET),
     (None, 0, UNKNOWN), (0, None, UNKNOWN), (None, None, UNKNOWN)],
)
def test_hnte_core_ip(class1, class2, expected):
    result = check_hnte(good_hnte_facts(ip_class1_count=class1, ip_class2_count=class2), Y)
    assert status(result, "core_ip") == expected


@pytest.mark.parametrize(
    "score, expected",
    [("71", MET), ("70", FAILED), ("70.01", MET), ("100", MET), (None, UNKNOWN)],
)
def test_hnte_innovation_score(score, expected):
    result = check_hnte(good_hnte_facts(innovation_score=score), Y)
    assert status(result, "innovation_score") == expected
    if score is None:
        assert result.eligible is None and result.missing_count == 1


def test_hnte_one_failure_makes_it_ineligible():
    result = check_hnte(good_hnte_facts(st_staff_count=5, innovation_score=None), Y)
    assert result.eligible is False
    assert result.missing_count == 2
    assert [c.code for c in result.failed] == ["st_staff_ratio"]
    assert [c.code for c in result.unknown] == ["innovation_score"]


# --------------------------------------------------------------------------- tech SME


def sme(**latest) -> CompanyFacts:
    return facts(fig(2023, **latest))


GOOD_SME = dict(
    staff_count=100, st_staff_count=30, revenue=1000, rd_expense=60, total_cost=800,
    total_assets=3000, ip_class1_count=1, ip_class2_count=0,
)


@pytest.mark.parametrize(
    "field, value, expected",
    [
        ("staff_count", 500, MET), ("staff_count", 501, FAILED), ("staff_count", 499, MET),
        ("revenue", "20000", MET), ("revenue", "20000.01", FAILED), ("revenue", "19999.99", MET),
        ("total_assets", "20000", MET), ("total_assets", "20000.01", FAILED),
        ("total_assets", "19999.99", MET),
        ("staff_count", None, UNKNOWN), ("revenue", None, UNKNOWN), ("total_assets", None, UNKNOWN),
    ],
)
def test_tech_sme_size_caps(field, value, expected):
    code = {"staff_count": "staff_cap", "revenue": "revenue_cap", "total_assets": "assets_cap"}[field]
    values = {**GOOD_SME, field: value}
    if field == "staff_count" and value is not None:
        values["st_staff_count"] = value  # keep the staff score non-zero
    assert status(check_tech_sme(sme(**values), Y), code) == expected


@pytest.mark.parametrize(
    "st, staff, points",
    [(30, 100, 20), (29, 100, 16), (31, 100, 20), (25, 100, 16), (24, 100, 12), (20, 100, 12),
     (19, 100, 8), (15, 100, 8), (14, 100, 4), (10, 100, 4), (9, 100, 0), (0, 100, 0),
     (1, 3, 20), (1, 10, 4), (1, 11, 0)],
)
def test_tech_sme_staff_score_bands(st, staff, points):
    score = tech_sme_score(fig(2023, st_staff_count=st, staff_count=staff))
    assert score.st_staff.points == points


@pytest.mark.parametrize(
    "rd, revenue, points",
    [("6", "100", 50), ("5.99", "100", 40), ("6.01", "100", 50), ("5", "100", 40),
     ("4.99", "100", 30), ("4", "100", 30), ("3.99", "100", 20), ("3", "100", 20),
     ("2.99", "100", 10), ("2", "100", 10), ("1.99", "100", 0), ("5", "0", 0)],
)
def test_tech_sme_rd_over_sales_bands(rd, revenue, points):
    score = tech_sme_score(fig(2023, rd_expense=rd, revenue=revenue, total_cost=1_000_000))
    assert score.rd.points == points


@pytest.mark.parametrize(
    "rd, cost, points",
    [("30", "100", 50), ("29.99", "100", 40), ("25", "100", 40), ("24.99", "100", 30),
     ("20", "100", 30), ("19.99", "100", 20), ("15", "100", 20), ("14.99", "100", 10),
     ("10", "100", 10), ("9.99", "100", 0)],
)
def test_tech_sme_rd_over_cost_bands(rd, cost, points):
    score = tech_sme_score(fig(2023, rd_expense=rd, total_cost=cost, revenue=1_000_000))
    assert score.rd.points == points


def test_tech_sme_rd_takes_the_better_measure():
    # 3 % of sales (20) but 25 % of cost (40): the better one counts, in either order.
    assert tech_sme_score(fig(2023, rd_expense=30, revenue=1000, total_cost=120)).rd.points == 40
    assert tech_sme_score(fig(2023, rd_expense=30, revenue=500, total_cost=1000)).rd.points == 50


def test_tech_sme_rd_one_measure_settles_it_when_it_scores_full():
    score = tech_sme_score(fig(2023, rd_expense=60, revenue=1000, total_cost=None))
    assert score.rd.points == 50
    partial = tech_sme_score(fig(2023, rd_expense=30, revenue=1000, total_cost=None))
    assert (partial.rd.low, partial.rd.high, partial.rd.points) == (20, 50, None)


@pytest.mark.parametrize(
    "class1, class2, points",
    [(1, 0, 30), (3, 9, 30), (0, 5, 24), (0, 4, 24), (0, 3, 18), (0, 2, 12), (0, 1, 6), (0, 0, 0)],
)
def test_tech_sme_ip_score_bands(class1, class2, points):
    assert tech_sme_score(fig(2023, ip_class1_count=class1, ip_class2_count=class2)).ip.points == points


@pytest.mark.parametrize(
    "class1, class2, low, high",
    [(None, None, 0, 30), (None, 3, 18, 30), (0, None, 0, 24), (2, None, 30, 30)],
)
def test_tech_sme_ip_score_ranges_with_missing_counts(class1, class2, low, high):
    ip = tech_sme_score(fig(2023, ip_class1_count=class1, ip_class2_count=class2)).ip
    assert (ip.low, ip.high) == (low, high)


@pytest.mark.parametrize(
    "values, total, expected",
    [
        # 20 + 40 + 0 = 60: the pass mark itself passes.
        (dict(st_staff_count=30, rd_expense=5, revenue=100, ip_class1_count=0, ip_class2_count=0), 60, MET),
        # 16 + 30 + 12 = 58: just under.
        (dict(st_staff_count=25, rd_expense=4, revenue=100, ip_class1_count=0, ip_class2_count=2), 58, FAILED),
        # 20 + 40 + 6 = 66: over.
        (dict(st_staff_count=30, rd_expense=5, revenue=100, ip_class1_count=0, ip_class2_count=1), 66, MET),
    ],
)
def test_tech_sme_score_pass_mark(values, total, expected):
    company = sme(staff_count=100, total_cost=100_000, total_assets=100, **values)
    result = check_tech_sme(company, Y)
    assert result.score == D(total)
    assert status(result, "score") == expected
    assert result.eligible is (expected == MET)


def test_tech_sme_zero_staff_score_fails_despite_high_score():
    result = check_tech_sme(sme(**{**GOOD_SME, "st_staff_count": 9}), Y)  # 9 % → 0 points
    assert result.score == D(80)
    assert status(result, "score") == MET
    assert status(result, "st_staff_score") == FAILED
    assert result.eligible is False


def test_tech_sme_score_settled_although_ip_unknown():
    values = {**GOOD_SME, "ip_class1_count": None, "ip_class2_count": None, "rd_expense": 50}
    result = check_tech_sme(sme(**values), Y)  # 20 + 40 + (0..30)
    assert result.score is None
    assert status(result, "score") == MET
    assert result.eligible is True


def test_tech_sme_score_unknown_when_missing_data_could_go_either_way():
    values = {**GOOD_SME, "rd_expense": None, "ip_class1_count": 0}  # 20 + (0..50) + 0
    result = check_tech_sme(sme(**values), Y)
    assert status(result, "score") == UNKNOWN
    assert result.eligible is None
    assert result.missing_count == 1


def test_tech_sme_score_fails_when_even_the_best_case_is_short():
    values = {**GOOD_SME, "st_staff_count": 10, "rd_expense": None, "ip_class1_count": 0}  # 4 + 50 max
    result = check_tech_sme(sme(**values), Y)
    assert status(result, "score") == FAILED
    assert status(result, "st_staff_score") == MET


def test_tech_sme_staff_score_unknown_without_staff_figures():
    result = check_tech_sme(sme(**{**GOOD_SME, "st_staff_count": None}), Y)
    assert status(result, "st_staff_score") == UNKNOWN


def test_tech_sme_uses_previous_year_figures():
    company = facts(fig(2023, **GOOD_SME), fig(2024, **{**GOOD_SME, "staff_count": 900}))
    assert check_tech_sme(company, 2024).eligible is True
    assert status(check_tech_sme(company, 2025), "staff_cap") == FAILED


def test_tech_sme_direct_qualification_with_hnte_certificate():
    weak = {**GOOD_SME, "st_staff_count": 0, "rd_expense": 0, "ip_class1_count": 0}
    result = check_tech_sme(facts(fig(2023, **weak), hnte=True), Y)
    codes = [c.code for c in result.conditions]
    assert "hnte_direct" in codes and "score" not in codes and "st_staff_score" not in codes
    assert status(result, "hnte_direct") == MET
    assert result.eligible is True
    assert result.score == D(0)
    without = check_tech_sme(facts(fig(2023, **weak)), Y)
    assert without.eligible is False


def test_tech_sme_direct_qualification_still_needs_size_caps():
    result = check_tech_sme(facts(fig(2023, **{**GOOD_SME, "staff_count": 501}), hnte=True), Y)
    assert result.eligible is False
    assert [c.code for c in result.failed] == ["staff_cap"]


# --------------------------------------------------------------------------- gazelle (2024: base 2020, end 2023)


def gazelle(founded=dt.date(2012, 5, 1), rev=None, staff=None, rd2023="100", shift=0) -> CompanyFacts:
    """Revenue/staff given as {year: value}; years shifted by `shift` to test rolling forward."""
    rev = rev or {}
    staff = staff or {}
    years = set(rev) | set(staff) | {2023}
    figures = [
        fig(y + shift, revenue=rev.get(y), staff_count=staff.get(y),
            rd_expense=rd2023 if y == 2023 else None)
        for y in sorted(years)
    ]
    founded = founded.replace(year=founded.year + shift) if founded else None
    return facts(*figures, founded=founded)


GROWING = {2020: "1000", 2022: "1700", 2023: "1728"}  # CAGR exactly 20 %: 1000 × 1.2³ = 1728


def test_gazelle_revenue_route_at_the_bars():
    result = check_gazelle(gazelle(rev=GROWING), 2024)
    assert status(result, "st_spend_ratio") == MET  # 100 / 1728 > 4 %
    assert status(result, "growth_path") == MET
    assert "路径1（营收成长）满足" in result.condition("growth_path").detail
    assert result.eligible is True


@pytest.mark.parametrize(
    "change, expected",
    [
        ({2023: "1727.99"}, FAILED),  # CAGR just under 20 %
        ({2020: "999.99", 2023: "1727.99"}, FAILED),  # base revenue just under 1,000 万元
        ({2022: "1728"}, FAILED),  # no growth in the end year (equal is not growth)
        ({2022: "1728.01"}, FAILED),
        ({2022: "1727.99"}, MET),
        ({2020: None}, UNKNOWN),
        ({2022: None}, UNKNOWN),
    ],
)
def test_gazelle_revenue_route_just_off_the_bars(change, expected):
    rev = {**GROWING, **change}
    rev = {k: v for k, v in rev.items() if v is not None}
    small = {2020: 10, 2023: 10}  # the staff route fails for sure, so the revenue route decides
    assert status(check_gazelle(gazelle(rev=rev, staff=small), 2024), "growth_path") == expected


@pytest.mark.parametrize(
    "founded, expected",
    [(dt.date(2010, 1, 1), MET), (dt.date(2009, 12, 31), FAILED), (None, UNKNOWN)],
)
def test_gazelle_growth_routes_need_founding_since_2010(founded, expected):
    result = check_gazelle(gazelle(founded=founded, rev=GROWING), 2024)
    assert status(result, "growth_path") == expected


@pytest.mark.parametrize(
    "base, end, expected",
    [(100, 220, MET), (100, 219, FAILED), (99, 300, FAILED), (200, 440, MET),
     (200, 439, FAILED), (None, 300, UNKNOWN)],  # 100 × 1.3³ = 219.7
)
def test_gazelle_staff_route(base, end, expected):
    staff = {2020: base, 2023: end} if base is not None else {2023: end}
    rev = {2020: "1", 2022: "1", 2023: "1"}  # revenue route fails for sure
    result = check_gazelle(gazelle(rev=rev, staff=staff, rd2023="1"), 2024)
    assert status(result, "growth_path") == expected


@pytest.mark.parametrize(
    "founded, revenue, expected",
    [
        (dt.date(2019, 1, 1), "50000", MET),
        (dt.date(2019, 1, 1), "49999.99", FAILED),
        (dt.date(2018, 12, 31), "50000", FAILED),  # too old for route 3, too small for route 4
        (dt.date(2014, 1, 1), "100000", MET),
        (dt.date(2014, 1, 1), "99999.99", FAILED),
        (dt.date(2013, 12, 31), "100000", FAILED),  # too old for route 4, fails 1-2 (no growth)
    ],
)
def test_gazelle_scale_routes(founded, revenue, expected):
    rev = {2020: revenue, 2022: revenue, 2023: revenue}  # flat: growth routes fail
    staff = {2020: 10, 2023: 10}
    result = check_gazelle(gazelle(founded=founded, rev=rev, staff=staff, rd2023="1"), 2024)
    assert status(result, "growth_path") == expected


@pytest.mark.parametrize(
    "rd, expected", [("69.12", FAILED), ("69.13", MET), ("69.11", FAILED), (None, UNKNOWN)]
)
def test_gazelle_st_spend_ratio_is_strictly_above_four_percent(rd, expected):
    # 4 % of 1,728 = 69.12: equal fails, because the rule says "> 4%".
    assert status(check_gazelle(gazelle(rev=GROWING, rd2023=rd), 2024), "st_spend_ratio") == expected


def test_gazelle_unknown_and_failed_routes():
    assert status(check_gazelle(facts(founded=None), 2024), "growth_path") == UNKNOWN
    flat = {2020: "100", 2022: "100", 2023: "100"}
    result = check_gazelle(gazelle(rev=flat, staff={2020: 10, 2023: 10}), 2024)
    assert status(result, "growth_path") == FAILED
    assert result.eligible is False


def test_gazelle_years_roll_forward_with_the_evaluation_year():
    shifted = gazelle(rev=GROWING, shift=1)  # same story one year later: 2021 → 2024
    result = check_gazelle(shifted, 2025)
    assert status(result, "growth_path") == MET
    assert "2021–2024" in result.condition("growth_path").detail
    # In 2024 the 2024 figures are not yet a completed year, so the same company cannot show it.
    assert status(check_gazelle(shifted, 2024), "growth_path") != MET
    # The founding bar rolls too: founded 2010 is fine in 2024 but not in 2025 (needs 2011+).
    old = gazelle(founded=dt.date(2010, 6, 1), rev=GROWING, shift=1)
    old = dataclasses.replace(old, founded_on=dt.date(2010, 6, 1))
    assert status(check_gazelle(old, 2025), "growth_path") == FAILED


# --------------------------------------------------------------------------- potential unicorn (2025)


def pu(founded, valuation, *, listed=False, financing="1000") -> CompanyFacts:
    return facts(
        fig(2023, financing_amount=financing),
        fig(2024, valuation=valuation, is_listed=listed, financing_amount="0"),
        founded=founded,
    )


CHEAP_DOLLAR = dataclasses.replace(BASE, cny_per_usd=D("5"))  # USD 50M = 25,000 万元 < 30,000


@pytest.mark.parametrize(
    "valuation, thresholds, expected",
    [
        ("30000", None, MET),  # the CNY alternative: ≥ 30,000 万元
        ("29999.99", None, FAILED),  # USD 50M is 35,600 万元 at 7.12: not met either
        ("30000.01", None, MET),
        ("25000", CHEAP_DOLLAR, MET),  # USD 50M exactly at 5 yuan/$
        ("24999.99", CHEAP_DOLLAR, FAILED),
    ],
)
def test_potential_unicorn_young_company_valuation(valuation, thresholds, expected):
    result = check_potential_unicorn(pu(dt.date(2020, 1, 1), valuation), 2025, thresholds)
    assert status(result, "valuation") == expected
    assert status(result, "founded_within") == MET
    assert result.eligible is (expected == MET)


@pytest.mark.parametrize(
    "founded, valuation, expected",
    [
        (dt.date(2019, 12, 31), "71200", FAILED),  # USD 100M = 71,200 万元; "> " so equal fails
        (dt.date(2019, 12, 31), "71200.01", MET),
        (dt.date(2019, 12, 31), "40000", FAILED),  # enough when young, not at 6 years
        (dt.date(2015, 1, 1), "71200.01", MET),  # Y−10 still in
    ],
)
def test_potential_unicorn_older_company_valuation(founded, valuation, expected):
    result = check_potential_unicorn(pu(founded, valuation), 2025)
    assert status(result, "valuation") == expected
    assert status(result, "founded_within") == MET


def test_potential_unicorn_too_old():
    result = check_potential_unicorn(pu(dt.date(2014, 12, 31), "900000"), 2025)
    assert status(result, "founded_within") == FAILED
    assert result.eligible is False


@pytest.mark.parametrize(
    "valuation, expected", [("80000", MET), ("20000", FAILED), ("40000", UNKNOWN), (None, UNKNOWN)]
)
def test_potential_unicorn_unknown_founding(valuation, expected):
    result = check_potential_unicorn(pu(None, valuation), 2025)
    assert status(result, "valuation") == expected
    assert status(result, "founded_within") == UNKNOWN


def test_potential_unicorn_listed_fails():
    result = check_potential_unicorn(pu(dt.date(2021, 1, 1), "90000", listed=True), 2025)
    assert status(result, "unlisted") == FAILED
    assert result.eligible is False
    assert status(check_potential_unicorn(pu(dt.date(2021, 1, 1), "90000", listed=None), 2025),
                  "unlisted") == UNKNOWN


def test_invested_by_financing_or_valuation():
    financed = facts(fig(2022, financing_amount="500"), founded=dt.date(2021, 1, 1))
    assert status(check_unicorn(financed, 2025), "invested") == MET
    valued = facts(fig(2024, valuation="10000", financing_amount="0"), founded=None)
    assert status(check_unicorn(valued, 2025), "invested") == MET
    # Financing in the evaluation year itself is not yet a completed year's figure.
    this_year = facts(fig(2025, financing_amount="500"), founded=dt.date(2021, 1, 1))
    assert status(check_unicorn(this_year, 2025), "invested") != MET


def test_invested_failed_only_when_every_year_since_founding_is_zero():
    zero = [fig(y, financing_amount="0") for y in (2022, 2023, 2024)]
    assert status(check_unicorn(facts(*zero, founded=dt.date(2022, 4, 1)), 2025), "invested") == FAILED
    assert status(check_unicorn(facts(*zero, founded=dt.date(2021, 4, 1)), 2025), "invested") == UNKNOWN
    assert status(check_unicorn(facts(*zero, founded=None), 2025), "invested") == UNKNOWN


# --------------------------------------------------------------------------- unicorn (2025)


@pytest.mark.parametrize(
    "founded, expected",
    [(dt.date(2008, 1, 1), MET), (dt.date(2007, 12, 31), FAILED), (None, UNKNOWN)],
)
def test_unicorn_founding_window(founded, expected):
    assert status(check_unicorn(pu(founded, "800000"), 2025), "founded_within") == expected


@pytest.mark.parametrize(
    "valuation, key_technology, expected",
    [
        ("712000", False, FAILED),  # USD 1B at 7.12 = 712,000 万元; "> " so equal fails
        ("712000.01", False, MET),
        ("711999.99", False, FAILED),
        ("498400", True, MET),  # USD 0.7B = 498,400 万元; "≥" so equal passes
        ("498399.99", True, FAILED),
        ("498400", False, FAILED),  # the key-technology bar is off by default
        (None, False, UNKNOWN),
    ],
)
def test_unicorn_valuation(valuation, key_technology, expected):
    company = pu(dt.date(2016, 1, 1), valuation)
    result = check_unicorn(company, 2025, key_technology=key_technology)
    assert status(result, "valuation") == expected
    via_dispatch = check("unicorn", company, 2025, key_technology=key_technology)
    assert status(via_dispatch, "valuation") == expected
    if expected == MET:
        assert result.eligible is True and result.missing_count == 0


def test_unicorn_rate_is_data():
    company = pu(dt.date(2016, 1, 1), "712000.01")
    dearer = dataclasses.replace(BASE, cny_per_usd=D("7.2"))
    assert status(check_unicorn(company, 2025), "valuation") == MET
    assert status(check_unicorn(company, 2025, dearer), "valuation") == FAILED


# --------------------------------------------------------------------------- dispatch


def test_check_dispatches_by_rung_and_rejects_unknown_codes():
    company = good_hnte_facts()
    for rung in ("tech_sme", "hnte", "gazelle", "potential_unicorn", "unicorn"):
        assert check(rung, company, Y).rung == rung
    assert [r.rung for r in check_all(company, Y)] == [
        "tech_sme", "hnte", "gazelle", "potential_unicorn", "unicorn"
    ]
    assert check("hnte", company, Y, as_of=dt.date(2015, 12, 31)).condition(
        "registered_one_year").status == FAILED
    with pytest.raises(ValueError):
        check("dragon", company, Y)


# --------------------------------------------------------------------------- issue 16 defect 12


@pytest.mark.parametrize("founded", [dt.date(2021, 3, 1), dt.date(2020, 12, 31)])
def test_gazelle_growth_routes_fail_when_base_year_precedes_founding(founded):
    # Evaluation 2024: base year 2020. A company founded after 2020 can never have 2020 figures,
    # so routes 1 and 2 are not "数据不足" for ever: they fail, and say why.
    rev = {2021: "800", 2022: "1500", 2023: "3000"}
    staff = {2021: 50, 2023: 200}
    result = check_gazelle(gazelle(founded=founded, rev=rev, staff=staff), 2024)
    detail = result.condition("growth_path").detail
    if founded.year > 2020:
        assert status(result, "growth_path") == FAILED  # the scale routes fail on size
        assert "路径1（营收成长）不满足" in detail and "路径2（人员成长）不满足" in detail
        assert "2020 年尚未成立" in detail
        assert result.eligible is False
    else:  # founded during the base year: its 2020 figures could still be recorded
        assert status(result, "growth_path") == UNKNOWN
        assert "尚未成立" not in detail


def test_gazelle_base_year_before_founding_still_passes_by_scale():
    rev = {2022: "60000", 2023: "60000"}
    result = check_gazelle(gazelle(founded=dt.date(2021, 3, 1), rev=rev, rd2023="3000"), 2024)
    assert status(result, "growth_path") == MET


# --------------------------------------------------------------------------- issue 16 defect 13


def test_hnte_declarations_are_unknown_until_recorded():
    result = check_hnte(good_hnte_facts(key_field=None, major_incident=None), Y)
    assert status(result, "key_field") == UNKNOWN
    assert status(result, "no_major_incident") == UNKNOWN
    assert result.eligible is None
    # What to record, in Chinese, on the condition itself.
    assert "属于国家重点支持的高新技术领域" in result.condition("key_field").detail
    assert "2023" in result.condition("no_major_incident").detail
    # Declarations still to be recorded do not push a company out of the candidate lists.
    assert {c.code for c in result.pending} == {"key_field", "no_major_incident"}
    assert result.missing_count == 0


@pytest.mark.parametrize(
    "key_field, incident, key_status, incident_status",
    [(True, False, MET, MET), (False, False, FAILED, MET), (True, True, MET, FAILED)],
)
def test_hnte_declarations_once_recorded(key_field, incident, key_status, incident_status):
    result = check_hnte(good_hnte_facts(key_field=key_field, major_incident=incident), Y)
    assert status(result, "key_field") == key_status
    assert status(result, "no_major_incident") == incident_status
    assert result.eligible is (key_status == MET and incident_status == MET)
    assert result.pending == ()


def test_hnte_declarations_are_read_from_the_year_before_applying():
    company = good_hnte_facts()
    figures = dict(company.figures)
    figures[2024] = fig(2024, key_field=False, major_incident=True)  # not the year that counts
    result = check_hnte(dataclasses.replace(company, figures=figures), Y)
    assert status(result, "key_field") == MET
    assert status(result, "no_major_incident") == MET


def test_hnte_high_tech_share_says_total_income_is_approximated():
    result = check_hnte(good_hnte_facts(), Y)
    condition = result.condition("hightech_revenue_ratio")
    assert "总收入" in condition.label
    assert "以营业收入近似总收入" in condition.detail
    assert any("以营业收入近似总收入" in note for note in result.notes)


@pytest.mark.parametrize(
    "score, expected",
    [("70", FAILED), ("71", MET), ("69", FAILED), ("70.5", MET)],
)
def test_hnte_innovation_score_70_itself_does_not_pass(score, expected):
    # 工作指引: "综合得分达到70分以上（不含70分）为符合认定要求" — 70 is excluded by the text,
    # although "以上" alone would include it (民法典第一千二百五十九条).
    result = check_hnte(good_hnte_facts(innovation_score=score), Y)
    assert status(result, "innovation_score") == expected
    assert "> 70" in result.condition("innovation_score").label


def test_hnte_bars_are_data_with_operator_and_source():
    h = BASE.hnte
    assert (h.innovation_score.op, h.innovation_score.value) == (">", D("70"))
    assert "不含70分" in h.innovation_score.source and "第一千二百五十九条" in h.innovation_score.source
    for bar in (h.st_staff_ratio, h.rd_domestic_ratio, h.hightech_revenue_ratio, h.registered_years,
                *(b.ratio for b in h.rd_ratio_bands)):
        assert bar.op == ">=" and "国科发火〔2016〕32号" in bar.source
    assert "第十一条" in h.key_field_source and "第十一条" in h.no_major_incident_source


def test_hnte_operator_change_is_a_data_change():
    strict = dataclasses.replace(
        BASE, hnte=dataclasses.replace(
            BASE.hnte, st_staff_ratio=dataclasses.replace(BASE.hnte.st_staff_ratio, op=">")
        ),
    )
    at_bar = good_hnte_facts(st_staff_count=10, staff_count=100)
    assert status(check_hnte(at_bar, Y), "st_staff_ratio") == MET
    assert status(check_hnte(at_bar, Y, strict), "st_staff_ratio") == FAILED
    assert "> 10%" in check_hnte(at_bar, Y, strict).condition("st_staff_ratio").label


def test_every_bar_of_every_rung_carries_an_operator_and_a_source():
    bars = [v for group in (BASE.hnte, BASE.tech_sme, BASE.gazelle, BASE.unicorn)
            for v in vars(group).values() if isinstance(v, et.Bar)]
    bars += [b.ratio for b in BASE.hnte.rd_ratio_bands]
    assert len(bars) >= 18
    for bar in bars:
        assert bar.op in (">=", ">", "<=", "<") and bar.source
    assert (BASE.gazelle.st_spend_ratio.op, BASE.unicorn.unicorn_valuation_usd.op) == (">", ">")
    assert BASE.tech_sme.staff_cap.op == "<=" and "国科发区〔2022〕2号" in BASE.tech_sme.staff_cap.source
    with pytest.raises(ValueError):
        et.Bar(D(1), "=>", "typo")
