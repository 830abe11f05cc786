"""Weekly digests (每周摘要) for officers and monthly reports (月报) for district managers.

Both are idempotent per period: a digest is keyed by the ISO week, a report by the month, and
each run is recorded (tracker.services.notifications.runs) so the daily job's catch-up creates a
missed one exactly once. Each is one unit of work; its emails are published after the commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import select

from tracker import clock
from tracker.extensions import db
from tracker.models import Notification
from tracker.rules import cadence
from tracker.rules import follow_ups as follow_up_rules
from tracker.rules import reminders as rules
from tracker.rules.districts import DISTRICT_NAMES
from tracker.rules.reminders import ReminderPolicy
from tracker.rules.reports import last_finished_month
from tracker.services.indicators.rollup import roll_up
from tracker.services.notifications import queries
from tracker.services.notifications.rows import active_users, add_notifications, new_row, path_for
from tracker.services.notifications.runs import record_run
from tracker.services.notifications.settings import policy
from tracker.services.policies.entitlements import officer_entitlements
from tracker.services.unit_of_work import use_case
from tracker.services.visits.due import due_visits

log = logging.getLogger("tracker.reminders")


def _add_run(job: str, period: str, rows: list[dict]) -> int:
    """Add a period's rows, record the run in the same transaction and queue the emails; rows added."""
    added = add_notifications(rows)
    record_run(job, period, len(added))
    log.info("%s %s: %d new", job, period, len(added))
    return len(added)


def _limited(items: list[dict], pol: ReminderPolicy) -> dict:
    return {"items": items[: pol.digest_list_limit], "total": len(items)}


@use_case
def weekly_digests(today: dt.date | None = None) -> int:
    """One digest per officer for the ISO week of `today` (visits, follow-ups, certificates, held
    reminders); empty digests are not created, opted-out officers get none. Returns rows added."""
    today = today or clock.today()
    pol = policy()
    users = active_users()
    officers = {u.id for u in users.values() if u.role == "officer" and not u.digest_opt_out}
    sections: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))

    for v in due_visits(None, today, pol.cadence, min_state=cadence.UPCOMING):
        if v.officer_id in officers:
            sections[v.officer_id]["visits"].append({
                "company_id": v.company_id, "name": v.company_name, "due_on": v.due_on.isoformat(),
                "state": cadence.STATE_NAMES.get(v.state, v.state),
            })
    for f in queries.follow_up_records(today + dt.timedelta(days=7)):
        owner = f.owner_id or f.officer_id
        due = follow_up_rules.effective_due_on(f.due_on, f.referred_deadline)
        if owner in officers and due is not None:
            sections[owner]["follow_ups"].append({
                "company_id": f.company_id, "name": f.company_name, "what": rules._short(f.description),
                "due_on": due.isoformat(), "overdue": due < today,
            })
    for c in queries.certificate_records(today, pol):
        days_left = (c.valid_until - today).days
        if c.officer_id in officers and not (c.has_open_track or c.renewed) and rules.expiry_window(days_left, pol):
            sections[c.officer_id]["certificates"].append({
                "company_id": c.company_id, "name": c.company_name, "valid_until": c.valid_until.isoformat(),
                "days_left": days_left,
            })
    since = clock.now() - dt.timedelta(days=7)
    held = db.session.execute(
        select(Notification.recipient_id, Notification.title, Notification.link)
        # Held for the digest: app-only rows, not those merged into a summary email (last_error set).
        .where(Notification.email_wanted.is_(False), Notification.last_error.is_(None), Notification.created_at >= since,
               Notification.kind.not_in(list(rules.DIGEST_KINDS)))
        .order_by(Notification.id)
    ).all()
    for recipient_id, title, link in held:
        if recipient_id in officers:
            sections[recipient_id]["held"].append({"title": title, "link": link})
    for officer_id, items in officer_entitlements(today).items():  # 政策直达: what their companies can claim
        if officer_id in officers:
            sections[officer_id]["policies"].extend(items)

    week = rules.iso_week(today)
    created = clock.now()
    rows = []
    for officer_id in sorted(sections):
        s = sections[officer_id]
        s["visits"].sort(key=lambda i: (i["due_on"], i["company_id"]))
        s["follow_ups"].sort(key=lambda i: (i["due_on"], i["company_id"]))
        s["certificates"].sort(key=lambda i: (i["valid_until"], i["company_id"]))
        counts = {k: len(s[k]) for k in ("visits", "follow_ups", "certificates", "held", "policies")}
        if not any(counts.values()):
            continue  # empty digests are not sent
        payload = {"week": week, **{k: _limited(s[k], pol) for k in counts}}
        title = (f"每周工作摘要（{week}）：应走访 {counts['visits']}，诉求 {counts['follow_ups']}，"
                 f"证书到期 {counts['certificates']}" + (f"，可申领政策 {counts['policies']}" if counts["policies"] else ""))
        rows.append(new_row(users[officer_id], rules.DIGEST_WEEKLY, "digest", week, title,
                            link=path_for("work.my_work", path_for("notifications.index")), payload=payload,
                            created=created))
    return _add_run(rules.DIGEST_WEEKLY, week, rows)


def _indicator_summary(as_of: dt.date, district: str) -> list[dict] | None:
    # The indicators come from their own service; if it fails the report still goes, without them.
    try:
        data = roll_up(as_of, None, district=district).to_dict()
    except Exception:  # noqa: BLE001
        log.exception("indicator roll-up failed for the monthly report of %s", district)
        return None
    rows = []
    for item in data.get("indicators", []):
        actual, target = item.get("actual"), item.get("target")
        percent = round(100 * actual / target, 1) if target else None
        rows.append({"name": item.get("name"), "unit": item.get("unit") or "", "actual": actual, "target": target,
                     "percent": percent})
    return rows


@use_case
def monthly_reports(today: dt.date | None = None) -> int:
    """One report per manager for the month of `today`: the district's indicators against targets
    (as of the day before) and overdue work by officer. Returns rows added."""
    today = today or clock.today()
    pol = policy()
    users = active_users()
    managers = [u for u in users.values() if u.role == "manager" and u.district and not u.digest_opt_out]
    month = rules.month_key(today)
    as_of = today - dt.timedelta(days=1)
    report_month = last_finished_month(today).key

    overdue: dict[str, dict[int | None, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: {"visits": 0, "follow_ups": 0}))
    for v in due_visits(None, today, pol.cadence, min_state=cadence.OVERDUE):
        overdue[v.district][v.officer_id]["visits"] += 1
    for f in queries.follow_up_records(today - dt.timedelta(days=1)):
        overdue[f.district][f.owner_id or f.officer_id]["follow_ups"] += 1

    created = clock.now()
    indicators_by_district: dict[str, list | None] = {}
    rows = []
    for manager in sorted(managers, key=lambda u: u.id):
        district = manager.district
        if district not in indicators_by_district:
            indicators_by_district[district] = _indicator_summary(as_of, district)
        officers = []
        for officer_id, counts in overdue[district].items():
            name = users[officer_id].name if officer_id in users else "（未分配专员）"
            officers.append({"name": name, **counts})
        officers.sort(key=lambda o: (-(o["visits"] + o["follow_ups"]), o["name"]))
        payload = {"month": month, "as_of": as_of.isoformat(), "indicators": indicators_by_district[district],
                   "officers": officers,
                   # The district's 通报 of the month just finished (月调度通报, tracker.services.reports).
                   "report_path": path_for("indicators.monthly_report", "", month=report_month, format="docx"),
                   "report_month": report_month}
        title = f"{district_name(district)}{today.year}年{today.month}月工作月报（截至 {as_of.isoformat()}）"
        rows.append(new_row(manager, rules.REPORT_MONTHLY, f"district:{district}", month, title,
                            link=path_for("indicators.dashboard", path_for("notifications.index")), payload=payload,
                            created=created))
    return _add_run(rules.REPORT_MONTHLY, month, rows)


def district_name(code: str | None) -> str:
    """The Chinese name of a district code."""
    return DISTRICT_NAMES.get(code or "", code or "")
