"""The gap plan (缺口分析): its numbers, their company lists, 2027, and who may see them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tracker.extensions import db
from tracker.models import CultivationTrack
from tracker.rules import indicators as rules
from tracker.services.candidates.ranking import RankKey
from tracker.services.errors import Forbidden, NotFound
from tracker.services.indicators import gap_plan as gap
from tracker.services.indicators import targets

D = dt.date
AS_OF = D(2026, 6, 30)


def _track(company, year, status, rung="hnte"):
    db.session.add(CultivationTrack(company_id=company.id, target_rung=rung, year=year, status=status))


@pytest.fixture
def district(app, factory, monkeypatch):
    targets.seed_plan()
    names = {}
    a = names["a"] = factory.company("wujin", name="到期未申请")
    factory.designation(a, "hnte", D(2023, 12, 1))  # ends 2026-11-30
    b = names["b"] = factory.company("wujin", name="到期已培育")
    factory.designation(b, "hnte", D(2023, 12, 1))
    _track(b, 2026, "key")
    c = names["c"] = factory.company("wujin", name="首次已申报")
    _track(c, 2026, "submitted")
    d = names["d"] = factory.company("wujin", name="有效期内")
    factory.designation(d, "hnte", D(2025, 3, 1))
    e = names["e"] = factory.company("wujin", name="候选企业")
    names["x"] = factory.company("liyang", name="溧阳企业")
    for status in ("recognized", "rejected"):  # last year: first applications 1 of 2
        _track(factory.company("xinbei"), 2025, status)
    db.session.commit()

    def ranked(user, filters, *, on=None):
        """The candidates page's ranking, stubbed: E, C (on a track) and A (counted today) pass."""
        if filters.target_rung != "hnte":
            return []
        return [RankKey(0, 0, Decimal(0), c.name, c.id) for c in (e, c, a)]

    monkeypatch.setattr(gap, "ranked", ranked)
    return names


def test_the_numbers_of_this_year_and_2027(factory, district):
    manager = factory.user("manager", "wujin")
    page = gap.gap_plan(manager, AS_OF)
    assert page.years == (2026, 2027) and page.district == "wujin"
    plan = page.plans["hnte_count"][2026]
    assert (plan.today_value, plan.lapsing_without_reapplication, plan.lapsing_with_reapplication) == (3, 1, 1)
    lines = {(line.status, line.kind): line for line in plan.pipeline}
    assert lines[("submitted", "first")].count == 1 and lines[("submitted", "first")].rate.value == 0.5
    assert lines[("submitted", "first")].rate.source == "city"  # the district has no history
    assert lines[("key", "re")].count == 1
    assert plan.projected == 2  # 3 − 1 − 1 + 1 × 50% (rounded half up)
    assert plan.target == 1953 and plan.needed == 1951
    sources = {s.key: s for s in plan.sources}
    assert (sources["lapsing"].count, sources["pipeline"].count, sources["candidates"].count) == (1, 1, 1)
    assert sources["candidates"].gain == 0.5
    later = page.plans["hnte_count"][2027]
    assert later.target == 2300 and later.today_value == 3 and later.projected == 2
    assert {s.key: s for s in later.sources}["candidates"].count == 1  # C is on a 2026 track
    assert "还需" in plan.formula


@pytest.mark.parametrize("part, status, kind, names", [
    ("lapsing_without", None, None, ["到期未申请"]),
    ("lapsing_with", None, None, ["到期已培育"]),
    ("pipeline", "submitted", "first", ["首次已申报"]),
    ("early", None, None, ["到期已培育"]),
    ("candidates", None, None, ["候选企业"]),
])
def test_every_number_lists_its_companies(factory, district, part, status, kind, names):
    admin = factory.user("admin")
    result = gap.gap_companies(admin, "hnte_count", 2026, part, AS_OF, None, status, kind)
    assert [c.name for c in result.records()] == names
    assert result.count() == len(names)


def test_scope_is_enforced(factory, district):
    manager = factory.user("manager", "liyang")
    page = gap.gap_plan(manager, AS_OF)
    assert page.district == "liyang" and page.plans["hnte_count"][2026].today_value == 0
    with pytest.raises(Forbidden):
        gap.gap_companies(manager, "hnte_count", 2026, "lapsing_without", AS_OF, "wujin")
    assert gap.gap_companies(manager, "hnte_count", 2026, "lapsing_without", AS_OF).count() == 0
    with pytest.raises(Forbidden):
        gap.gap_plan(factory.user("officer"), AS_OF)
    with pytest.raises(NotFound):
        gap.gap_companies(manager, "talent_team_new", 2026, "lapsing_without", AS_OF)
    with pytest.raises(NotFound):
        gap.gap_companies(manager, "hnte_count", 2025, "lapsing_without", AS_OF)


def test_sources_and_remaining_are_pure():
    rate = rules.Rate(0.5, "city", 40)
    lines = (rules.PipelineLine("submitted", "first", 2, rate), rules.PipelineLine("key", "first", 4, rules.Rate(0.25, "city", 40)))
    sources = rules.gap_sources(3, lines, 10, rules.Rate(0.8, "district", 25), rate)
    assert [round(s.gain, 2) for s in sources] == [2.4, 1.0, 5.0]
    plan = rules.GapPlan("hnte_count", 2026, 20, 12, 3, 0, lines, sources)
    assert plan.projected == 11 and plan.needed == 9 and plan.remaining == 1
    assert rules.GapPlan("hnte_count", 2026, None, 1, 0, 0, (), ()).needed is None
