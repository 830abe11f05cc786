"""Indicators: SQL against the pure reference definition, cohorts, projection, status rules."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tracker.extensions import db
from tracker.models import CultivationTrack, Designation
from tracker.rules import indicators as rules
from tracker.services.companies import records
from tracker.services.designations import grants
from tracker.services.indicators import targets
from tracker.services.indicators.cohorts import cohort
from tracker.services.indicators.dashboard import dashboard
from tracker.services.indicators.drill_down import drill_down
from tracker.services.indicators.projection import projections
from tracker.services.indicators.rollup import roll_up

D = dt.date


def test_sql_matches_the_reference_definition_on_a_random_city(app, factory):
    """Random designation histories (overlaps, revocations, re-certifications) at random dates."""
    rng = random.Random(4)
    admin = factory.user("admin")
    districts = ("liyang", "wujin", "jingkai")
    companies = []
    for n in range(24):
        company = factory.company(rng.choice(districts))
        for _ in range(rng.randint(0, 4)):
            kind = rng.choice(("tech_sme", "hnte", "hnte", "gazelle", "potential_unicorn", "unicorn"))
            granted = D(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 1800))
            valid_from = granted + dt.timedelta(days=rng.choice((0, 0, 10, -5)))
            designation = factory.designation(company, kind, granted, valid_from=valid_from)
            if rng.random() < 0.25:
                revoke = valid_from + dt.timedelta(days=rng.randint(0, 500))
                grants.revoke_designation(admin, designation, revoked_on=revoke, reason="随机撤销")
        companies.append(company)
    for company in rng.sample(companies, 3):
        records.soft_delete_company(admin, company)
    db.session.expire_all()
    live = [c for c in companies if c.deleted_at is None]
    dates = [D(2022, 12, 31), D(2023, 1, 1), D(2027, 1, 1)] + [
        D(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 2000)) for _ in range(10)
    ]
    for on in dates:
        result = roll_up(on)
        for code in rules.DESIGNATION_INDICATORS:
            expected = {c.id for c in live if rules.company_counts(code, c.designations, on)}
            assert result.figure(code).actual == len(expected), (code, on)
            assert {c.id for c in drill_down(code, on, None).records()} == expected, (code, on)
            for district in districts:
                want = len([c for c in live if c.id in expected and c.district == district])
                assert result.figure(code).by_district[district].actual == want


def test_cohort_conversion_per_district(app, factory):
    admin = factory.user("admin")
    a = factory.company("wujin")  # 2023 entrant → HNTE 2024 → gazelle 2026
    factory.designation(a, "tech_sme", D(2023, 5, 1))
    factory.designation(a, "tech_sme", D(2024, 5, 1))
    factory.designation(a, "hnte", D(2024, 11, 1))
    factory.designation(a, "gazelle", D(2026, 3, 1))
    b = factory.company("wujin")  # 2023 entrant, HNTE revoked in 2025: not "reached" by 2025
    factory.designation(b, "tech_sme", D(2023, 6, 1))
    cert = factory.designation(b, "hnte", D(2024, 1, 1))
    grants.revoke_designation(admin, cert, revoked_on=D(2025, 2, 1), reason="撤销")
    c = factory.company("liyang")  # first registered in 2022: not in the 2023 cohort
    factory.designation(c, "tech_sme", D(2022, 6, 1))
    factory.designation(c, "tech_sme", D(2023, 6, 1))
    d = factory.company("liyang")  # 2023 entrant, deleted
    factory.designation(d, "tech_sme", D(2023, 6, 1))
    factory.designation(d, "hnte", D(2023, 12, 1))
    records.soft_delete_company(admin, d)

    by_2024 = cohort("tech_sme", 2023, 2024, admin)
    wujin = next(r for r in by_2024.rows if r.district == "wujin")
    assert (wujin.entered, wujin.reached["hnte"], wujin.reached["gazelle"]) == (2, 2, 0)
    assert by_2024.total.entered == 2
    by_2026 = cohort("tech_sme", 2023, 2026, admin)
    wujin = next(r for r in by_2026.rows if r.district == "wujin")
    assert (wujin.reached["hnte"], wujin.reached["gazelle"]) == (1, 1)
    assert by_2026.higher_rungs == ("hnte", "gazelle", "potential_unicorn", "unicorn")
    manager = factory.user("manager", "liyang")
    mine = cohort("tech_sme", 2023, 2026, manager)
    assert [r.district for r in mine.rows] == ["liyang", None] and mine.total.entered == 0


def test_projection_of_each_rung(app, factory):
    company = factory.company("wujin")
    factory.designation(company, "tech_sme", D(2026, 3, 1))
    for n in range(2):
        other = factory.company("xinbei")
        db.session.add(CultivationTrack(company_id=other.id, target_rung="tech_sme", year=2026, status="submitted"))
        db.session.add(CultivationTrack(company_id=other.id, target_rung="tech_sme", year=2025, status="recognized"))
    db.session.commit()
    result = projections(D(2026, 6, 30))
    sme = result["tech_sme_registered"]
    assert (sme.today_value, sme.first_applications_submitted, sme.first_application_rate.value, sme.expiring,
            sme.value) == (1, 2, 1.0, 0, 3)
    hnte = result["hnte_count"]
    assert hnte.first_application_rate.value is None and "上年无已评审的申报" in hnte.formula
    manager = factory.user("manager", "wujin")
    assert projections(D(2026, 6, 30), manager)["tech_sme_registered"].first_applications_submitted == 0


def test_dashboard_status_uses_last_years_closing_figure(app, factory):
    targets.seed_plan()
    admin = factory.user("admin")
    data = dashboard(D(2026, 7, 2), admin, D(2026, 11, 24))
    hnte = data.row("hnte_count")
    assert hnte.figure.target == 6800 and hnte.status.code == "behind"
    assert [p.year for p in data.trends["hnte_count"]] == [2023, 2024, 2025, 2026, 2027]
    assert data.trends["hnte_count"][-1].actual is None and data.trends["hnte_count"][-1].target == 8000
    assert data.trends["hnte_count"][3].as_of == D(2026, 11, 24)
    assert data.trends["hnte_count"][0].as_of == D(2023, 12, 31)


@pytest.mark.parametrize("actual, target, expected, status", [
    (10, None, None, "no_target"),
    (10, 10, 5.0, "done"),
    (6, 10, 5.0, "on_track"),
    (46, 100, 50.0, "slightly_behind"),
    (44, 100, 50.0, "behind"),
])
def test_progress_status(actual, target, expected, status):
    assert rules.progress_status(actual, target, expected).code == status


def test_pro_rata_expectation_and_helpers():
    assert rules.year_fraction(D(2026, 12, 31)) == 1.0
    assert rules.year_fraction(D(2024, 1, 1)) == pytest.approx(1 / 366)
    # A stock starts from last year's closing figure; a flow from zero.
    assert rules.expected_by("hnte_count", 6800, 5800, D(2026, 7, 2)) == pytest.approx(5800 + 1000 * 183 / 365)
    assert rules.expected_by("talent_team_new", 5, 99, D(2026, 12, 31)) == 5
    assert rules.expected_by("talent_team_new", None, 0, D(2026, 12, 31)) is None
    assert rules.percent_complete(3, 4) == 75.0 and rules.percent_complete(3, 0) is None
    assert rules.gap(3, 4) == 1 and rules.gap(5, 4) == 0 and rules.gap(1, None) is None
    assert rules.recognition_rate(0, 0) is None and rules.recognition_rate(1, 3) == 0.25
    half, none = rules.Rate(0.5, "city", 30), rules.Rate(None, "none", 0)
    assert rules.Projection(10, 3, 0, 0, none, 4, half).value == 9
    assert rules.Projection(1, 5, 0, 0, none, 0, none).value == 0
    assert rules.levels_at_least("province") == ("province", "national")
    assert rules.first_recognition([("city", D(2024, 1, 1)), ("province", D(2025, 1, 1))], "province") == D(2025, 1, 1)


@pytest.mark.parametrize("text", ["2026-02-30", "2026/01/01", "26-01-01", "abc", "2026-1-1", "1999-12-31"])
def test_parse_as_of_refuses_in_chinese(text):
    with pytest.raises(rules.BadDate) as info:
        rules.parse_as_of(text, D(2026, 1, 1))
    assert not info.value.message.isascii()


def test_parse_as_of_default_and_value():
    assert rules.parse_as_of(None, D(2026, 1, 1)) == D(2026, 1, 1)
    assert rules.parse_as_of(" 2025-12-31 ", D(2026, 1, 1)) == D(2025, 12, 31)


def test_unused_designation_rungs_do_not_count(app, factory):
    company = factory.company("wujin")
    db.session.add(Designation(company_id=company.id, rung="giant", granted_on=D(2025, 1, 1), valid_from=D(2025, 1, 1)))
    db.session.commit()
    assert all(f.actual == 0 for f in roll_up(D(2025, 6, 1)).figures)
