"""The monthly dispatch report (月调度通报): which month, its dates, the district ranking, numbering.

docs/DOMAIN.md §4 (the indicators) and the plan's 四、组织实施 (the bureau follows progress monthly
and reports it to the districts). Pure Python: the services compute the figures, this module
decides which month a request means, the dates the report speaks of, and how districts rank.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

FIRST_MONTH = (2023, 1)  # the plan starts in January 2023
FORMATS = ("docx", "xlsx")
FORMAT_NAMES = {"docx": "Word", "xlsx": "Excel"}
OLDEST_OPEN_ITEMS = 5  # oldest open 诉求 listed per district
CHINESE_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

_MONTH = re.compile(r"^\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?\s*$")


class BadMonth(ValueError):
    """A month that is not YYYY-MM, not yet over, or before the plan; the message is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ReportMonth:
    """One calendar month of the report: its first and last day, and the month before's last day."""

    year: int
    month: int

    @property
    def key(self) -> str:
        """YYYY-MM."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """2026年10月."""
        return f"{self.year}年{self.month}月"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        """The month's last day: the as-of date of every figure in the report."""
        return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    @property
    def previous_end(self) -> dt.date:
        """The last day of the month before (the "change since last month" baseline)."""
        return self.first_day - dt.timedelta(days=1)

    def next_quarter(self) -> tuple[dt.date, dt.date]:
        """First and last day of the calendar quarter after the one this month is in (下季度)."""
        quarter = (self.month - 1) // 3 + 1
        year, quarter = (self.year + 1, 1) if quarter == 4 else (self.year, quarter + 1)
        start = dt.date(year, 3 * quarter - 2, 1)
        last_month = 3 * quarter
        return start, dt.date(year, last_month, calendar.monthrange(year, last_month)[1])


def last_finished_month(today: dt.date) -> ReportMonth:
    """The month before today's (the default of the month selector and of the monthly email)."""
    previous = today.replace(day=1) - dt.timedelta(days=1)
    return ReportMonth(previous.year, previous.month)


def past_months(today: dt.date) -> list[ReportMonth]:
    """Every month from the plan's first to the last finished one, newest first (the selector)."""
    months = []
    month = last_finished_month(today)
    while (month.year, month.month) >= FIRST_MONTH:
        months.append(month)
        before = month.first_day - dt.timedelta(days=1)
        month = ReportMonth(before.year, before.month)
    return months


def parse_month(text: str | None, today: dt.date) -> ReportMonth:
    """The month of `text` (YYYY-MM, also 2026/10 or 2026年10月); empty = the last finished month.

    Refused with a Chinese message: another shape, a month 13, a month not yet over (the report
    speaks of a month's end), a month before the plan began.
    """
    if text is None or not str(text).strip():
        return last_finished_month(today)
    match = _MONTH.match(str(text))
    if not match:
        raise BadMonth(f"月份格式应为 YYYY-MM（例如 {last_finished_month(today).key}）")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise BadMonth(f"月份须在 1—12 之间：{text}")
    chosen = ReportMonth(year, month)
    if (year, month) < FIRST_MONTH:
        raise BadMonth(f"倍增行动自 {FIRST_MONTH[0]} 年 {FIRST_MONTH[1]} 月起实施，不能生成更早月份的通报")
    if chosen.end >= today:
        raise BadMonth(f"{chosen.label}尚未结束，只能生成已结束月份的通报（最近可选 {last_finished_month(today).key}）")
    return chosen


def report_format(filename: str) -> str:
    """docx or xlsx from a file name's extension; anything else is refused in Chinese."""
    lowered = (filename or "").lower()
    for fmt in FORMATS:
        if lowered.endswith("." + fmt):
            return fmt
    raise BadMonth("输出文件须以 .docx 或 .xlsx 结尾")


def rank(values: dict[str, float | None]) -> dict[str, int | None]:
    """Competition ranking (1, 2, 2, 4) by value, highest first; None (no target) is not ranked."""
    ordered = sorted((v for v in values.values() if v is not None), reverse=True)
    return {key: (None if v is None else ordered.index(v) + 1) for key, v in values.items()}


def section_number(n: int) -> str:
    """The heading number of a 通报 section: 1 → 一、 (up to 十)."""
    return CHINESE_NUMERALS[n - 1] + "、"


def signed(n: int | None) -> str:
    """A change as the report prints it: +3, −2, 0, — for unknown."""
    if n is None:
        return "—"
    return f"+{n}" if n > 0 else ("0" if n == 0 else f"−{-n}")
