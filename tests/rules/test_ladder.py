import datetime as dt
from dataclasses import dataclass

from tracker.rules import ladder

D = dt.date


@dataclass
class Des:
    rung: str
    valid_from: dt.date
    valid_until: dt.date | None = None
    revoked_on: dt.date | None = None
    granted_on: dt.date | None = None


def hnte(issued: dt.date, revoked_on=None):
    return Des("hnte", issued, ladder.default_valid_until("hnte", issued), revoked_on)


def test_default_validity():
    assert ladder.default_valid_until("tech_sme", D(2025, 5, 9)) == D(2025, 12, 31)
    assert ladder.default_valid_until("hnte", D(2023, 11, 6)) == D(2026, 11, 5)
    assert ladder.default_valid_until("hnte", D(2023, 3, 1)) == D(2026, 2, 28)
    assert ladder.default_valid_until("hnte", D(2025, 3, 1)) == D(2028, 2, 29)
    assert ladder.default_valid_until("gazelle", D(2024, 9, 1)) is None


def test_prospect_without_designations():
    assert ladder.stage_as_of([], D(2026, 1, 1)) == "prospect"


def test_hnte_that_lapses_then_is_recertified():
    first = hnte(D(2020, 12, 2))  # valid to 2023-12-01
    second = hnte(D(2024, 3, 1))
    items = [first, second]
    assert ladder.stage_as_of(items, D(2020, 12, 1)) == "prospect"
    assert ladder.stage_as_of(items, D(2020, 12, 2)) == "hnte"
    assert ladder.stage_as_of(items, D(2023, 12, 1)) == "hnte"
    assert ladder.stage_as_of(items, D(2023, 12, 2)) == "prospect"
    assert ladder.stage_as_of(items, D(2024, 3, 1)) == "hnte"
    timeline = ladder.stage_timeline(items)
    assert [(c.on, c.from_stage, c.to_stage, c.reason, c.gap_days) for c in timeline.stages] == [
        (D(2020, 12, 2), "prospect", "hnte", "promotion", None),
        (D(2023, 12, 2), "hnte", "prospect", "lapse", None),
        (D(2024, 3, 1), "prospect", "hnte", "recertification", 90),  # back to a rung held before
        (D(2027, 3, 1), "hnte", "prospect", "lapse", None),  # the second certificate's end, ahead of time
    ]


def test_seamless_recertification_keeps_stage_and_is_shown():
    first = hnte(D(2020, 12, 2))
    second = hnte(D(2023, 12, 2))
    timeline = ladder.stage_timeline([first, second])
    assert [(c.on, c.reason) for c in timeline.stages] == [(D(2020, 12, 2), "promotion"), (D(2026, 12, 2), "lapse")]
    assert [(e.on, e.kind, e.gap_days) for e in timeline.for_rung("hnte")] == [
        (D(2020, 12, 2), "granted", None), (D(2023, 12, 2), "recertified", 0), (D(2026, 12, 2), "lapsed", None),
    ]
    assert ladder.stage_as_of([first, second], D(2024, 6, 1)) == "hnte"


def test_revoked_designation_stops_counting_on_revocation_day():
    cert = hnte(D(2022, 10, 1), revoked_on=D(2023, 7, 15))
    assert ladder.stage_as_of([cert], D(2023, 7, 14)) == "hnte"
    assert ladder.stage_as_of([cert], D(2023, 7, 15)) == "prospect"
    timeline = ladder.stage_timeline([cert])
    assert timeline.stages[-1].reason == "revocation" and timeline.stages[-1].on == D(2023, 7, 15)
    assert timeline.events[-1].kind == "revoked" and timeline.events[-1].label == "撤销"


def test_overlapping_rungs_highest_wins_and_all_are_held():
    items = [
        Des("tech_sme", D(2022, 5, 1), D(2022, 12, 31)),
        hnte(D(2022, 11, 1)),
        Des("gazelle", D(2023, 9, 1)),
    ]
    assert ladder.stage_as_of(items, D(2022, 6, 1)) == "tech_sme"
    assert ladder.stage_as_of(items, D(2022, 11, 1)) == "hnte"
    assert ladder.stage_as_of(items, D(2023, 9, 1)) == "gazelle"
    assert ladder.rungs_held(items, D(2023, 9, 1)) == {"hnte", "gazelle"}
    # HNTE lapses in 2025 but the gazelle listing has no expiry: stage stays gazelle.
    assert ladder.stage_as_of(items, D(2026, 1, 1)) == "gazelle"
    timeline = ladder.stage_timeline(items)
    assert [c.reason for c in timeline.stages] == ["promotion", "promotion", "promotion"]
    # The HNTE lapse under the gazelle is a change of a rung held: it appears.
    assert (D(2025, 11, 1), "hnte", "lapsed") in [(e.on, e.rung, e.kind) for e in timeline.events]
    assert (D(2023, 1, 1), "tech_sme", "lapsed") in [(e.on, e.rung, e.kind) for e in timeline.events]


def test_demotion_when_higher_rung_revoked_but_lower_still_held():
    items = [hnte(D(2023, 1, 1)), Des("gazelle", D(2023, 6, 1), None, D(2024, 2, 1))]
    assert ladder.stage_as_of(items, D(2024, 1, 31)) == "gazelle"
    assert ladder.stage_as_of(items, D(2024, 2, 1)) == "hnte"
    changes = [(c.on, c.from_stage, c.to_stage, c.reason) for c in ladder.stage_timeline(items).stages]
    assert (D(2024, 2, 1), "gazelle", "hnte", "revocation") in changes
    assert changes[-1] == (D(2026, 1, 1), "hnte", "prospect", "lapse")


def test_parse_rung_accepts_codes_and_chinese_names():
    assert ladder.parse_rung("高新技术企业") == "hnte"
    assert ladder.parse_rung("科技型中小企业（评价入库）") == "tech_sme"
    assert ladder.parse_rung("HNTE") == "hnte"
    assert ladder.parse_rung("瞪羚") == "gazelle"
    assert ladder.parse_rung("大企业") is None


def test_hnte_issued_on_29_february_ends_on_28_february_three_years_later():
    assert ladder.default_valid_until("hnte", D(2024, 2, 29)) == D(2027, 2, 28)
    cert = hnte(D(2024, 2, 29))
    assert ladder.stage_as_of([cert], D(2027, 2, 27)) == "hnte"
    assert ladder.stage_as_of([cert], D(2027, 2, 28)) == "hnte"
    assert ladder.stage_as_of([cert], D(2027, 3, 1)) == "prospect"


def test_renewal_overlapping_the_old_certificate_is_a_recertification_without_a_lapse():
    old = hnte(D(2020, 12, 2))          # valid to 2023-12-01
    new = hnte(D(2023, 10, 15))         # issued while the old one still counts
    timeline = ladder.stage_timeline([old, new])
    assert [(e.on, e.kind, e.gap_days) for e in timeline.for_rung("hnte")] == [
        (D(2020, 12, 2), "granted", None),
        (D(2023, 10, 15), "recertified", 0),
        (D(2026, 10, 15), "lapsed", None),   # the new certificate's own end, not the old one's
    ]
    assert [(c.on, c.reason) for c in timeline.stages] == [(D(2020, 12, 2), "promotion"), (D(2026, 10, 15), "lapse")]
    assert all(e.on != D(2023, 12, 2) for e in timeline.events)


def test_renewal_a_few_days_after_expiry_is_a_recertification_with_the_gap():
    old = hnte(D(2020, 12, 2))          # last day 2023-12-01
    new = hnte(D(2023, 12, 7))          # 2023-12-02 … 12-06 without a certificate: 5 days
    timeline = ladder.stage_timeline([old, new])
    renewal = [c for c in timeline.stages if c.on == D(2023, 12, 7)]
    assert [(c.reason, c.gap_days, c.label, c.detail) for c in renewal] == [("recertification", 5, "重新认定", "中断 5 天")]
    assert "promotion" not in [c.reason for c in timeline.stages[1:]]
    events = [(e.on, e.kind, e.detail) for e in timeline.for_rung("hnte")]
    assert (D(2023, 12, 7), "recertified", "中断 5 天") in events


def test_hnte_lapse_and_renewal_under_a_gazelle_appear():
    items = [hnte(D(2020, 5, 1)), hnte(D(2023, 6, 1)), Des("gazelle", D(2021, 9, 1))]
    timeline = ladder.stage_timeline(items)
    assert [c.to_stage for c in timeline.stages] == ["hnte", "gazelle"]  # the stage never moves
    assert [(e.on, e.kind, e.gap_days) for e in timeline.for_rung("hnte")] == [
        (D(2020, 5, 1), "granted", None), (D(2023, 5, 1), "lapsed", None),
        (D(2023, 6, 1), "recertified", 31), (D(2026, 6, 1), "lapsed", None),
    ]
    assert [rung.code for rung, _ in timeline.by_rung()] == ["gazelle", "hnte"]


def test_designation_revoked_on_its_grant_day_leaves_a_trace():
    revoked = Des("gazelle", D(2024, 9, 1), None, D(2024, 9, 1), granted_on=D(2024, 9, 1))
    timeline = ladder.stage_timeline([revoked])
    assert timeline.stages == ()
    assert [(e.on, e.kind) for e in timeline.events] == [(D(2024, 9, 1), "granted"), (D(2024, 9, 1), "revoked")]
    assert bool(timeline)


def test_revoking_a_superseded_certificate_is_shown_while_the_rung_is_kept():
    old = hnte(D(2020, 12, 2), revoked_on=D(2023, 11, 1))
    new = hnte(D(2023, 10, 15))
    events = ladder.stage_timeline([old, new]).for_rung("hnte")
    revocation = [e for e in events if e.kind == "revoked"]
    assert [(e.on, e.still_held, e.detail) for e in revocation] == [(D(2023, 11, 1), True, "仍持有有效资质")]


def test_tech_sme_registrations_read_as_registrations():
    items = [Des("tech_sme", D(2022, 5, 1), D(2022, 12, 31)), Des("tech_sme", D(2023, 6, 1), D(2023, 12, 31))]
    labels = [e.label for e in ladder.stage_timeline(items).events]
    assert labels == ["入库", "年度到期", "再次入库", "年度到期"]


def test_a_designation_counts_from_the_later_of_grant_date_and_valid_from():
    gazelle = Des("gazelle", D(2025, 1, 1), granted_on=D(2025, 9, 1))
    assert ladder.counts_from(gazelle) == D(2025, 9, 1)
    assert ladder.stage_as_of([gazelle], D(2025, 3, 1)) == "prospect"
    assert ladder.stage_as_of([gazelle], D(2025, 9, 1)) == "gazelle"
    future = Des("hnte", D(2025, 12, 1), D(2028, 11, 30), granted_on=D(2025, 10, 20))
    assert ladder.counts_from(future) == D(2025, 12, 1)
    assert not ladder.in_force(future, D(2025, 11, 1))
    events = ladder.stage_timeline([gazelle]).events
    assert [(e.on, e.kind) for e in events] == [(D(2025, 9, 1), "granted")]
