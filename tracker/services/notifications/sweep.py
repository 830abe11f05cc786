"""The reminder sweep (提醒扫描): every due reminder of the city turned into outbox rows, once.

`sweep(today)` finds every due reminder in a handful of aggregate queries over the whole city
(tracker.services.notifications.queries, never a query per company), turns them into outbox rows
and INSERTs them with ON CONFLICT DO NOTHING on the UNIQUE key (recipient, kind, subject, period):
running the sweep twice, or in two processes at once, adds nothing. `run_daily` is what beat and
`flask reminders sweep` call: the sweep of today plus the catch-up of this week's digests and this
month's reports if their run is missing. Rules are level-triggered (tracker.rules.reminders), so a
sweep of today also covers the days a sweep missed. A past day is swept only as a catch-up
(`catch_up_day`, `flask reminders sweep --today D --catch-up`): it creates only that day's
reminders that are still true today, and that day's digest / report only while no later one exists.

Each sweep is one unit of work; its emails are published to the workers after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import update

from tracker import clock
from tracker.extensions import db
from tracker.models import Notification
from tracker.models.notification import SKIPPED
from tracker.rules import cadence
from tracker.rules import reminders as rules
from tracker.rules.reminders import Reminder, ReminderPolicy
from tracker.services.calendar import windows as tech_sme_windows
from tracker.services.errors import ServiceError
from tracker.services.notifications import digests, queries, robots, runs
from tracker.services.notifications.rows import (
    UserInfo, active_users, insert_notifications, insert_returning, new_row, path_for, queue_emails,
)
from tracker.services.notifications.settings import batch_threshold, policy
from tracker.services.unit_of_work import use_case
from tracker.services.visits.due import due_visits

log = logging.getLogger("tracker.reminders")

MERGE_CHUNK = 10_000  # ids per IN list when marking a sweep's merged rows (bound parameters stay few)


def due_reminders(today: dt.date, pol: ReminderPolicy | None = None) -> list[Reminder]:
    """Every reminder due on `today`, from the rules applied to a few aggregate queries."""
    pol = pol or policy()
    found: list[Reminder] = []
    found += rules.visit_reminders(due_visits(None, today, pol.cadence, min_state=cadence.DUE), today, pol)
    horizon = today + dt.timedelta(days=pol.follow_up_ahead_days)
    found += rules.follow_up_reminders(queries.follow_up_records(horizon), today, pol)
    found += rules.certificate_reminders(queries.certificate_records(today, pol), today, pol)
    if rules.annual_report_nudge(today, pol) is not None:
        found += rules.annual_report_reminders(queries.hnte_companies(today), today, pol)
    window = tech_sme_windows.window_for(today.year)  # the year's evaluation window (data, issue 16)
    if rules.tech_sme_nudge(today, pol, window) is not None:
        found += rules.tech_sme_reminders(queries.tech_sme_companies(today), today, pol, window)
    found += rules.stale_track_reminders(queries.stale_tracks(today, pol), today, pol)
    return found


def _link(reminder: Reminder) -> str:
    fallback = (path_for("companies.show", company_id=reminder.company_id) if reminder.company_id
                else path_for("notifications.index"))
    if reminder.link is None:
        return fallback
    endpoint, args = reminder.link
    return path_for(endpoint, fallback, **dict(args))


def _recipients(recipient: rules.Recipient, users: dict[int, UserInfo], managers: dict[str, list[int]], admins: list[int]) -> list[int]:
    # An inactive or missing officer falls back to the district's managers, a district without a
    # manager to the city administrators: a reminder always reaches someone responsible.
    if recipient.role == rules.OFFICER and recipient.user_id in users:
        return [recipient.user_id]
    return managers.get(recipient.district or "", []) or admins


def rows_for(reminders: list[Reminder], users: dict[int, UserInfo]) -> list[dict]:
    """Outbox rows for reminders, resolved to accounts, one per key (the first wins)."""
    managers: dict[str, list[int]] = defaultdict(list)
    admins: list[int] = []
    for u in users.values():
        if u.role == "manager" and u.district:
            managers[u.district].append(u.id)
        elif u.role == "admin":
            admins.append(u.id)
    created = clock.now()
    rows: dict[tuple, dict] = {}
    choices: dict = {}  # each (user, kind, urgent) decided once: a sweep makes 100,000+ rows for ~1,000 users
    for r in reminders:
        link = _link(r)
        for user_id in _recipients(r.recipient, users, managers, admins):
            key = (user_id, r.kind, r.subject_key, r.period)
            if key not in rows:
                rows[key] = new_row(users[user_id], r.kind, r.subject_key, r.period, r.title, body=r.body, link=link,
                                    urgent=r.urgent, company_id=r.company_id, payload=r.payload, created=created,
                                    choices=choices)
    return [rows[k] for k in sorted(rows)]  # one order everywhere: concurrent sweeps never deadlock


@dataclass
class SweepResult:
    """What a daily run did: reminders due, rows added and emailed, digests and reports created."""

    today: dt.date
    due: int = 0
    created: int = 0
    emailed: int = 0
    digests: int | None = None  # None: not run
    reports: int | None = None
    notes: list[str] = field(default_factory=list)
    stale: int = 0  # catch-up of a past day: that day's reminders left out because they are false today


@use_case
def sweep(today: dt.date | None = None) -> SweepResult:
    """Turn every reminder due on `today` into outbox rows (idempotent), commit, then publish."""
    today = today or clock.today()
    reminders = due_reminders(today, policy())
    users = active_users()
    rows = rows_for(reminders, users)
    added = _batch_floods(insert_returning(rows, *_FLOOD_COLUMNS), users, today)
    runs.record_run(runs.DAILY, today.isoformat(), len(added))
    queue_emails(added)
    robots.daily_summaries(today, reminders)  # each robot's district summary, once a day (robot key)
    log.info("reminder sweep %s: %d due, %d new rows", today, len(rows), len(added))
    return SweepResult(today, due=len(rows), created=len(added), emailed=sum(1 for _, w in added if w))


# What merging needs of each row added, returned by its INSERT (no reading back 100,000 rows).
_FLOOD_COLUMNS = (Notification.recipient_id, Notification.title, Notification.link, Notification.urgent)


def _batch_floods(inserted: list, users: dict[int, UserInfo], today: dt.date) -> list[tuple[int, bool]]:
    """Many new emails for one person in one sweep become one summary email (汇总提醒).

    `inserted`: (id, email_wanted, recipient_id, title, link, urgent) of each row added. The
    reminders stay in the app one by one; only their emails are merged. Runs before the commit,
    so no worker can have picked any of them. The summary's period carries its first row's id: a
    later sweep's summary never collides with it, and two concurrent sweeps never share rows.
    """
    added = [(row[0], bool(row[1])) for row in inserted]
    threshold = batch_threshold()
    emailed = sorted((row for row in inserted if row[1]), key=lambda row: row[0])
    if not threshold or len(emailed) < threshold:
        return added
    by_user: dict[int, list] = defaultdict(list)
    for row in emailed:
        by_user[row[2]].append(row)
    merged: set[int] = set()
    summaries = []
    created = clock.now()
    for user_id, items in by_user.items():
        if len(items) < threshold:
            continue
        merged.update(r[0] for r in items)
        urgent = sum(1 for r in items if r[5])
        payload = {"items": [{"title": r[3], "link": r[4], "urgent": r[5]} for r in items[:100]], "total": len(items)}
        title = f"今日新增 {len(items)} 条提醒" + (f"（其中紧急 {urgent} 条）" if urgent else "")
        summaries.append(new_row(users[user_id], rules.REMINDER_BATCH, "sweep", f"{today.isoformat()}/{items[0][0]}", title,
                                 link=path_for("notifications.index"), urgent=True, payload=payload, created=created))
    if not merged:
        return added
    merged_ids = sorted(merged)
    for start in range(0, len(merged_ids), MERGE_CHUNK):
        db.session.execute(
            update(Notification).where(Notification.id.in_(merged_ids[start:start + MERGE_CHUNK]))
            .values(email_wanted=False, status=SKIPPED, last_error="已合并到汇总提醒邮件")
            .execution_options(synchronize_session=False)
        )
    return [(i, wanted and i not in merged) for i, wanted in added] + insert_notifications(summaries)


def run_daily(today: dt.date | None = None, now_local: dt.datetime | None = None) -> SweepResult:
    """The daily job (beat 07:30 and `flask reminders sweep`): sweep today, then catch up.

    Catch-up: if the weekly digests of this week or the monthly reports of this month are due
    (Monday / the 1st, 08:00 local) and their run is not recorded — beat was down, or fired
    twice and the second time was refused — they are created now. A gap since the last
    successful sweep needs nothing more: the rules see today's state, which includes whatever
    fell due on the missed days. The sweep, the digests and the reports commit one by one, so a
    failing report never takes the day's reminders with it.
    """
    real_today = clock.today()
    today = today or real_today
    if now_local is None:
        now_local = (dt.datetime.now(clock.TZ).replace(tzinfo=None) if today == real_today
                     else dt.datetime.combine(today, dt.time.max))
    previous = runs.last_successful_sweep()
    result = sweep(today)
    if previous is not None and (today - previous).days > 1:
        result.notes.append(f"上次成功扫描为 {previous.isoformat()}，已按今日状态补发")
    return catch_up(today, now_local, result)


def catch_up(today: dt.date, now_local: dt.datetime, result: SweepResult | None = None) -> SweepResult:
    """Create this week's digests and this month's reports if they are due and were not run."""
    pol = policy()
    result = result or SweepResult(today)
    if now_local >= rules.digest_due_at(today, pol) and not runs.run_done(rules.DIGEST_WEEKLY, rules.iso_week(today)):
        result.digests = digests.weekly_digests(today)
    if now_local >= rules.report_due_at(today, pol) and not runs.run_done(rules.REPORT_MONTHLY, rules.month_key(today)):
        result.reports = digests.monthly_reports(today)
    return result


def past_day_plan(day: dt.date, today: dt.date) -> str:
    """What a catch-up of `day` does, in words (the CLI shows it before asking for --catch-up)."""
    return (f"{day.isoformat()} 早于今天（{today.isoformat()}）。补扫过去的日期只补建那天漏掉、且今天仍然成立的提醒："
            "今天已不成立的（已完成的走访和诉求、已过期或已进入下一提醒档的证书、已提醒过的停滞培育等）不会生成；"
            "那周的摘要、那月的月报只在还没有更新一期时补建。")


def catch_up_day(day: dt.date, today: dt.date | None = None) -> SweepResult:
    """Sweep a past day as a catch-up: fill only what was missed and is still true today.

    The day's reminders are computed as of that day and kept only where today's rules produce the
    same key (tracker.rules.reminders.still_true_today); the day's run is recorded. The digest of
    the day's week and the report of its month are created only if they were due by the end of
    that day, were not run, and no later one was (rules.period_catch_up_allowed).
    """
    today = today or clock.today()
    if day >= today:
        raise ServiceError(f"补扫只用于今天（{today.isoformat()}）之前的日期；今天及以后请直接扫描")
    result = _sweep_past_day(day, today)
    pol = policy()
    end_of_day = dt.datetime.combine(day, dt.time.max)
    for job, period, due_at, make, label in (
        (rules.DIGEST_WEEKLY, rules.iso_week(day), rules.digest_due_at(day, pol), digests.weekly_digests, "每周摘要"),
        (rules.REPORT_MONTHLY, rules.month_key(day), rules.report_due_at(day, pol), digests.monthly_reports, "月报"),
    ):
        if end_of_day < due_at or runs.run_done(job, period):
            continue
        if not rules.period_catch_up_allowed(period, runs.latest_period(job)):
            result.notes.append(f"{label}（{period}）已有更新的一期，不补建")
            continue
        created = make(day)
        if job == rules.DIGEST_WEEKLY:
            result.digests = created
        else:
            result.reports = created
    return result


@use_case
def _sweep_past_day(day: dt.date, today: dt.date) -> SweepResult:
    pol = policy()
    past = due_reminders(day, pol)
    kept = rules.still_true_today(past, due_reminders(today, pol))
    users = active_users()
    rows = rows_for(kept, users)
    added = _batch_floods(insert_returning(rows, *_FLOOD_COLUMNS), users, day)
    runs.record_run(runs.DAILY, day.isoformat(), len(added))
    queue_emails(added)
    log.info("reminder catch-up %s (today %s): %d due then, %d still true, %d new rows", day, today, len(past), len(kept), len(added))
    return SweepResult(day, due=len(rows), created=len(added), emailed=sum(1 for _, w in added if w),
                       stale=len(past) - len(kept))
