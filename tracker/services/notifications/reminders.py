"""The reminder sweep (提醒扫描) and the notification outbox's use cases.

`sweep(today)` finds every due reminder in a handful of aggregate queries over the whole city
(never a query per company), turns them into outbox rows and INSERTs them with ON CONFLICT DO
NOTHING on the UNIQUE key (recipient, kind, subject, period): running the sweep twice, or in two
processes at once, adds nothing. `run_daily` is what beat and `flask reminders sweep` call: the
sweep of today plus the catch-up of this week's digests and this month's reports if their run is
missing. Rules are level-triggered (tracker.rules.reminders), so a sweep of today also covers the
days a sweep missed; past days are not re-swept, which would only resurrect stale reminders.

Rows are published to the workers only after the commit (tracker.services.notifications.outbox).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from tracker import clock
from tracker.extensions import db
from tracker.models import Assignment, Company, CultivationTrack, Designation, FollowUp, Notification, User
from tracker.models.notification import FAILED, PENDING, SENDING, SENT, SKIPPED, ReminderRun
from tracker.rules import cadence
from tracker.rules import follow_ups as follow_up_rules
from tracker.rules import reminders as rules
from tracker.rules.cultivation import OPEN_STATUSES
from tracker.rules.reminders import CertificateRecord, FollowUpRecord, Reminder, ReminderPolicy, TrackRecord
from tracker.services import audit
from tracker.services.errors import NotFound, ServiceError
from tracker.services.notifications.outbox import publish_after_commit
from tracker.services.stages import in_force_clause
from tracker.services.visits.due import due_visits

log = logging.getLogger("tracker.reminders")

NOTIFY_MODES = {"immediate": "即时提醒", "digest": "仅每周摘要（紧急事项仍即时发送）"}
STATUS_NAMES = {PENDING: "待发送", SENDING: "发送中", SENT: "已发送", FAILED: "发送失败", SKIPPED: "不单独发送"}
INSERT_CHUNK = 500
EXECUTE_CHUNK = 5000  # parameter sets per execute(): bounds memory, not round trips


def policy() -> ReminderPolicy:
    """The reminder thresholds, with the configurable ones taken from the app config."""
    return ReminderPolicy(track_stale_days=int(current_app.config.get("TRACK_STALE_DAYS", 60)))


# --------------------------------------------------------------------------------------------
# Records read in aggregate queries (what the rules take)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    district: str | None
    notify_mode: str
    digest_opt_out: bool


@dataclass(frozen=True)
class CompanyRef:
    company_id: int
    company_name: str
    district: str
    officer_id: int | None
    registered_years: frozenset = frozenset()


def _primary_assignment():
    return and_(Assignment.company_id == Company.id, Assignment.assigned_until.is_(None), Assignment.is_primary.is_(True))


def active_users() -> dict[int, UserInfo]:
    """Every active account, in one query (reminders only go to active users)."""
    rows = db.session.execute(
        select(User.id, User.name, User.role, User.district, User.notify_mode, User.digest_opt_out)
        .where(User.active.is_(True))
    ).all()
    return {r.id: UserInfo(r.id, r.name, r.role, r.district, r.notify_mode or "immediate", bool(r.digest_opt_out)) for r in rows}


def follow_up_records(horizon: dt.date) -> list[FollowUpRecord]:
    """Unfinished follow-ups of live companies whose (effective) due date is on or before `horizon`."""
    due = func.coalesce(FollowUp.due_on, FollowUp.referred_deadline)
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.company_id, Company.name, Company.district, FollowUp.owner_id,
               Assignment.officer_id, FollowUp.status, FollowUp.due_on, FollowUp.referred_deadline,
               FollowUp.escalated_at, FollowUp.description)
        .join(Company, Company.id == FollowUp.company_id)
        .outerjoin(Assignment, _primary_assignment())
        .where(Company.deleted_at.is_(None), FollowUp.status.in_(follow_up_rules.ACTIVE_STATUSES), due <= horizon)
    ).all()
    return [
        FollowUpRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9] is not None, r[10] or "")
        for r in rows
    ]


def certificate_records(today: dt.date, pol: ReminderPolicy) -> list[CertificateRecord]:
    """HNTE certificates of live companies ending within the widest window, with their track facts."""
    newer = aliased(Designation)
    renewed = (
        select(newer.id).where(
            newer.company_id == Designation.company_id, newer.kind == "hnte", newer.id != Designation.id,
            newer.valid_from > Designation.valid_from, newer.revoked_on.is_(None),
        ).exists()
    )
    open_track = (
        select(CultivationTrack.id).where(
            CultivationTrack.company_id == Designation.company_id, CultivationTrack.target_kind == "hnte",
            CultivationTrack.status.in_(OPEN_STATUSES),
        ).exists()
    )
    horizon = today + dt.timedelta(days=max(pol.hnte_expiry_windows))
    rows = db.session.execute(
        select(Designation.id, Designation.company_id, Company.name, Company.district, Assignment.officer_id,
               Designation.valid_until, Designation.reference, open_track.label("open_track"), renewed.label("renewed"))
        .join(Company, Company.id == Designation.company_id)
        .outerjoin(Assignment, _primary_assignment())
        .where(
            Company.deleted_at.is_(None), Designation.kind == "hnte",
            Designation.valid_until >= today, Designation.valid_until <= horizon,
            or_(Designation.revoked_on.is_(None), Designation.revoked_on > today),
        )
    ).all()
    return [CertificateRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), bool(r[8])) for r in rows]


def _holding(kind: str, clause):
    return select(Designation.id).where(Designation.company_id == Company.id, Designation.kind == kind, clause).correlate(Company).exists()


def hnte_companies(today: dt.date) -> list[CompanyRef]:
    """Live companies holding an HNTE certificate in force today (they file the annual report)."""
    rows = db.session.execute(
        select(Company.id, Company.name, Company.district, Assignment.officer_id)
        .outerjoin(Assignment, _primary_assignment())
        .where(Company.deleted_at.is_(None), _holding("hnte", in_force_clause(today)))
    ).all()
    return [CompanyRef(*r) for r in rows]


def tech_sme_companies(today: dt.date) -> list[CompanyRef]:
    """Live companies evaluated as tech SMEs last year, with whether they are registered this year."""
    def in_year(year: int):
        return and_(Designation.valid_from >= dt.date(year, 1, 1), Designation.valid_from <= dt.date(year, 12, 31),
                    Designation.revoked_on.is_(None))

    this_year = _holding("tech_sme", in_year(today.year))
    rows = db.session.execute(
        select(Company.id, Company.name, Company.district, Assignment.officer_id, this_year.label("this_year"))
        .outerjoin(Assignment, _primary_assignment())
        .where(Company.deleted_at.is_(None), _holding("tech_sme", in_year(today.year - 1)))
    ).all()
    return [
        CompanyRef(r[0], r[1], r[2], r[3], frozenset({today.year - 1} | ({today.year} if r[4] else set())))
        for r in rows
    ]


def stale_tracks(today: dt.date, pol: ReminderPolicy) -> list[TrackRecord]:
    """Open cultivation tracks of live companies unchanged since `track_stale_days` ago or longer."""
    last_day = today - dt.timedelta(days=pol.track_stale_days)
    cutoff = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, clock.TZ).astimezone(dt.timezone.utc)
    rows = db.session.execute(
        select(CultivationTrack.id, CultivationTrack.company_id, Company.name, Company.district,
               CultivationTrack.target_kind, CultivationTrack.status, CultivationTrack.status_since,
               CultivationTrack.owner_id, Assignment.officer_id)
        .join(Company, Company.id == CultivationTrack.company_id)
        .outerjoin(Assignment, _primary_assignment())
        .where(Company.deleted_at.is_(None), CultivationTrack.status.in_(OPEN_STATUSES),
               CultivationTrack.status_since < cutoff)
    ).all()
    return [TrackRecord(r[0], r[1], r[2], r[3], r[4], r[5], clock.local(r[6]).date(), r[7], r[8]) for r in rows]


# --------------------------------------------------------------------------------------------
# From reminders to outbox rows
# --------------------------------------------------------------------------------------------

def path_for(endpoint: str, fallback: str = "/", **values) -> str:
    """An app path for an endpoint without a request (the sweep runs in workers and the CLI)."""
    if endpoint not in current_app.view_functions:
        return fallback
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return adapter.build(endpoint, values)


def _link(reminder: Reminder) -> str:
    fallback = (path_for("companies.show", company_id=reminder.company_id) if reminder.company_id
                else path_for("notifications.index"))
    if reminder.link is None:
        return fallback
    endpoint, args = reminder.link
    return path_for(endpoint, fallback, **dict(args))


def due_reminders(today: dt.date, pol: ReminderPolicy | None = None) -> list[Reminder]:
    """Every reminder due on `today`, from the rules applied to a few aggregate queries."""
    pol = pol or policy()
    found: list[Reminder] = []
    found += rules.visit_reminders(due_visits(None, today, pol.cadence, min_state=cadence.DUE), today, pol)
    horizon = today + dt.timedelta(days=pol.follow_up_ahead_days)
    found += rules.follow_up_reminders(follow_up_records(horizon), today, pol)
    found += rules.certificate_reminders(certificate_records(today, pol), today, pol)
    if rules.annual_report_nudge(today, pol) is not None:
        found += rules.annual_report_reminders(hnte_companies(today), today, pol)
    if rules.tech_sme_nudge(today, pol) is not None:
        found += rules.tech_sme_reminders(tech_sme_companies(today), today, pol)
    found += rules.stale_track_reminders(stale_tracks(today, pol), today, pol)
    return found


def _recipients(recipient: rules.Recipient, users: dict[int, UserInfo], managers: dict[str, list[int]], admins: list[int]) -> list[int]:
    # An inactive or missing officer falls back to the district's managers, a district without a
    # manager to the city administrators: a reminder always reaches someone responsible.
    if recipient.role == rules.OFFICER and recipient.user_id in users:
        return [recipient.user_id]
    return managers.get(recipient.district or "", []) or admins


def _row(user: UserInfo, kind: str, subject_key: str, period: str, title: str, *, body: str = "", link: str | None = None,
         urgent: bool = False, company_id: int | None = None, payload: dict | None = None, created: dt.datetime) -> dict:
    wanted = rules.email_wanted(kind, urgent, user.notify_mode, user.digest_opt_out)
    return dict(
        recipient_id=user.id, kind=kind, subject_key=subject_key, period=period, company_id=company_id,
        title=title[:255], body=body, link=link, payload=payload, urgent=urgent, email_wanted=wanted,
        # A reminder a user wants only in the app (digest mode) is never picked up by the sender.
        status=PENDING if wanted else SKIPPED, attempts=0, created_at=created,
    )


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
    for r in reminders:
        link = _link(r)
        for user_id in _recipients(r.recipient, users, managers, admins):
            key = (user_id, r.kind, r.subject_key, r.period)
            if key not in rows:
                rows[key] = _row(users[user_id], r.kind, r.subject_key, r.period, r.title, body=r.body, link=link,
                                 urgent=r.urgent, company_id=r.company_id, payload=r.payload, created=created)
    return [rows[k] for k in sorted(rows)]  # one order everywhere: concurrent sweeps never deadlock


def _insert(model):
    return (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(model)


def insert_notifications(rows: list[dict]) -> list[tuple[int, bool]]:
    """INSERT outbox rows, skipping any whose key exists; (id, email_wanted) of the rows added."""
    added: list[tuple[int, bool]] = []
    # One compiled statement executed with many parameter sets: SQLAlchemy batches them into
    # multi-row INSERT ... RETURNING itself ("insertmanyvalues"), which is far cheaper than
    # compiling a new VALUES list per chunk (111,000 rows: 38 s before, see docs/benchmarks.md).
    statement = (
        _insert(Notification)
        .on_conflict_do_nothing(index_elements=["recipient_id", "kind", "subject_key", "period"])
        .returning(Notification.id, Notification.email_wanted)
    )
    for start in range(0, len(rows), EXECUTE_CHUNK):
        chunk = rows[start:start + EXECUTE_CHUNK]
        added += [(row[0], bool(row[1])) for row in db.session.execute(statement, chunk).all()]
    return added


def _record_run(job: str, period: str, count: int) -> None:
    db.session.execute(
        _insert(ReminderRun).values(job=job, period=period, created_count=count, finished_at=clock.now())
        .on_conflict_do_nothing(index_elements=["job", "period"])
    )


def run_done(job: str, period: str) -> bool:
    """Whether a periodic run completed for this period."""
    return db.session.scalar(select(ReminderRun.id).where(ReminderRun.job == job, ReminderRun.period == period)) is not None


def _commit_and_publish(added: list[tuple[int, bool]]) -> None:
    publish_after_commit([i for i, wanted in added if wanted])
    db.session.commit()


@dataclass
class SweepResult:
    today: dt.date
    due: int = 0
    created: int = 0
    emailed: int = 0
    digests: int | None = None  # None: not run
    reports: int | None = None
    notes: list[str] = field(default_factory=list)


def sweep(today: dt.date | None = None) -> SweepResult:
    """Turn every reminder due on `today` into outbox rows (idempotent), commit, then publish."""
    today = today or clock.today()
    pol = policy()
    reminders = due_reminders(today, pol)
    users = active_users()
    rows = rows_for(reminders, users)
    added = insert_notifications(rows)
    added = _batch_floods(added, users, today)
    _record_run("daily", today.isoformat(), len(added))
    _commit_and_publish(added)
    log.info("reminder sweep %s: %d due, %d new rows", today, len(rows), len(added))
    return SweepResult(today, due=len(rows), created=len(added), emailed=sum(1 for _, w in added if w))


def _batch_floods(added: list[tuple[int, bool]], users: dict[int, UserInfo], today: dt.date) -> list[tuple[int, bool]]:
    """Many new emails for one person in one sweep become one summary email (汇总提醒).

    The reminders stay in the app one by one; only their emails are merged. Runs before the
    commit, so no worker can have picked any of them. The summary's period carries its first row's
    id: a later sweep's summary never collides with it, and two concurrent sweeps never share rows.
    """
    threshold = int(current_app.config.get("REMINDER_BATCH_THRESHOLD", 5))
    emailed = [i for i, wanted in added if wanted]
    if not threshold or len(emailed) < threshold:
        return added
    rows = []
    for start in range(0, len(emailed), INSERT_CHUNK):  # bounded IN lists: a city sweep adds 100,000+
        rows += db.session.execute(
            select(Notification.id, Notification.recipient_id, Notification.title, Notification.link, Notification.urgent)
            .where(Notification.id.in_(emailed[start:start + INSERT_CHUNK]))
        ).all()
    rows.sort(key=lambda r: r.id)
    by_user: dict[int, list] = defaultdict(list)
    for row in rows:
        by_user[row.recipient_id].append(row)
    merged: set[int] = set()
    summaries = []
    created = clock.now()
    for user_id, items in by_user.items():
        if len(items) < threshold:
            continue
        merged.update(r.id for r in items)
        urgent = sum(1 for r in items if r.urgent)
        payload = {"items": [{"title": r.title, "link": r.link, "urgent": r.urgent} for r in items[:100]], "total": len(items)}
        title = f"今日新增 {len(items)} 条提醒" + (f"（其中紧急 {urgent} 条）" if urgent else "")
        summaries.append(_row(users[user_id], rules.REMINDER_BATCH, "sweep", f"{today.isoformat()}/{items[0].id}", title,
                              link=path_for("notifications.index"), urgent=True, payload=payload, created=created))
    if not merged:
        return added
    merged_ids = sorted(merged)
    for start in range(0, len(merged_ids), INSERT_CHUNK):
        db.session.execute(
            update(Notification).where(Notification.id.in_(merged_ids[start:start + INSERT_CHUNK]))
            .values(email_wanted=False, status=SKIPPED, last_error="已合并到汇总提醒邮件")
            .execution_options(synchronize_session=False)
        )
    return [(i, wanted and i not in merged) for i, wanted in added] + insert_notifications(summaries)


def last_successful_sweep() -> dt.date | None:
    """The latest day a daily sweep completed."""
    value = db.session.scalar(select(func.max(ReminderRun.period)).where(ReminderRun.job == "daily"))
    return dt.date.fromisoformat(value) if value else None


def run_daily(today: dt.date | None = None, now_local: dt.datetime | None = None) -> SweepResult:
    """The daily job (beat 07:30 and `flask reminders sweep`): sweep today, then catch up.

    Catch-up: if the weekly digests of this week or the monthly reports of this month are due
    (Monday / the 1st, 08:00 local) and their run is not recorded — beat was down, or fired
    twice and the second time was refused — they are created now. A gap since the last
    successful sweep needs nothing more: the rules see today's state, which includes whatever
    fell due on the missed days.
    """
    real_today = clock.today()
    today = today or real_today
    if now_local is None:
        now_local = (dt.datetime.now(clock.TZ).replace(tzinfo=None) if today == real_today
                     else dt.datetime.combine(today, dt.time.max))
    previous = last_successful_sweep()
    result = sweep(today)
    if previous is not None and (today - previous).days > 1:
        result.notes.append(f"上次成功扫描为 {previous.isoformat()}，已按今日状态补发")
    return catch_up(today, now_local, result)


def catch_up(today: dt.date, now_local: dt.datetime, result: SweepResult | None = None) -> SweepResult:
    """Create this week's digests and this month's reports if they are due and were not run."""
    pol = policy()
    result = result or SweepResult(today)
    if now_local >= rules.digest_due_at(today, pol) and not run_done(rules.DIGEST_WEEKLY, rules.iso_week(today)):
        result.digests = weekly_digests(today)
    if now_local >= rules.report_due_at(today, pol) and not run_done(rules.REPORT_MONTHLY, rules.month_key(today)):
        result.reports = monthly_reports(today)
    return result


# --------------------------------------------------------------------------------------------
# Weekly digest per officer, monthly report per manager
# --------------------------------------------------------------------------------------------

def _limited(items: list[dict], pol: ReminderPolicy) -> dict:
    return {"items": items[: pol.digest_list_limit], "total": len(items)}


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
    for f in follow_up_records(today + dt.timedelta(days=7)):
        owner = f.owner_id or f.officer_id
        due = follow_up_rules.effective_due_on(f.due_on, f.referred_deadline)
        if owner in officers and due is not None:
            sections[owner]["follow_ups"].append({
                "company_id": f.company_id, "name": f.company_name, "what": rules._short(f.description),
                "due_on": due.isoformat(), "overdue": due < today,
            })
    for c in certificate_records(today, pol):
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

    week = rules.iso_week(today)
    created = clock.now()
    rows = []
    for officer_id in sorted(sections):
        s = sections[officer_id]
        s["visits"].sort(key=lambda i: (i["due_on"], i["company_id"]))
        s["follow_ups"].sort(key=lambda i: (i["due_on"], i["company_id"]))
        s["certificates"].sort(key=lambda i: (i["valid_until"], i["company_id"]))
        counts = {k: len(s[k]) for k in ("visits", "follow_ups", "certificates", "held")}
        if not any(counts.values()):
            continue  # empty digests are not sent
        payload = {"week": week, **{k: _limited(s[k], pol) for k in counts}}
        title = (f"每周工作摘要（{week}）：应走访 {counts['visits']}，诉求 {counts['follow_ups']}，"
                 f"证书到期 {counts['certificates']}")
        rows.append(_row(users[officer_id], rules.DIGEST_WEEKLY, "digest", week, title,
                         link=path_for("work.my_work", path_for("notifications.index")), payload=payload, created=created))
    added = insert_notifications(rows)
    _record_run(rules.DIGEST_WEEKLY, week, len(added))
    _commit_and_publish(added)
    log.info("weekly digests %s: %d new", week, len(added))
    return len(added)


def _indicator_summary(as_of: dt.date, district: str) -> list[dict] | None:
    # The indicators come from their own service; if it fails the report still goes, without them.
    try:
        from tracker.services.indicators.rollup import roll_up

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


def monthly_reports(today: dt.date | None = None) -> int:
    """One report per manager for the month of `today`: the district's indicators against targets
    (as of the day before) and overdue work by officer. Returns rows added."""
    today = today or clock.today()
    pol = policy()
    users = active_users()
    managers = [u for u in users.values() if u.role == "manager" and u.district and not u.digest_opt_out]
    month = rules.month_key(today)
    as_of = today - dt.timedelta(days=1)

    overdue: dict[str, dict[int | None, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: {"visits": 0, "follow_ups": 0}))
    for v in due_visits(None, today, pol.cadence, min_state=cadence.OVERDUE):
        overdue[v.district][v.officer_id]["visits"] += 1
    for f in follow_up_records(today - dt.timedelta(days=1)):
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
                   "officers": officers}
        title = f"{district_name(district)}{today.year}年{today.month}月工作月报（截至 {as_of.isoformat()}）"
        rows.append(_row(manager, rules.REPORT_MONTHLY, f"district:{district}", month, title,
                         link=path_for("indicators.dashboard", path_for("notifications.index")), payload=payload,
                         created=created))
    added = insert_notifications(rows)
    _record_run(rules.REPORT_MONTHLY, month, len(added))
    _commit_and_publish(added)
    log.info("monthly reports %s: %d new", month, len(added))
    return len(added)


def district_name(code: str | None) -> str:
    """The Chinese name of a district code."""
    from tracker.rules.districts import DISTRICT_NAMES

    return DISTRICT_NAMES.get(code or "", code or "")


# --------------------------------------------------------------------------------------------
# Immediate notifications from other services
# --------------------------------------------------------------------------------------------

def notify(user_ids: list[int], kind: str, subject_key: str, period: str, title: str, *, body: str = "",
           link: str | None = None, urgent: bool = False, company_id: int | None = None,
           payload: dict | None = None) -> list[int]:
    """Add notifications for these users to the caller's transaction (the caller commits).

    The send tasks are published after that commit; an existing key adds nothing.
    """
    users = active_users()
    created = clock.now()
    rows = [
        _row(users[i], kind, subject_key, period, title, body=body, link=link, urgent=urgent,
             company_id=company_id, payload=payload, created=created)
        for i in sorted(set(user_ids)) if i in users
    ]
    added = insert_notifications(rows)
    publish_after_commit([i for i, wanted in added if wanted])
    return [i for i, _ in added]


def _acting_user_id() -> int | None:
    # Only changes made by a signed-in person notify anyone: imports, the CLI, workers and
    # service-level tests stay silent.
    from flask import has_request_context
    from flask_login import current_user

    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user.id


def _follow_up_notices(session) -> list[tuple[str, FollowUp]]:
    from sqlalchemy import inspect as sa_inspect

    notices = []
    for obj in session.new:
        if isinstance(obj, FollowUp) and obj.owner_id is not None:
            notices.append(("assigned", obj))
    for obj in session.dirty:
        if not isinstance(obj, FollowUp):
            continue
        state = sa_inspect(obj)
        if state.attrs.owner_id.history.added and obj.owner_id is not None:
            notices.append(("assigned", obj))
        escalated = state.attrs.escalated_at.history
        if escalated.added and escalated.added[0] is not None and not any(escalated.deleted or []):
            notices.append(("escalated", obj))
    return notices


@event.listens_for(Session, "after_flush")
def _notify_follow_up_changes(session, _flush_context) -> None:
    """A follow-up handed to someone (on a visit, or reassigned) or escalated (督办) reaches the
    new owner / the district managers at once, not at the next morning's sweep.

    Hooked to the flush so the workflow services need not know about notifications; the rows join
    the same transaction (a rolled-back visit notifies nobody) inside a savepoint, so a problem
    here can never break the change itself.
    """
    actor = _acting_user_id()
    if actor is None:
        return
    try:
        notices = _follow_up_notices(session)
        if not notices:
            return
        connection = session.connection()
        users = {r.id: UserInfo(r.id, r.name, r.role, r.district, r.notify_mode or "immediate", bool(r.digest_opt_out))
                 for r in connection.execute(
                     select(User.id, User.name, User.role, User.district, User.notify_mode, User.digest_opt_out)
                     .where(User.active.is_(True)))}
        created = clock.now()
        rows = []
        for what, f in notices:
            company = connection.execute(select(Company.name, Company.district).where(Company.id == f.company_id)).first()
            if company is None:
                continue
            due = follow_up_rules.effective_due_on(f.due_on, f.referred_deadline)
            link = path_for("visits.follow_up", path_for("companies.show", company_id=f.company_id), follow_up_id=f.id)
            what_text = rules._short(f.description)
            if what == "assigned" and f.owner_id != actor and f.owner_id in users:
                rows.append(_row(users[f.owner_id], rules.FOLLOW_UP_ASSIGNED, f"follow_up:{f.id}", f"owner:{f.owner_id}",
                                 f"新诉求待办理：{company.name}", link=link, company_id=f.company_id, created=created,
                                 body=f"{company.name}的诉求“{what_text}”已交由您办理" + (f"，期限 {due.isoformat()}。" if due else "。")))
            elif what == "escalated" and due is not None:
                for u in users.values():
                    if u.role == "manager" and u.district == company.district and u.id != actor:
                        rows.append(_row(u, rules.FOLLOW_UP_ESCALATED, f"follow_up:{f.id}", due.isoformat(),
                                         f"诉求逾期督办：{company.name}", link=link, urgent=True, company_id=f.company_id,
                                         created=created, body=f"{company.name}的诉求“{what_text}”已逾期并提请督办，期限 {due.isoformat()}。"))
        if not rows:
            return
        with connection.begin_nested():
            added = [(r[0], bool(r[1])) for r in connection.execute(
                _insert(Notification).values(rows)
                .on_conflict_do_nothing(index_elements=["recipient_id", "kind", "subject_key", "period"])
                .returning(Notification.id, Notification.email_wanted)
            ).all()]
        publish_after_commit([i for i, wanted in added if wanted], session)
    except Exception:  # noqa: BLE001  (a notice is never worth failing the user's change)
        log.exception("could not create follow-up notifications")


def send_test_email(user: User) -> int | None:
    """A test message to the user themself (preferences page): proves the whole delivery path."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    ids = notify([user.id], rules.TEST_EMAIL, f"user:{user.id}", stamp, "测试邮件：提醒邮件可以送达",
                 body="这是一封测试邮件。收到它说明系统的提醒邮件可以送达您的邮箱。",
                 link=path_for("notifications.preferences"), urgent=True)
    audit.record(user.id, "notification.test", entity_type="user", entity_id=user.id)
    db.session.commit()
    return ids[0] if ids else None


# --------------------------------------------------------------------------------------------
# The in-app list, preferences, the administrators' outbox
# --------------------------------------------------------------------------------------------

def list_for(user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 50):
    """The user's own notifications, newest first (a page of rows and whether more exist)."""
    query = select(Notification).where(Notification.recipient_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    page = max(1, page)
    rows = db.session.scalars(query.order_by(Notification.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
    ) or 0


def get_own(user: User, notification_id: int) -> Notification:
    """A notification of this user; anyone else's is NotFound (never revealed)."""
    row = db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.recipient_id == user.id)
    )
    if row is None:
        raise NotFound("消息不存在")
    return row


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (idempotent)."""
    row = get_own(user, notification_id)
    if row.read_at is None:
        row.read_at = clock.now()
        db.session.commit()
    return row


def mark_all_read(user: User) -> int:
    """Mark all of the user's notifications read; returns how many changed."""
    result = db.session.execute(
        update(Notification).where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now()).execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def update_preferences(user: User, *, notify_mode: str, digest_opt_out: bool) -> None:
    """Change how the user receives non-urgent reminders and whether they get digests."""
    if notify_mode not in NOTIFY_MODES:
        raise ServiceError("请选择提醒方式", field="notify_mode")
    before = {"notify_mode": user.notify_mode, "digest_opt_out": user.digest_opt_out}
    user.notify_mode = notify_mode
    user.digest_opt_out = bool(digest_opt_out)
    audit.record(user.id, "user.notify_preferences", entity_type="user", entity_id=user.id, before=before,
                 after={"notify_mode": notify_mode, "digest_opt_out": bool(digest_opt_out)})
    db.session.commit()


def outbox_counts() -> dict[str, int]:
    """Rows per delivery status."""
    return {status: count for status, count in db.session.execute(
        select(Notification.status, func.count(Notification.id)).group_by(Notification.status)
    ).all()}


def outbox_rows(status: str | None, *, page: int = 1, per_page: int = 50):
    """Outbox rows (all users; administrators only), newest first, with their recipients."""
    query = select(Notification, User.email, User.name).join(User, User.id == Notification.recipient_id)
    if status:
        query = query.where(Notification.status == status)
    page = max(1, page)
    rows = db.session.execute(query.order_by(Notification.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


def retry(actor: User, notification_id: int) -> Notification:
    """Put a failed row back in the queue (the administrator's retry button)."""
    row = db.session.get(Notification, notification_id)
    if row is None:
        raise NotFound("消息不存在")
    if row.status != FAILED:
        raise ServiceError(f"只有发送失败的邮件可以重试（当前状态：{STATUS_NAMES.get(row.status, row.status)}）")
    before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, None
    audit.record(actor.id, "notification.retry", entity_type="notification", entity_id=row.id, before=before,
                 after={"status": PENDING})
    publish_after_commit([row.id])
    db.session.commit()
    return row


def retry_all_failed(actor: User) -> int:
    """Put every failed row back in the queue; returns how many."""
    ids = list(db.session.scalars(select(Notification.id).where(Notification.status == FAILED)).all())
    if not ids:
        return 0
    db.session.execute(
        update(Notification).where(Notification.id.in_(ids), Notification.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=None).execution_options(synchronize_session=False)
    )
    audit.record(actor.id, "notification.retry_all", entity_type="notification", after={"count": len(ids)})
    publish_after_commit(ids)
    db.session.commit()
    return len(ids)


def last_runs(limit: int = 10) -> list[ReminderRun]:
    """The latest completed runs (admin outbox page)."""
    return list(db.session.scalars(select(ReminderRun).order_by(ReminderRun.id.desc()).limit(limit)).all())

