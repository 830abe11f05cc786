"""Working days on the Chinese calendar (with 调休) and the Mon–Fri fallback for unknown years."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.rules import workdays

D = dt.date


@pytest.mark.parametrize("day, expected", [
    (D(2026, 10, 1), False),  # National Day
    (D(2026, 10, 7), False),  # still the golden week, a Wednesday
    (D(2026, 10, 10), True),  # Saturday made a working day (调休)
    (D(2026, 9, 20), True),  # Sunday made a working day before Mid-Autumn
    (D(2026, 9, 25), False),  # Mid-Autumn festival, a Friday
    (D(2026, 2, 14), True),  # Saturday before the Spring Festival, a working day
    (D(2026, 11, 24), True),  # an ordinary Tuesday
    (D(2026, 11, 28), False),  # an ordinary Saturday
])
def test_official_calendar_with_adjusted_workdays(day, expected):
    assert workdays.is_workday(day) is expected


def test_add_workdays_skips_holidays_and_counts_adjusted_weekend_days():
    assert workdays.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)  # the golden week skipped
    assert workdays.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)  # a Saturday that is worked
    assert workdays.add_workdays(D(2026, 9, 18), 1) == D(2026, 9, 20)  # a Sunday that is worked
    assert workdays.add_workdays(D(2026, 11, 27), 2) == D(2026, 12, 1)  # Friday + 2 → Tuesday
    assert workdays.add_workdays(D(2026, 11, 24), 0) == D(2026, 11, 24)


def test_unknown_years_fall_back_to_weekends_and_statutory_days():
    assert not workdays.is_known_year(2040)
    assert workdays.is_known_year(2026)
    assert not workdays.is_workday(D(2040, 1, 2))  # a Monday, but 元旦 fell on a Sunday (补假)
    assert workdays.is_workday(D(2040, 1, 3))  # a Tuesday
    assert not workdays.is_workday(D(2040, 1, 7))  # a Saturday
    assert workdays.add_workdays(D(2040, 1, 6), 1) == D(2040, 1, 9)  # Friday → Monday


def test_bad_counts_are_refused():
    with pytest.raises(ValueError):
        workdays.add_workdays(D(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        workdays.add_workdays(D(2026, 1, 5), workdays.MAX_WORKDAYS + 1)


def test_workdays_between():
    assert workdays.workdays_between(D(2026, 9, 30), D(2026, 10, 8)) == 1
    assert workdays.workdays_between(D(2026, 10, 8), D(2026, 9, 30)) == 0
    assert workdays.workdays_between(D(2026, 11, 23), D(2026, 11, 30)) == 5


@settings(max_examples=60, deadline=None)
@given(start=st.dates(min_value=D(2024, 1, 1), max_value=D(2027, 6, 30)), n=st.integers(0, 40))
def test_add_workdays_lands_on_a_workday_exactly_n_working_days_later(start, n):
    end = workdays.add_workdays(start, n)
    assert workdays.workdays_between(start, end) == n
    if n:
        assert workdays.is_workday(end) and end > start


# --- issue 16, defect 7: a year chinese-calendar does not know keeps the statutory holidays -----

import chinese_calendar  # noqa: E402


@pytest.mark.parametrize("day, name", [
    (D(2027, 1, 1), "元旦"),
    (D(2027, 2, 5), "春节"),  # 除夕 (the eve), a Friday
    (D(2027, 2, 8), "春节"),  # 正月初三, a Monday
    (D(2027, 4, 5), "清明节"),  # the solar term's day, a Monday
    (D(2027, 3, 1), None),  # an ordinary Monday
    (D(2027, 6, 9), "端午节"),  # 五月初五, a Wednesday
    (D(2027, 9, 15), "中秋节"),  # 八月十五, a Wednesday
    (D(2027, 10, 1), "国庆节"),
    (D(2027, 10, 8), None),  # a Friday after the National Day holiday and its 补假
])
def test_2027_falls_back_to_the_statutory_holidays_not_monday_to_friday(day, name):
    assert not workdays.is_known_year(2027)
    holidays = workdays.statutory_holidays(2027)
    assert holidays.get(day) == name
    assert workdays.is_workday(day) is (name is None and day.weekday() < 5)


def test_statutory_2027_in_full_and_the_days_made_up_for_weekends():
    assert sorted(workdays.statutory_holidays(2027)) == [
        D(2027, 1, 1), D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 7), D(2027, 2, 8), D(2027, 4, 5),
        D(2027, 5, 1), D(2027, 5, 2), D(2027, 6, 9), D(2027, 9, 15), D(2027, 10, 1), D(2027, 10, 2), D(2027, 10, 3),
    ]
    # 补假: a statutory day on a Saturday or Sunday is made up on the next weekdays (办法 §6).
    extra = {d: n for d, n in workdays.fallback_holidays(2027).items() if d not in workdays.statutory_holidays(2027)}
    assert extra == {
        D(2027, 2, 9): "春节（补假）", D(2027, 2, 10): "春节（补假）", D(2027, 5, 3): "劳动节（补假）",
        D(2027, 5, 4): "劳动节（补假）", D(2027, 10, 4): "国庆节（补假）", D(2027, 10, 5): "国庆节（补假）",
    }
    assert not workdays.is_workday(D(2027, 5, 3))


@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_days_agree_with_chinese_calendar(year):
    """Every statutory day chinese-calendar knows is one of ours, and each of ours is a holiday there.

    chinese-calendar lists whole holiday periods; its statutory days are the ones that are neither
    in-lieu days (调休) nor weekend days, so on weekdays the two sets must coincide.
    """
    statutory = workdays.statutory_holidays(year)
    ours = workdays.fallback_holidays(year)
    known = {
        d for d in chinese_calendar.holidays
        if d.year == year and d not in chinese_calendar.in_lieu_days and d.weekday() < 5
    }
    assert all(not chinese_calendar.is_workday(d) for d in statutory)  # every statutory day is off there
    assert known <= set(ours), sorted(known - set(ours))  # every weekday it gives off (bar 调休) is off here
    assert {d for d in ours if d.weekday() < 5} == known


def test_a_loaded_notice_takes_precedence_over_the_package_and_the_fallback():
    notice = workdays.Calendar.from_notices({
        2027: [(D(2027, 2, 9), False, "春节"), (D(2027, 2, 20), True, "春节调休上班")],
    })
    assert notice.source(2027) == workdays.NOTICE and notice.has_official_notice(2027)
    assert not notice.is_workday(D(2027, 2, 9))  # 初四, given off by the notice
    assert notice.is_workday(D(2027, 2, 20))  # a Saturday worked
    assert notice.is_workday(D(2027, 2, 10))  # a Wednesday not in the notice
    assert not notice.is_workday(D(2027, 2, 21))  # a Sunday not in the notice
    assert workdays.DEFAULT.source(2027) == workdays.STATUTORY and not workdays.DEFAULT.has_official_notice(2027)
    assert workdays.DEFAULT.source(2026) == workdays.PACKAGE
    assert workdays.DEFAULT.is_workday(D(2027, 2, 20)) is False  # without the notice, a Saturday is a holiday


def test_counting_into_a_year_without_a_notice_names_that_year():
    cal = workdays.DEFAULT
    assert cal.unofficial_years(D(2026, 12, 28), cal.add_workdays(D(2026, 12, 28), 5)) == (2027,)
    assert cal.unofficial_years(D(2026, 11, 2), cal.add_workdays(D(2026, 11, 2), 5)) == ()
    assert workdays.provisional_note((2027,)) == "（2027年调休安排尚未公布，暂按法定节假日计算）"
    assert workdays.provisional_note(()) == ""
    assert cal.add_workdays(D(2027, 9, 30), 1) == D(2027, 10, 6)  # 1–3 Oct off and 4–5 Oct made up


def test_a_notice_is_checked_before_it_is_loaded():
    ok = [(D(2027, 1, 1), False, "元旦"), *[(D(2027, 2, d), False, "春节") for d in range(5, 12)],
          (D(2027, 2, 20), True, "春节调休"), (D(2027, 4, 5), False, "清明节"), (D(2027, 5, 1), False, "劳动节"),
          (D(2027, 5, 2), False, "劳动节"), (D(2027, 6, 9), False, "端午节"), (D(2027, 9, 15), False, "中秋节"),
          *[(D(2027, 10, d), False, "国庆节") for d in range(1, 8)]]
    assert workdays.check_notice(ok) == 2027
    problems = {
        "缺少法定节假日": [d for d in ok if d[0] != D(2027, 9, 15)],
        "是法定节假日": [d for d in ok if d[0] != D(2027, 10, 3)] + [(D(2027, 10, 3), True, "国庆节")],
        "本就是工作日": [*ok, (D(2027, 3, 3), True, "x")],
        "重复": [*ok, (D(2027, 1, 1), False, "元旦")],
        "不属于同一年度": [*ok, (D(2026, 6, 1), False, "x")],
        "没有日期": [],
    }
    for words, rows in problems.items():
        with pytest.raises(workdays.NoticeRefused) as err:
            workdays.check_notice(rows)
        assert words in err.value.message, (words, err.value.message)
