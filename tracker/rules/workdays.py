"""Working days (工作日) on the Chinese calendar, with its adjusted workdays (调休).

Follow-up deadlines such as "5 个工作日内办结" are counted here (docs/DOMAIN.md §7). Which days
are worked in a year comes from the first of three sources that knows the year:

1. `notice`: the State Council's notice for the year (国务院办公厅关于某年部分节假日安排的通知),
   loaded by an administrator as data (one row per day: 放假 or 上班). The service builds a
   `Calendar` from those rows and passes it in; this module never reads a database.
2. `package`: the maintained `chinese-calendar` package (pinned in requirements.txt), which ships
   the notices of the years it knows (it raises NotImplementedError for the others).
3. `statutory`: for a year neither knows (typically next year, before the notice is published),
   the statutory holidays of 全国年节及纪念日放假办法 as amended in 2024 — 元旦 1 January; 春节
   农历除夕 to 正月初三 (4 days); 清明 (the day of the solar term); 劳动节 1–2 May; 端午 (五月初五);
   中秋 (八月十五); 国庆 1–3 October — besides Saturdays and Sundays. The lunar dates and 清明 come
   from the maintained `lunar_python` library (6tail's lunar, pure Python). These days are
   holidays whatever the notice adds later. The 办法 also says a holiday falling on a Saturday or
   Sunday is made up on a working day (补假); which day is the notice's choice, so the fallback
   assumes the next weekdays after the festival (as the 2025 and 2026 notices did for 端午, 清明,
   劳动节 and 国庆). Bridge days and make-up workdays (调休) are the notice's alone. A deadline counted through such a year is therefore
   provisional, and says so (`provisional_note`).

Within a notice year, days the notice does not list are worked Monday to Friday; a day listed in
a notice takes the notice's word even in another year (a notice may make 31 December of the year
before a make-up workday).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Iterable, Mapping

import chinese_calendar
from lunar_python import Lunar, Solar

from tracker.rules import import_formats

MAX_WORKDAYS = 250  # about one working year; a longer "deadline" is a typing error

NOTICE, PACKAGE, STATUTORY = "notice", "package", "statutory"
SOURCE_NAMES: dict[str, str] = {
    NOTICE: "已导入的国务院办公厅节假日安排通知",
    PACKAGE: "国务院办公厅节假日安排通知（系统内置）",
    STATUTORY: "调休安排尚未公布，暂按法定节假日和周末计算",
}
HOLIDAY, WORKDAY = "放假", "上班"  # the 类型 column of a notice file
NOTICE_COLUMNS = ("日期", "类型", "名称")
MAX_NOTICE_ROWS = 120  # a year's notice lists about 30 days; more is not a notice
MAX_NAME_LENGTH = 32


class NoticeRefused(ValueError):
    """A notice file that cannot be loaded; `message` lists every problem in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class NoticeDay:
    """One day of a notice: 放假 (is_workday False) or 上班 (a weekend day made a workday, True)."""

    day: dt.date
    is_workday: bool
    name: str = ""


# --------------------------------------------------------------------------------------------
# The statutory holidays (全国年节及纪念日放假办法, 2024)
# --------------------------------------------------------------------------------------------

def _solar(s: Solar) -> dt.date:
    return dt.date(s.getYear(), s.getMonth(), s.getDay())


@lru_cache(maxsize=256)
def _statutory(year: int) -> tuple[tuple[dt.date, str], ...]:
    new_year = _solar(Lunar.fromYmd(year, 1, 1).getSolar())  # 正月初一
    eve = new_year - dt.timedelta(days=1)  # 除夕: the last day of the twelfth month, 廿九 or 三十
    qingming = _solar(Lunar.fromSolar(Solar.fromYmd(year, 4, 1)).getJieQiTable()["清明"])
    days = [
        (dt.date(year, 1, 1), "元旦"),
        *[(eve + dt.timedelta(days=i), "春节") for i in range(4)],
        (qingming, "清明节"),
        (dt.date(year, 5, 1), "劳动节"), (dt.date(year, 5, 2), "劳动节"),
        (_solar(Lunar.fromYmd(year, 5, 5).getSolar()), "端午节"),
        (_solar(Lunar.fromYmd(year, 8, 15).getSolar()), "中秋节"),
        *[(dt.date(year, 10, d), "国庆节") for d in (1, 2, 3)],
    ]
    # 除夕 of a year falls in that same year (late January to mid February), so every day is in `year`.
    return tuple(sorted(days))


@lru_cache(maxsize=256)
def _fallback(year: int) -> tuple[tuple[dt.date, str], ...]:
    days = list(_statutory(year))
    taken = {d for d, _ in days}
    substitutes = []
    for name in dict.fromkeys(n for _, n in days):  # each festival once, in date order
        own = [d for d, n in days if n == name]
        owed = sum(1 for d in own if d.weekday() >= 5)
        day = max(own)
        while owed:
            day += dt.timedelta(days=1)
            if day.weekday() < 5 and day not in taken:
                substitutes.append((day, f"{name}（补假）"))
                taken.add(day)
                owed -= 1
    return tuple(sorted(days + substitutes))


@lru_cache(maxsize=256)
def _fallback_set(year: int) -> frozenset[dt.date]:
    return frozenset(d for d, _ in _fallback(year))


def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The statutory holidays of `year` (date → 元旦 / 春节 / 清明节 / ...), as the 2024 rules set them."""
    return dict(_statutory(year))


def fallback_holidays(year: int) -> dict[dt.date, str]:
    """The holidays the fallback assumes for a year without a notice: the statutory ones and their 补假."""
    return dict(_fallback(year))


@lru_cache(maxsize=256)
def is_known_year(year: int) -> bool:
    """True when the chinese-calendar package has the official holiday data for `year`."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


# --------------------------------------------------------------------------------------------
# The calendar the rules count on
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Calendar:
    """Working days from the loaded notices, then chinese-calendar, then the statutory fallback.

    `notice` maps each day a loaded notice lists to whether it is worked; `notice_years` are the
    years whose notice is loaded. Build it with `Calendar.from_notices`; `DEFAULT` knows no notice.
    """

    notice: Mapping[dt.date, bool] = field(default_factory=lambda: MappingProxyType({}))
    notice_years: frozenset[int] = frozenset()

    @classmethod
    def from_notices(cls, notices: Mapping[int, Iterable[tuple[dt.date, bool, str] | NoticeDay]]) -> "Calendar":
        """A calendar from {notice year: [(day, is_workday, name), ...]}."""
        days: dict[dt.date, bool] = {}
        for rows in notices.values():
            for row in rows:
                day, worked = (row.day, row.is_workday) if isinstance(row, NoticeDay) else (row[0], row[1])
                days[day] = bool(worked)
        return cls(MappingProxyType(days), frozenset(notices))

    def source(self, year: int) -> str:
        """Where the working days of `year` come from: NOTICE, PACKAGE or STATUTORY."""
        if year in self.notice_years:
            return NOTICE
        return PACKAGE if is_known_year(year) else STATUTORY

    def has_official_notice(self, year: int) -> bool:
        """Whether the State Council's 调休 arrangement for `year` is known (loaded or shipped)."""
        return self.source(year) != STATUTORY

    def is_workday(self, day: dt.date) -> bool:
        """A working day of this calendar."""
        listed = self.notice.get(day)
        if listed is not None:
            return listed
        source = self.source(day.year)
        if source == PACKAGE:
            return bool(chinese_calendar.is_workday(day))
        if source == STATUTORY and day in _fallback_set(day.year):
            return False
        return day.weekday() < 5

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (start itself not counted); n = 0 gives `start`.

        So a follow-up raised on a Friday with "2 个工作日" is due on the following Tuesday, and
        one raised on the eve of the National Day holiday skips the whole golden week.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        if n > MAX_WORKDAYS:
            raise ValueError(f"n must not exceed {MAX_WORKDAYS}")
        day = start
        remaining = n
        while remaining:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days `end` lies after `start` (0 if not after)."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def unofficial_years(self, start: dt.date, end: dt.date) -> tuple[int, ...]:
        """The years of (start, end] counted without their official notice (the statutory fallback)."""
        if end <= start:
            return ()
        first = (start + dt.timedelta(days=1)).year
        return tuple(y for y in range(first, end.year + 1) if not self.has_official_notice(y))


DEFAULT = Calendar()


def provisional_note(years: Iterable[int]) -> str:
    """The note on a deadline counted through years without their notice, '' when there are none."""
    years = sorted(set(years))
    if not years:
        return ""
    return f"（{'、'.join(str(y) for y in years)}年调休安排尚未公布，暂按法定节假日计算）"


# Module-level helpers on a given calendar (the default knows no loaded notice).

def is_workday(day: dt.date, calendar: Calendar = DEFAULT) -> bool:
    """A working day: the loaded notice, else chinese-calendar, else the statutory days and weekends."""
    return calendar.is_workday(day)


def add_workdays(start: dt.date, n: int, calendar: Calendar = DEFAULT) -> dt.date:
    """The n-th working day after `start` on `calendar` (see Calendar.add_workdays)."""
    return calendar.add_workdays(start, n)


def workdays_between(start: dt.date, end: dt.date, calendar: Calendar = DEFAULT) -> int:
    """Working days in (start, end] on `calendar`."""
    return calendar.workdays_between(start, end)


# --------------------------------------------------------------------------------------------
# A notice as data: parsing and checking (the page and `flask calendar load FILE`)
# --------------------------------------------------------------------------------------------

TYPE_ALIASES: dict[str, bool] = {
    HOLIDAY: False, "休": False, "休息": False, "放假调休": False, "holiday": False, "off": False,
    WORKDAY: True, "班": True, "调休上班": True, "补班": True, "workday": True, "work": True,
}
HEADER_ALIASES: dict[str, str] = {
    "日期": "日期", "date": "日期", "类型": "类型", "type": "类型", "名称": "名称", "name": "名称", "节日": "名称",
}
_WEEKDAYS = "一二三四五六日"


def _parse_date(value: object) -> dt.date | None:
    """A day as the imports read one (YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日, Excel dates), or None."""
    try:
        return import_formats.parse_date(value)
    except import_formats.CellError:
        return None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _refuse(problems: list[str], limit: int = 12) -> None:
    if problems:
        more = f"；另有 {len(problems) - limit} 处问题" if len(problems) > limit else ""
        raise NoticeRefused("；".join(problems[:limit]) + more)


def notice_table(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Pasted CSV text as (header, [(line, cells), ...]), blank lines skipped."""
    text = (text or "").lstrip("\ufeff")
    try:
        parsed = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise NoticeRefused(f"CSV 格式错误：{exc}") from exc
    rows = [(n, r) for n, r in enumerate(parsed, start=1) if any(c.strip() for c in r)]
    if not rows:
        raise NoticeRefused("没有内容：请上传或粘贴节假日安排（列：日期, 类型, 名称）")
    return rows[0][1], rows[1:]


def parse_notice(header: list[object], rows: list[tuple[int, list[object]]]) -> list[NoticeDay]:
    """The days of a notice from its table: columns 日期, 类型 (放假/上班), 名称 (optional).

    Every problem is reported with its row number; nothing is returned unless all rows are good.
    """
    columns = [HEADER_ALIASES.get(_text(h).lower(), HEADER_ALIASES.get(_text(h))) for h in header]
    if "日期" not in columns or "类型" not in columns:
        shown = ", ".join(_text(h) for h in header)[:60]
        raise NoticeRefused(f"第一行应为表头“日期, 类型, 名称”（实为“{shown}”）")
    rows = [(n, cells) for n, cells in rows if any(_text(c) for c in cells)]
    if len(rows) > MAX_NOTICE_ROWS:
        raise NoticeRefused(f"行数过多（{len(rows)} 行）：一年的节假日安排通常约 30 天，请每次导入一个年度")
    at = {name: columns.index(name) for name in NOTICE_COLUMNS if name in columns}
    days: list[NoticeDay] = []
    problems: list[str] = []
    for line, cells in rows:
        def cell(name: str) -> object:
            i = at.get(name)
            return cells[i] if i is not None and i < len(cells) else None

        day = _parse_date(cell("日期"))
        kind_text = _text(cell("类型"))
        kind = TYPE_ALIASES.get(kind_text, TYPE_ALIASES.get(kind_text.lower()))
        name = " ".join(_text(cell("名称")).split())
        if day is None:
            problems.append(f"第{line}行：日期“{_text(cell('日期'))[:20]}”无法识别（应为 {import_formats.DATE_FORMATS_HINT}）")
        if kind is None:
            problems.append(f"第{line}行：类型应为“放假”或“上班”（实为“{kind_text[:10]}”）")
        if len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
                                              for c in name):
            problems.append(f"第{line}行：名称过长（不超过 {MAX_NAME_LENGTH} 字）或含控制字符")
        if day is not None and kind is not None:
            days.append(NoticeDay(day, kind, name))
    _refuse(problems)
    return days


def _weekday(day: dt.date) -> str:
    return f"星期{_WEEKDAYS[day.weekday()]}"


def check_notice(days: Iterable[NoticeDay | tuple[dt.date, bool, str]]) -> int:
    """Check a year's notice and return its year (the year of its latest day).

    Refused (NoticeRefused, every problem listed): no day; a day listed twice; days outside the
    notice's year and the December before it; a statutory holiday missing or made a workday; a
    Monday–Friday listed as 上班 (it is a workday already: most likely a mistyped date).
    """
    rows = [r if isinstance(r, NoticeDay) else NoticeDay(r[0], bool(r[1]), r[2] or "") for r in days]
    if not rows:
        raise NoticeRefused("没有日期：请列出该年度的放假和上班日期")
    year = max(r.day for r in rows).year
    earliest = dt.date(year - 1, 12, 1)
    problems: list[str] = []
    seen: set[dt.date] = set()
    statutory = statutory_holidays(year)
    for r in rows:
        if r.day in seen:
            problems.append(f"{r.day.isoformat()} 重复出现")
        seen.add(r.day)
        if r.day < earliest:
            problems.append(f"{r.day.isoformat()} 不属于同一年度（{year}年的通知只含{year}年及上一年12月的日期，请每次导入一个年度）")
        if r.is_workday and r.day in statutory:
            problems.append(f"{r.day.isoformat()} 是法定节假日（{statutory[r.day]}），不能调为上班")
        elif r.is_workday and r.day.weekday() < 5:
            problems.append(f"{r.day.isoformat()} 是{_weekday(r.day)}，本就是工作日，无需列为上班；请检查日期")
    off = {r.day for r in rows if not r.is_workday}
    missing = [f"{d.isoformat()}（{n}）" for d, n in statutory.items() if d not in off]
    if missing:
        problems.append(f"缺少法定节假日：{'、'.join(missing)}（法定节假日在通知中都应列为放假）")
    _refuse(problems)
    return year
