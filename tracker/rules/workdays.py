"""Working days (工作日) on the Chinese calendar, with its adjusted workdays (调休).

Follow-up deadlines such as "5 个工作日内办结" are counted here. The calendar comes from the
maintained `chinese-calendar` package, which knows the State Council's holiday notices
(法定节假日 and the weekend days made working days, 调休) for the years it ships data for.

Fallback: for a year the package does not know yet (it raises NotImplementedError, e.g. next
year before the State Council publishes its notice, or years before 2004), Monday to Friday are
counted as working days. Deadlines reaching into such a year may therefore land on a public
holiday; upgrading the package (pinned in requirements.txt) fixes them for new deadlines.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

MAX_WORKDAYS = 250  # about one working year; a longer "deadline" is a typing error


def is_known_year(year: int) -> bool:
    """True when the package has the official holiday data for `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def is_workday(day: dt.date) -> bool:
    """A working day: the official calendar where known, otherwise Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (start itself not counted); n = 0 gives `start`.

    So a follow-up raised on a Friday with "2 个工作日" is due on the following Tuesday, and one
    raised on the eve of the National Day holiday skips the whole golden week.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if n > MAX_WORKDAYS:
        raise ValueError(f"n must not exceed {MAX_WORKDAYS}")
    day = start
    remaining = n
    while remaining:
        day += dt.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start` (0 if not after)."""
    if end <= start:
        return 0
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_workday(day):
            count += 1
    return count
