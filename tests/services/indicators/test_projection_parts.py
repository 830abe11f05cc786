"""Issue 16, defect 1 (re-applicants counted twice) and defect 16 (seasonal pacing)."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.extensions import db
from tracker.models import CultivationTrack
from tracker.rules import indicators as rules
from tracker.services.indicators.dashboard import dashboard
from tracker.services.indicators.projection import indicators_json, projections
from tracker.services.indicators import targets

D = dt.date


def _tracks(company, year: int, *statuses: str) -> None:
    for status in statuses:
        db.session.add(CultivationTrack(company_id=company.id, target_rung="hnte", year=year, status=status))


def test_a_re_applicant_is_not_counted_twice(app, factory):
    """One certificate ending this year, its submitted re-application, a 50% rate: at most 1 (was 2)."""
    holder = factory.company("wujin")
    factory.designation(holder, "hnte", D(2023, 12, 1))  # ends 2026-11-30
    _tracks(holder, 2026, "submitted")
    # Last year: 2 decided re-applications, one recognised → 50%.
    for n, status in enumerate(("recognized", "rejected")):
        other = factory.company("xinbei")
        factory.designation(other, "hnte", D(2022, 6, 1))  # ends 2025-05-31: a 2025 re-application
        _tracks(other, 2025, status)
    db.session.commit()
    result = projections(D(2026, 6, 30))["hnte_count"]
    assert result.recertification_rate.value == 0.5
    assert result.today_value == 1 and result.lapsing_with_reapplication == 1
    assert result.reapplications_submitted == 1 and result.first_applications_submitted == 0
    assert result.value <= 1


def test_re_certification_and_first_application_rates_are_measured_apart(app, factory):
    # Last year: re-applications 3 of 3 recognised, first applications 1 of 4.
    for n in range(3):
        company = factory.company("wujin")
        factory.designation(company, "hnte", D(2022, 3, 1))
        _tracks(company, 2025, "recognized")
    for n in range(4):
        _tracks(factory.company("wujin"), 2025, "recognized" if n == 0 else "rejected")
    # This year: 4 first applications submitted, one certificate lapsing without a track.
    for n in range(4):
        _tracks(factory.company("wujin"), 2026, "submitted")
    lapsing = factory.company("wujin")
    factory.designation(lapsing, "hnte", D(2023, 9, 1))
    db.session.commit()
    p = projections(D(2026, 6, 30))["hnte_count"]
    assert p.recertification_rate.value == 1.0 and p.first_application_rate.value == 0.25
    assert p.recertification_rate.source == "city" and p.recertification_rate.decided == 3
    assert (p.today_value, p.lapsing_without_reapplication, p.first_applications_submitted) == (1, 1, 4)
    assert p.value == 1  # 1 − 1 + 4 × 25%
    assert "1 − 1 − 0 + 0 × " in p.formula and "4 × 25%（全市，4 条）" in p.formula


def test_a_district_rate_needs_enough_history():
    city = (30, 60)
    assert rules.choose_rate((19, 19), city).source == "city"
    assert rules.choose_rate((19, 19), city).value == 0.5
    enough = rules.choose_rate((5, rules.MIN_DECIDED_FOR_DISTRICT_RATE), city)
    assert enough.source == "district" and enough.value == 5 / 20
    assert rules.choose_rate(None, (0, 0)).value is None


def test_json_carries_the_projection_city_wide_and_per_district(app, factory):
    targets.seed_plan()
    holder = factory.company("wujin")
    factory.designation(holder, "hnte", D(2023, 12, 1))
    db.session.commit()
    data = indicators_json(D(2026, 6, 30))
    hnte = data["indicators"][0]
    assert hnte["projection"]["year_end"] == 0 and hnte["projection"]["lapsing_without_reapplication"] == 1
    assert hnte["by_district"]["wujin"]["projection"]["today"] == 1
    assert hnte["by_district"]["liyang"]["projection"]["year_end"] == 0
    assert hnte["by_district"]["wujin"]["actual"] == 1  # the existing fields stay
    assert "projection" not in data["indicators"][4]  # only indicators 1–4


@pytest.mark.parametrize("on, share", [(D(2026, 8, 31), 0.0), (D(2026, 9, 30), 0.5), (D(2026, 12, 31), 1.0)])
def test_seasonal_share(on, share):
    pacing = rules.seasonal_pacing(rules.HNTE, {9: 10, 11: 10})
    assert pacing.rule == "按往年认定月份分布"
    assert pacing.share(on) == pytest.approx(share)


def test_too_little_history_is_straight_line():
    assert rules.seasonal_pacing(rules.HNTE, {10: 3}) is rules.STRAIGHT
    assert rules.STRAIGHT.share(D(2026, 7, 2)) == rules.year_fraction(D(2026, 7, 2))


def test_hnte_paced_by_last_years_batches_is_not_red_in_spring(app, factory):
    """Defect 16: recognitions arrive in November; in May a still HNTE count is on pace, not 滞后."""
    targets.seed_plan()
    admin = factory.user("admin")
    for year in (2024, 2025):
        for n in range(12):
            factory.designation(factory.company("wujin"), "tech_sme" if n % 2 else "hnte", D(year, 11, 20))
    db.session.commit()
    data = dashboard(D(2026, 5, 15), admin, D(2026, 5, 15))
    row = data.row("hnte_count")
    assert row.pacing.rule == "按往年认定月份分布"
    assert row.expected == pytest.approx(12)  # no recognitions before November in earlier years
    assert row.status.code == "on_track"  # straight-line pacing said 滞后 (12 → 6,800 by 15 May)
    assert data.row("tech_sme_registered").pacing.rule == "按往年入库月份分布"
    assert data.row("talent_team_new").pacing.rule == rules.STRAIGHT_LINE
