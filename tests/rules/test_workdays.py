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


def test_unknown_years_fall_back_to_monday_to_friday():
    assert not workdays.is_known_year(2040)
    assert workdays.is_known_year(2026)
    assert workdays.is_workday(D(2040, 1, 2))  # a Monday
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
