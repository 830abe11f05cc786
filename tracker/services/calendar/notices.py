"""The State Council's holiday notices (节假日安排通知) as data, and the calendar the rules count on.

An administrator loads a year's notice (CSV: 日期, 类型 (放假/上班), 名称) on 节假日与评价窗口 or
with `flask calendar load FILE`; loading a year again replaces that year's days. The rules
(tracker.rules.workdays) prefer a loaded notice to the chinese-calendar package and that to the
statutory fallback; `current_calendar()` builds their `Calendar` from the loaded days.

Decision: the calendar is read per use case (one query over a few dozen rows per loaded year),
not cached per process, so a notice loaded in one process counts at once in every other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from tracker.extensions import db
from tracker.models import CalendarDay, User
from tracker.rules import follow_ups as fu_rules
from tracker.rules import workdays
from tracker.services import audit
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.imports.spreadsheets import Limits, UnreadableFile, read_table
from tracker.services.unit_of_work import use_case

MAX_SOURCE_LENGTH = 200


def current_calendar() -> workdays.Calendar:
    """The working-day calendar with every loaded notice (loaded notice > chinese-calendar > statutory)."""
    rows = db.session.execute(select(CalendarDay.notice_year, CalendarDay.day, CalendarDay.is_workday)).all()
    notices: dict[int, list[tuple[dt.date, bool, str]]] = {}
    for year, day, worked in rows:
        notices.setdefault(year, []).append((day, worked, ""))
    return workdays.Calendar.from_notices(notices)


@dataclass(frozen=True)
class DeadlineHint:
    """An example deadline for the forms' hint, with the note when its year has no notice yet."""

    due_on: dt.date
    note: str


def deadline_hint(start: dt.date, n: int) -> DeadlineHint:
    """N working days after `start` on the current calendar, e.g. the visit form's "5 个工作日" example."""
    calendar = current_calendar()
    due = calendar.add_workdays(start, n)
    return DeadlineHint(due, workdays.provisional_note(calendar.unofficial_years(start, due)))


def deadline_note(due_on: dt.date | None, provisional: bool) -> str:
    """The note beside a stored deadline that was counted without its year's notice ('' otherwise)."""
    if not provisional or due_on is None:
        return ""
    return fu_rules.provisional_deadline_note(due_on, provisional, current_calendar())


@dataclass(frozen=True)
class YearStatus:
    """How a year's working days are known, for the calendar page."""

    year: int
    source: str
    source_name: str
    days: list[tuple[dt.date, bool, str]]  # the loaded notice's days, or the holidays the fallback assumes
    loaded_source: str = ""
    loaded_at: dt.datetime | None = None


def year_status(years: list[int]) -> list[YearStatus]:
    """For each year: loaded notice, the package's data or the statutory fallback, with its days."""
    calendar = current_calendar()
    loaded = db.session.execute(
        select(CalendarDay).where(CalendarDay.notice_year.in_(years)).order_by(CalendarDay.day)
    ).scalars().all()
    by_year: dict[int, list[CalendarDay]] = {}
    for row in loaded:
        by_year.setdefault(row.notice_year, []).append(row)
    result = []
    for year in years:
        source = calendar.source(year)
        if source == workdays.NOTICE:
            rows = by_year.get(year, [])
            days = [(r.day, r.is_workday, r.name) for r in rows]
            first = rows[0] if rows else None
            result.append(YearStatus(year, source, workdays.SOURCE_NAMES[source], days,
                                     first.source if first else "", max((r.created_at for r in rows), default=None)))
        elif source == workdays.STATUTORY:
            days = [(d, False, n) for d, n in sorted(workdays.fallback_holidays(year).items())]
            result.append(YearStatus(year, source, workdays.SOURCE_NAMES[source], days))
        else:
            result.append(YearStatus(year, source, workdays.SOURCE_NAMES[source], []))
    return result


def loaded_years() -> list[int]:
    """The years whose notice an administrator has loaded, newest first."""
    return list(db.session.scalars(
        select(CalendarDay.notice_year).group_by(CalendarDay.notice_year).order_by(CalendarDay.notice_year.desc())
    ))


@dataclass(frozen=True)
class NoticeLoaded:
    """What loading a notice did."""

    year: int
    holidays: int
    workdays: int
    replaced: int  # days of an earlier load of the same year that were replaced


def _check_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise Forbidden("只有系统管理员可以导入节假日安排")


def _table(text: str | None, data: bytes | None, filename: str):
    if data is not None:
        table = read_table(data, filename, Limits(max_rows=workdays.MAX_NOTICE_ROWS + 1))
        return table.header, table.rows
    return workdays.notice_table(text or "")


@use_case
def load_notice(actor: User | None, *, text: str | None = None, data: bytes | None = None, filename: str = "",
                source: str = "") -> NoticeLoaded:
    """Load a year's notice (日期, 类型, 名称) from pasted CSV text or a CSV/xlsx file's bytes.

    Loading a year again replaces that year's earlier load. All or nothing: any problem (a date
    that cannot be read, a statutory holiday missing or made a workday, a weekday listed as 上班,
    a date another year's notice already lists) refuses the whole file with every problem named.
    `actor` None is the command line. Audited.
    """
    _check_admin(actor)
    source = " ".join((source or "").split())
    if len(source) > MAX_SOURCE_LENGTH:
        raise ServiceError(f"来源过长（不超过 {MAX_SOURCE_LENGTH} 字）", field="source")
    try:
        days = workdays.parse_notice(*_table(text, data, filename))
        year = workdays.check_notice(days)
    except workdays.NoticeRefused as exc:
        raise ServiceError(exc.message, field="file" if data is not None else "text") from exc
    except UnreadableFile as exc:
        raise ServiceError(exc.message, field="file") from exc
    taken = db.session.execute(
        select(CalendarDay.day, CalendarDay.notice_year)
        .where(CalendarDay.day.in_([d.day for d in days]), CalendarDay.notice_year != year)
    ).all()
    if taken:
        listed = "、".join(f"{d.isoformat()}（{y}年通知）" for d, y in sorted(taken)[:10])
        raise ServiceError(f"以下日期已在其他年度的通知中：{listed}；请先核对", field="text")
    replaced = db.session.scalar(select(func.count()).select_from(CalendarDay).where(CalendarDay.notice_year == year))
    db.session.execute(delete(CalendarDay).where(CalendarDay.notice_year == year))
    actor_id = actor.id if actor is not None else None
    db.session.add_all([
        CalendarDay(day=d.day, notice_year=year, is_workday=d.is_workday, name=d.name or (workdays.WORKDAY if d.is_workday else workdays.HOLIDAY),
                    source=source, loaded_by_id=actor_id)
        for d in days
    ])
    result = NoticeLoaded(year, sum(1 for d in days if not d.is_workday), sum(1 for d in days if d.is_workday), replaced or 0)
    audit.record(
        actor_id, "calendar.notice_load", entity_type="calendar_notice", entity_id=year,
        before={"days": replaced} if replaced else None,
        after={"year": year, "holidays": result.holidays, "workdays": result.workdays, "source": source,
               "days": [f"{d.day.isoformat()} {workdays.WORKDAY if d.is_workday else workdays.HOLIDAY}" for d in days]},
    )
    return result
