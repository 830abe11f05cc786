"""The national tech SME evaluation windows (科技型中小企业评价窗口), one per year.

The window changes every year (2025: 30 June–30 September; 2026: 1 June–31 August, docs/DOMAIN.md
§6); migration 0006 records those two, an administrator edits them and adds later years on
节假日与评价窗口 or with `flask calendar window YEAR OPENS CLOSES`. The tech SME reminders
(tracker.rules.reminders) count back from the year's closing date; a year with no window
recorded takes the latest recorded window's month and day, and the reminder says so.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import TechSmeWindow, User
from tracker.rules import reminders as reminder_rules
from tracker.services import audit
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.unit_of_work import use_case

EARLIEST_YEAR, LATEST_YEAR = 2020, 2100  # the plan runs 2023–2027; outside this is a typing error
MAX_SOURCE_LENGTH = 200
FIELDS = ("year", "opens_on", "closes_on", "source")


def all_windows() -> list[TechSmeWindow]:
    """Every recorded window, newest year first."""
    return list(db.session.scalars(select(TechSmeWindow).order_by(TechSmeWindow.year.desc())))


def window_for(year: int) -> reminder_rules.EvaluationWindow:
    """The window of `year` as the reminders use it: recorded, or inferred from the latest recorded one."""
    recorded = {w.year: (w.opens_on, w.closes_on) for w in all_windows()}
    return reminder_rules.tech_sme_window(year, recorded)


@use_case
def set_window(actor: User | None, year: int | None, opens_on: dt.date | None, closes_on: dt.date | None,
               source: str = "") -> TechSmeWindow:
    """Record or change a year's window (administrators; `actor` None is the command line). Audited."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("只有系统管理员可以修改评价窗口")
    if year is None or not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ServiceError(f"年度应在 {EARLIEST_YEAR} 到 {LATEST_YEAR} 之间", field="year")
    if opens_on is None:
        raise ServiceError("请填写窗口开始日期", field="opens_on")
    if closes_on is None:
        raise ServiceError("请填写窗口截止日期", field="closes_on")
    if opens_on.year != year:
        raise ServiceError(f"开始日期应在{year}年内", field="opens_on")
    if closes_on.year != year:
        raise ServiceError(f"截止日期应在{year}年内", field="closes_on")
    if closes_on < opens_on:
        raise ServiceError("截止日期不能早于开始日期", field="closes_on")
    source = " ".join((source or "").split())
    if len(source) > MAX_SOURCE_LENGTH:
        raise ServiceError(f"来源过长（不超过 {MAX_SOURCE_LENGTH} 字）", field="source")
    window = db.session.scalar(select(TechSmeWindow).where(TechSmeWindow.year == year))
    before = audit.snapshot(window, FIELDS) if window is not None else None
    if window is None:
        window = TechSmeWindow(year=year)
        db.session.add(window)
    window.opens_on, window.closes_on, window.source = opens_on, closes_on, source
    window.updated_by_id = actor.id if actor is not None else None
    audit.record(window.updated_by_id, "tech_sme_window.set", window, before=before, after=audit.snapshot(window, FIELDS))
    return window
