from tracker.rules.districts import DISTRICT_CODES, parse_district
from tracker.rules.indicators import DISTRICT_INDICATOR_CODES, INDICATOR_CODES, PLAN_YEARS
from tracker.services.indicators.targets import read_plan_file, sum_mismatches


def test_plan_file_has_every_target_of_the_two_tables():
    rows = read_plan_file()
    assert len(rows) == 12 * 5 + 4 * 7 * 5
    city = {(i, y): v for i, y, d, v in rows if d is None}
    assert set(city) == {(i, y) for i in INDICATOR_CODES for y in PLAN_YEARS}
    assert city[("hnte_count", 2027)] == 8000
    assert city[("tech_sme_registered", 2026)] == 8500
    districts = {(i, y, d): v for i, y, d, v in rows if d}
    assert set(districts) == {(i, y, d) for i in DISTRICT_INDICATOR_CODES for y in PLAN_YEARS for d in DISTRICT_CODES}
    # The district table lists unicorns before gazelles; check both landed on the right code.
    assert districts[("unicorn_cumulative", 2027, "wujin")] == 26
    assert districts[("gazelle_cumulative", 2027, "wujin")] == 374


def test_all_twenty_district_sums_hold_and_a_change_is_detected():
    rows = read_plan_file()
    assert sum_mismatches(rows) == []
    changed = [(i, y, d, v + 1 if (i, y, d) == ("hnte_count", 2025, "liyang") else v) for i, y, d, v in rows]
    assert sum_mismatches(changed) == [("hnte_count", 2025, 5800, 5801)]


def test_district_spellings():
    assert parse_district("常经开") == "jingkai"
    assert parse_district("常州经济开发区") == "jingkai"
    assert parse_district(" 武进区 ") == "wujin"
    assert parse_district("WUJIN") == "wujin"
    assert parse_district("上海") is None
