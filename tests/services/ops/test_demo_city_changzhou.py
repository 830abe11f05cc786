"""The default demo city looks like Changzhou: figures near the plan's targets in every year,
recognitions in their seasons, real candidates, coherent texts (issue 17 item 2)."""

import datetime as dt

from sqlalchemy import extract, func, select

from tracker.extensions import db
from tracker.models import CultivationTrack, Designation, FollowUp
from tracker.services.candidates import ranking
from tracker.services.candidates.ranking import CandidateFilters
from tracker.services.indicators import targets
from tracker.services.indicators.rollup import roll_up
from tracker.services.ops import demo_city

REFERENCE = dt.date(2026, 12, 2)


def _figures(on: dt.date) -> dict:
    return {f.indicator.code: f for f in roll_up(on).figures}


def test_the_default_city_stands_near_the_plans_targets_in_every_year(app):
    counts = demo_city.generate(reference=REFERENCE)
    targets.seed_plan()
    assert counts.companies == demo_city.DEFAULT_COMPANIES

    today = _figures(REFERENCE)
    for code in ("hnte_count", "gazelle_cumulative", "unicorn_cumulative", "tech_sme_registered", "tech_sme_attracted_new"):
        figure = today[code]
        assert 0.8 * figure.target <= figure.actual <= 1.25 * figure.target, (code, figure.actual, figure.target)
    hnte = today["hnte_count"]
    assert 0.9 * hnte.target <= hnte.actual <= 1.05 * hnte.target
    ratios = {code: d.actual / d.target for code, d in hnte.by_district.items()}
    assert max(ratios.values()) > 1.0 and min(ratios.values()) < 0.9  # some districts ahead, some behind

    for year in (2023, 2024, 2025):
        closing = _figures(dt.date(year, 12, 31))
        for code in ("hnte_count", "gazelle_cumulative", "tech_sme_registered", "tech_sme_attracted_new"):
            figure = closing[code]
            assert 0.88 * figure.target <= figure.actual <= 1.12 * figure.target, (year, code, figure.actual)
    end_2025 = _figures(dt.date(2025, 12, 31))
    assert 5600 <= end_2025["hnte_count"].actual <= 6000  # reported: about 5,800
    assert 85 <= end_2025["unicorn_cumulative"].actual <= 100  # reported: 94
    # Indicators 6–8 grow across the years.
    for code in ("talent_innovation_new", "talent_team_new", "talent_city_new"):
        series = [_figures(dt.date(y, 12, 31))[code].actual for y in (2023, 2024, 2025)]
        assert series[0] <= series[1] <= series[2] and series[0] < series[2], (code, series)
    assert all(_figures(REFERENCE)[c].actual > 0 for c in ("carrier_city_new", "carrier_province_new", "platform_province_new"))

    # Seasons: HNTE certificates in the November–December batches; one gazelle list day a year.
    months = set(db.session.scalars(select(extract("month", Designation.granted_on)).where(Designation.rung == "hnte").distinct()))
    assert months <= {11, 12}
    gazelle_days = db.session.execute(
        select(extract("year", Designation.granted_on), func.count(func.distinct(Designation.granted_on)))
        .where(Designation.rung == "gazelle").group_by(extract("year", Designation.granted_on))
    ).all()
    assert gazelle_days and all(n == 1 for _, n in gazelle_days)
    sme_2026 = db.session.execute(select(func.min(Designation.granted_on), func.max(Designation.granted_on)).where(
        Designation.rung == "tech_sme", extract("year", Designation.valid_from) == 2026)).one()
    assert sme_2026[0] >= dt.date(2026, 6, 1) and sme_2026[1] <= dt.date(2026, 9, 30)  # window 1 Jun–31 Aug

    # The HNTE board of the year has real 已认定 cards; last year's re-applications were decided both ways.
    recognized = db.session.scalar(select(func.count(CultivationTrack.id)).where(
        CultivationTrack.target_rung == "hnte", CultivationTrack.year == 2026, CultivationTrack.status == "recognized"))
    assert recognized > 1000
    decided_2025 = dict(db.session.execute(
        select(CultivationTrack.status, func.count(CultivationTrack.id))
        .where(CultivationTrack.target_rung == "hnte", CultivationTrack.year == 2025)
        .group_by(CultivationTrack.status)).all())
    assert decided_2025.get("recognized", 0) > 100 and decided_2025.get("rejected", 0) > 100

    # Each rung has real candidates; no 培育对象 looks unicorn-ready.
    for rung in ("hnte", "gazelle", "tech_sme"):
        rows = list(ranking.iter_candidates(None, CandidateFilters(target_rung=rung, year=2026), on=REFERENCE))
        assert sum(1 for r in rows if r.result.eligible and not r.recertification) > 50, rung
    unicorn_ready = [r for r in ranking.iter_candidates(None, CandidateFilters(target_rung="potential_unicorn", year=2026), on=REFERENCE)
                     if r.result.eligible]
    assert all(r.stage != "prospect" for r in unicorn_ready)

    # Follow-up categories match their text (those raised at visits; feature demos add their own).
    pairs = {(c, d) for c, d, _ in demo_city._FOLLOW_UPS}
    rows = db.session.execute(
        select(FollowUp.category, FollowUp.description).where(FollowUp.visit_id.is_not(None)).distinct()).all()
    assert rows and all(tuple(r) in pairs for r in rows)
