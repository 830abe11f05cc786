"""The 12 indicators on a small city built by hand, at several dates, on both databases.

Each case checks the roll-up and that the drill-down list behind every number has as many rows.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tracker.extensions import db
from tracker.models import Carrier, CarrierLevel, Platform, ServiceInstitution, TalentAward
from tracker.rules.indicators import INDICATOR_CODES
from tracker.services.companies import records
from tracker.services.designations import grants
from tracker.services.errors import Forbidden
from tracker.services.indicators import targets
from tracker.services.indicators.drill_down import drill_down
from tracker.services.indicators.rollup import roll_up

D = dt.date


@pytest.fixture
def city(app, factory):
    """A hand-built city; the comments say what each record is there to test."""
    admin = factory.user("admin")
    c = {}
    # A: HNTE re-certified with an overlap (two certificates in force in Dec 2025): counts once.
    c["a"] = factory.company("wujin", name="A")
    factory.designation(c["a"], "hnte", D(2023, 1, 10))  # valid to 2026-01-09
    factory.designation(c["a"], "hnte", D(2025, 12, 1))  # re-certified early
    # B: HNTE lapses on 2025-02-28 (no re-certification).
    c["b"] = factory.company("liyang", name="B")
    factory.designation(c["b"], "hnte", D(2022, 3, 1))
    # C: HNTE and gazelle both revoked from 2025-06-01: stops counting, also in the cumulative count.
    c["c"] = factory.company("wujin", name="C")
    hnte_c = factory.designation(c["c"], "hnte", D(2024, 5, 1))
    gazelle_c = factory.designation(c["c"], "gazelle", D(2024, 7, 1))
    for d in (hnte_c, gazelle_c):
        grants.revoke_designation(admin, d, revoked_on=D(2025, 6, 1), reason="核查不符合条件")
    # D: gazelle since 2023 (cumulative, never lapses), potential unicorn then unicorn: indicator 3 once.
    c["d"] = factory.company("xinbei", name="D")
    factory.designation(c["d"], "gazelle", D(2023, 6, 1))
    factory.designation(c["d"], "potential_unicorn", D(2025, 9, 1))
    factory.designation(c["d"], "unicorn", D(2026, 3, 1))
    # E: everything, but soft-deleted: never counts anywhere.
    c["e"] = factory.company("wujin", name="E", attracted_on=D(2025, 3, 1))
    for kind in ("hnte", "gazelle", "potential_unicorn"):
        factory.designation(c["e"], kind, D(2024, 1, 1))
    factory.designation(c["e"], "tech_sme", D(2025, 2, 1))
    records.soft_delete_company(admin, c["e"], "重复录入")
    # F: tech SME registered in 2024 and again in 2025 (each counts in its own year only).
    c["f"] = factory.company("jingkai", name="F")
    factory.designation(c["f"], "tech_sme", D(2024, 5, 1))
    factory.designation(c["f"], "tech_sme", D(2025, 6, 15))
    # G: tech SME 2025 revoked from 2025-10-01.
    c["g"] = factory.company("jingkai", name="G")
    sme_g = factory.designation(c["g"], "tech_sme", D(2025, 4, 1))
    grants.revoke_designation(admin, sme_g, revoked_on=D(2025, 10, 1), reason="不符合条件")
    # H, I: attraction dates on each side of a year boundary.
    c["h"] = factory.company("tianning", name="H", attracted_on=D(2024, 12, 31))
    c["i"] = factory.company("tianning", name="I", attracted_on=D(2025, 1, 1))

    talents = [
        ("provincial_innovation", "wujin", D(2025, 3, 1)),
        ("provincial_innovation", "wujin", D(2024, 12, 31)),
        ("provincial_team", "xinbei", D(2025, 2, 2)),
        ("city_high_level", "liyang", D(2025, 7, 1)),
        ("city_high_level", "liyang", D(2025, 11, 30)),
    ]
    for kind, district, day in talents:
        db.session.add(TalentAward(kind=kind, name=f"{kind}{day}", district=district, recognized_on=day))
    carriers = {
        "k1": ("wujin", [("city", D(2024, 5, 1)), ("province", D(2025, 4, 1))]),  # upgrade in 2025
        "k2": ("liyang", [("province", D(2025, 2, 1))]),  # straight to province: new at city-or-above too
        "k3": ("xinbei", [("city", D(2025, 1, 5)), ("province", D(2025, 8, 1))]),  # twice in 2025: once each
        "k4": ("wujin", [("province", D(2023, 3, 3)), ("national", D(2025, 3, 3))]),  # national is no new province
    }
    for name, (district, levels) in carriers.items():
        carrier = Carrier(name=name, kind="incubator", district=district)
        db.session.add(carrier)
        db.session.flush()
        for level, day in levels:
            db.session.add(CarrierLevel(carrier_id=carrier.id, level=level, recognized_on=day))
    for level, district, day in [
        ("province", "wujin", D(2025, 5, 5)), ("national", "liyang", D(2025, 6, 6)),
        ("city", "wujin", D(2025, 7, 7)), ("province", "wujin", D(2024, 12, 31)),
    ]:
        db.session.add(Platform(name=f"平台{day}", level=level, district=district, recognized_on=day))
    for n, (district, year) in enumerate([("wujin", 2025), ("wujin", 2025), ("liyang", 2025), ("wujin", 2024)]):
        db.session.add(ServiceInstitution(name=f"机构{n}", uscc=f"91320400MA{n:07d}X", district=district, year=year))
    db.session.commit()
    return c


def figures(as_of, user=None, district=None):
    result = roll_up(as_of, user, district)
    return {f.code: f.actual for f in result.figures}


def assert_drill_downs_match(as_of, user=None, district=None):
    """Every number of the roll-up has a list of exactly that many rows."""
    result = roll_up(as_of, user, district)
    for figure in result.figures:
        drill = drill_down(figure.code, as_of, user, district)
        assert drill.count() == figure.actual == len(drill.rows()), figure.code
        for code, by in (figure.by_district or {}).items():
            if user is not None and user.is_manager:
                continue
            assert drill_down(figure.code, as_of, user, code).count() == by.actual, (figure.code, code)


# (date, expected city-wide figures, in the order of the plan)
CASES = [
    (D(2024, 12, 31), [3, 2, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1]),
    (D(2025, 1, 1), [3, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3]),
    (D(2025, 2, 28), [3, 2, 0, 0, 1, 0, 1, 0, 2, 1, 0, 3]),
    (D(2025, 3, 1), [2, 2, 0, 0, 1, 1, 1, 0, 2, 1, 0, 3]),
    (D(2025, 5, 31), [2, 2, 0, 1, 1, 1, 1, 0, 2, 2, 1, 3]),
    (D(2025, 6, 1), [1, 1, 0, 1, 1, 1, 1, 0, 2, 2, 1, 3]),
    (D(2025, 6, 15), [1, 1, 0, 2, 1, 1, 1, 0, 2, 2, 2, 3]),
    (D(2025, 9, 30), [1, 1, 1, 2, 1, 1, 1, 1, 2, 3, 2, 3]),
    (D(2025, 10, 1), [1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 2, 3]),
    (D(2025, 12, 31), [1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 2, 3]),
    (D(2026, 1, 10), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    (D(2026, 3, 1), [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
]


@pytest.mark.parametrize("as_of, expected", CASES, ids=[c[0].isoformat() for c in CASES])
def test_city_figures_and_drill_downs(city, as_of, expected):
    assert list(figures(as_of).values()) == expected
    assert list(figures(as_of).keys()) == list(INDICATOR_CODES)
    assert_drill_downs_match(as_of)


def test_recertification_counts_once_and_drill_down_lists_the_company_once(city):
    drill = drill_down("hnte_count", D(2025, 12, 15), None)
    assert [c.name for c in drill.records()] == ["A"]
    assert drill_down("hnte_count", D(2026, 1, 9), None).count() == 1  # last day of the first cert
    assert drill_down("hnte_count", D(2026, 1, 10), None).count() == 1  # the second one carries on


def test_lapse_and_revocation_days_exactly(city):
    assert [c.name for c in drill_down("hnte_count", D(2025, 2, 28), None).records()] == ["A", "B", "C"]
    assert [c.name for c in drill_down("hnte_count", D(2025, 3, 1), None).records()] == ["A", "C"]
    assert [c.name for c in drill_down("gazelle_cumulative", D(2025, 5, 31), None).records()] == ["C", "D"]
    assert [c.name for c in drill_down("gazelle_cumulative", D(2025, 6, 1), None).records()] == ["D"]


def test_soft_deleted_company_never_counts(city, factory):
    names = set()
    for as_of, _ in CASES:
        for code in INDICATOR_CODES[:5]:
            names |= {c.name for c in drill_down(code, as_of, None).records()}
    assert "E" not in names and {"A", "B", "C", "D", "F", "G", "H", "I"} == names


def test_district_breakdown_follows_the_current_district(city, factory):
    admin = factory.user("admin")
    result = roll_up(D(2025, 5, 31), admin)
    hnte = result.figure("hnte_count")
    assert {k: v.actual for k, v in hnte.by_district.items() if v.actual} == {"wujin": 2}
    assert set(hnte.by_district) == {"liyang", "jintan", "wujin", "xinbei", "tianning", "zhonglou", "jingkai"}
    assert result.figure("tech_sme_attracted_new").by_district is None
    records.update_company(admin, city["a"], {"district": "jintan"}, version=city["a"].version)
    moved = roll_up(D(2025, 5, 31), admin).figure("hnte_count")
    assert moved.by_district["wujin"].actual == 1 and moved.by_district["jintan"].actual == 1
    assert_drill_downs_match(D(2025, 5, 31), admin)


def test_manager_sees_only_their_district_as_their_city(city, factory):
    targets.seed_plan()
    manager = factory.user("manager", "wujin")
    result = roll_up(D(2025, 5, 31), manager)
    data = result.to_dict()
    hnte = data["indicators"][0]
    assert hnte["actual"] == 2 and hnte["target"] == 1666  # wujin's 2025 target
    assert hnte["by_district"] == {"wujin": {"actual": 2, "target": 1666}}
    by_code = {i["code"]: i for i in data["indicators"]}
    assert by_code["talent_innovation_new"]["actual"] == 1  # the wujin talent of 2025
    assert by_code["talent_team_new"]["actual"] == 0  # the team is xinbei's
    assert by_code["service_org_count"] == {
        "code": "service_org_count", "name": "规上科技服务业机构数", "unit": "家", "actual": 2, "target": None,
    }
    assert_drill_downs_match(D(2025, 5, 31), manager)
    assert drill_down("hnte_count", D(2025, 5, 31), manager).count() == 2
    with pytest.raises(Forbidden):
        drill_down("hnte_count", D(2025, 5, 31), manager, "liyang")
    with pytest.raises(Forbidden):
        roll_up(D(2025, 5, 31), factory.user("officer", "wujin"))


def test_city_json_shape_and_targets(city, factory):
    targets.seed_plan()
    data = roll_up(D(2026, 11, 24)).to_dict()
    assert data["as_of"] == "2026-11-24" and data["year"] == 2026
    first = data["indicators"][0]
    assert first["code"] == "hnte_count" and first["name"] == "高新技术企业数" and first["unit"] == "家"
    assert first["target"] == 6800 and first["by_district"]["liyang"] == {"actual": 0, "target": 430}
    assert len(first["by_district"]) == 7
    assert [i["code"] for i in data["indicators"]] == list(INDICATOR_CODES)
    # Indicators 1–4 by district; indicator 5 by district too, each with its split by channel.
    assert all(("by_district" in i) == (n < 5) for n, i in enumerate(data["indicators"]))
    assert set(data["indicators"][4]["by_district"]) == set(first["by_district"])
    # A year outside the plan has no targets.
    assert all(i["target"] is None for i in roll_up(D(2028, 1, 1)).to_dict()["indicators"])


def test_admin_narrowed_to_one_district(city, factory):
    admin = factory.user("admin")
    result = roll_up(D(2025, 12, 31), admin, "liyang")
    assert {f.code: f.actual for f in result.figures if f.actual} == {
        "talent_city_new": 2, "carrier_city_new": 1, "carrier_province_new": 1,
        "platform_province_new": 1, "service_org_count": 1,
    }
    assert_drill_downs_match(D(2025, 12, 31), admin, "liyang")
