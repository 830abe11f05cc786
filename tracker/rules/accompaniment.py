"""Key-company accompaniment (重点企业陪伴计划, plan §7 "一对一把脉，定制化解决科创难题";
docs/DOMAIN.md §9). Pure Python.

A yearly list of key companies (重点陪伴企业), each with a responsible person, and one-to-one
diagnosis records (把脉) that introduce resources and raise follow-ups (诉求). Managers review,
each quarter, which key companies have had no diagnosis yet.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

RESOURCES: dict[str, str] = {
    "capital": "资本", "talent": "人才", "platform": "平台", "policy": "政策",
}
# The rungs the plan names for accompaniment (gazelles and (potential) unicorns); others may be added too.
SUGGESTED_RUNGS: tuple[str, ...] = ("gazelle", "potential_unicorn", "unicorn")
EARLIEST_YEAR = 2023  # the plan starts in 2023
EARLIEST_RECORD = dt.date(2023, 1, 1)
TEXT_LIMITS = {"reason": 500, "leader": 64, "participants": 500, "findings": 5000, "resource_notes": 2000}


class AccompanimentRefused(ValueError):
    """Refused input; `message` (Chinese) is shown under `field`."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar quarter holding `day`."""
    first_month = (day.month - 1) // 3 * 3 + 1
    start = dt.date(day.year, first_month, 1)
    end = dt.date(day.year + 1, 1, 1) if first_month == 10 else dt.date(day.year, first_month + 3, 1)
    return start, end - dt.timedelta(days=1)


def quarter_name(day: dt.date) -> str:
    """E.g. "2026年第2季度"."""
    return f"{day.year}年第{(day.month - 1) // 3 + 1}季度"


def list_year_error(year: object, today: dt.date) -> str | None:
    """Why `year` cannot be a key-company list's year (this year, next year or an earlier plan year)."""
    if not isinstance(year, int) or isinstance(year, bool):
        return "请填写年度"
    if not EARLIEST_YEAR <= year <= today.year + 1:
        return f"年度应在 {EARLIEST_YEAR} 至 {today.year + 1} 之间"
    return None


def check_resources(codes: Iterable[str] | None) -> list[str]:
    """The resources introduced, in vocabulary order; an unknown code is refused."""
    chosen = list(codes or [])
    unknown = [c for c in chosen if c not in RESOURCES]
    if unknown:
        raise AccompanimentRefused("引入资源只能选择资本、人才、平台、政策", "resources")
    return [c for c in RESOURCES if c in chosen]


def join_resources(codes: Iterable[str]) -> str:
    """How the resource codes are stored (comma separated, vocabulary order)."""
    return ",".join(c for c in RESOURCES if c in set(codes))


def split_resources(stored: str | None) -> list[str]:
    """The stored resource codes as a list."""
    return [c for c in (stored or "").split(",") if c in RESOURCES]


def resource_names(stored: str | None) -> str:
    """The stored resources in Chinese, e.g. "资本、政策" ("" for none)."""
    return "、".join(RESOURCES[c] for c in split_resources(stored))


def check_record_date(held_on: dt.date | None, list_year: int, today: dt.date) -> dt.date:
    """A diagnosis date: not in the future, in the key-company list's year."""
    if held_on is None:
        raise AccompanimentRefused("请填写把脉日期", "held_on")
    if held_on > today:
        raise AccompanimentRefused("把脉日期不能晚于今天", "held_on")
    if held_on.year != list_year:
        raise AccompanimentRefused(f"把脉日期应在 {list_year} 年内（该企业是 {list_year} 年的重点陪伴企业）", "held_on")
    return held_on


def clean_text(value: object, field: str, label: str, *, required: bool = False) -> str | None:
    """Trimmed text within its limit; None when empty (refused when required)."""
    text = "" if value is None else str(value).strip()
    if not text:
        if required:
            raise AccompanimentRefused(f"请填写{label}", field)
        return None
    limit = TEXT_LIMITS.get(field)
    if limit and len(text) > limit:
        raise AccompanimentRefused(f"{label}不超过{limit}个字符", field)
    return text
