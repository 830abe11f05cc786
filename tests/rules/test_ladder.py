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


def hnte(issued: dt.date, revoked_on=None):
    return Des("hnte", issued, ladder.default_valid_until("hnte", issued), revoked_on)


def test_default_validity():
    assert ladder.default_valid_until("tech_sme", D(2025, 5, 9)) == D(2025, 12, 31)
    assert ladder.default_valid_until("hnte", D(2023, 11, 6)) == D(2026, 11, 5)
    assert ladder.default_valid_until("hnte", D(2024, 2, 29)) == D(2027, 2, 27)
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
    assert [(c.on, c.from_stage, c.to_stage, c.reason) for c in timeline] == [
        (D(2020, 12, 2), "prospect", "hnte", "promotion"),
        (D(2023, 12, 2), "hnte", "prospect", "lapse"),
        (D(2024, 3, 1), "prospect", "hnte", "promotion"),
        (D(2027, 3, 1), "hnte", "prospect", "lapse"),  # the second certificate's end, ahead of time
    ]


def test_seamless_recertification_keeps_stage_and_is_shown():
    first = hnte(D(2020, 12, 2))
    second = hnte(D(2023, 12, 2))
    timeline = ladder.stage_timeline([first, second])
    assert [(c.on, c.reason) for c in timeline] == [
        (D(2020, 12, 2), "promotion"), (D(2023, 12, 2), "recertification"), (D(2026, 12, 2), "lapse"),
    ]
    assert ladder.stage_as_of([first, second], D(2024, 6, 1)) == "hnte"


def test_revoked_designation_stops_counting_on_revocation_day():
    cert = hnte(D(2022, 10, 1), revoked_on=D(2023, 7, 15))
    assert ladder.stage_as_of([cert], D(2023, 7, 14)) == "hnte"
    assert ladder.stage_as_of([cert], D(2023, 7, 15)) == "prospect"
    timeline = ladder.stage_timeline([cert])
    assert timeline[-1].reason == "revocation" and timeline[-1].on == D(2023, 7, 15)


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
    reasons = [c.reason for c in ladder.stage_timeline(items)]
    assert reasons == ["promotion", "promotion", "promotion"]


def test_demotion_when_higher_rung_revoked_but_lower_still_held():
    items = [hnte(D(2023, 1, 1)), Des("gazelle", D(2023, 6, 1), None, D(2024, 2, 1))]
    assert ladder.stage_as_of(items, D(2024, 1, 31)) == "gazelle"
    assert ladder.stage_as_of(items, D(2024, 2, 1)) == "hnte"
    changes = [(c.on, c.from_stage, c.to_stage, c.reason) for c in ladder.stage_timeline(items)]
    assert (D(2024, 2, 1), "gazelle", "hnte", "revocation") in changes
    assert changes[-1] == (D(2026, 1, 1), "hnte", "prospect", "lapse")


def test_parse_rung_accepts_codes_and_chinese_names():
    assert ladder.parse_rung("高新技术企业") == "hnte"
    assert ladder.parse_rung("科技型中小企业（评价入库）") == "tech_sme"
    assert ladder.parse_rung("HNTE") == "hnte"
    assert ladder.parse_rung("瞪羚") == "gazelle"
    assert ladder.parse_rung("大企业") is None
