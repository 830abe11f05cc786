"""Outbox rows (发件箱记录): who receives them, the row a notice becomes, the idempotent INSERT.

Shared by the sweep, the digests and reports, and the immediate notifications. A row is unique on
(recipient, kind, subject, period): inserting a key that exists adds nothing, so every producer
may run twice. The emails of the rows added are queued on the unit of work
(`queue_emails`), which publishes them once the transaction has committed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache

# Links in notifications are app paths built from the URL map, also where no request exists
# (the sweep runs in workers and the CLI).
from flask import current_app
from sqlalchemy import JSON, select, text

from tracker.extensions import db
from tracker.models import ChannelDefault, Notification, User
from tracker.models.notification import EMAIL, PENDING, SKIPPED, WECOM_APP
from tracker.rules import channels as channel_rules
from tracker.rules import reminders as rules
from tracker.services.unit_of_work import publish_after_commit
from tracker.services.upsert import dialect_insert

EXECUTE_CHUNK = 5000  # parameter sets per execute(): bounds memory, not round trips
JSON_CHUNK = 20_000  # rows per set-based INSERT on PostgreSQL: bounds the JSON text's memory
UNIQUE_KEY = ["recipient_id", "kind", "subject_key", "period", "channel"]
ROBOT_KEY = ["robot_id", "kind", "subject_key", "period"]


@dataclass(frozen=True)
class UserInfo:
    """What deciding a notification's recipient and email needs to know about an account."""

    id: int
    name: str
    role: str
    district: str | None
    notify_mode: str
    digest_opt_out: bool
    email: str | None = None
    wecom_userid: str | None = None
    preferences: dict | None = None  # {kind: mode} (tracker.rules.channels)
    role_defaults: dict | None = None  # {(role, kind): mode}, one dict shared by every user of a query


def wecom_configured() -> bool:
    """Whether 企业微信 application messages can be sent (corp id, agent id and secret set)."""
    config = current_app.config
    return bool(config.get("WECOM_CORP_ID") and config.get("WECOM_AGENT_ID") and config.get("WECOM_SECRET"))


def role_defaults() -> dict[tuple[str, str], str]:
    """The administrators' default channel per (role, kind), in one query."""
    return {(r.role, r.kind): r.mode for r in db.session.execute(select(ChannelDefault.role, ChannelDefault.kind, ChannelDefault.mode))}


def active_users(*where) -> dict[int, UserInfo]:
    """Active accounts (notifications only go to active users), optionally narrowed, in one query."""
    rows = db.session.execute(
        select(User.id, User.name, User.role, User.district, User.notify_mode, User.digest_opt_out, User.email,
               User.wecom_userid, User.channel_preferences)
        .where(User.active.is_(True), *where)
    ).all()
    defaults = role_defaults()
    return {r.id: UserInfo(r.id, r.name, r.role, r.district, r.notify_mode or "immediate", bool(r.digest_opt_out),
                           r.email, r.wecom_userid, r.channel_preferences, defaults)
            for r in rows}


def path_for(endpoint: str, fallback: str = "/", **values) -> str:
    """An app path for an endpoint without a request; `fallback` if the endpoint is not registered."""
    if endpoint not in current_app.view_functions:
        return fallback
    return _adapter(current_app.url_map).build(endpoint, values)


@lru_cache(maxsize=8)
def _adapter(url_map):
    # Bound once per URL map: a sweep builds a link for each of 100,000+ reminders.
    return url_map.bind("localhost", script_name="/")


def new_row(user: UserInfo, kind: str, subject_key: str, period: str, title: str, *, body: str = "",
            link: str | None = None, urgent: bool = False, company_id: int | None = None,
            payload: dict | None = None, created: dt.datetime, choices: dict | None = None) -> dict:
    """The values of one outbox row for `user` (its `email` row, also the one shown in the app), with
    whether it is emailed; under "_extra" the rows of the other channels the user chose (企业微信).
    `choices`: a dict kept by a caller making many rows, so each (user, kind, urgent) is decided once."""
    key = (user.id, kind, urgent)
    chosen = choices.get(key) if choices is not None else None
    if chosen is None:
        chosen = _channels(user, kind, urgent)
        if choices is not None:
            choices[key] = chosen
    row = dict(
        recipient_id=user.id, kind=kind, subject_key=subject_key, period=period, company_id=company_id,
        title=title[:255], body=body, link=link, payload=payload, urgent=urgent, email_wanted=chosen.email,
        # A reminder a user wants only in the app (digest mode) is never picked up by the sender.
        status=PENDING if chosen.email else SKIPPED, attempts=0, created_at=created, channel=EMAIL,
        last_error=chosen.note,
    )
    if chosen.wecom:
        row["_extra"] = [{**row, "channel": WECOM_APP, "email_wanted": True, "status": PENDING, "last_error": None}]
    return row


def _channels(user: UserInfo, kind: str, urgent: bool):
    wanted = rules.email_wanted(kind, urgent, user.notify_mode, user.digest_opt_out)
    mode = channel_rules.mode_for(kind, user.role, user.preferences, user.role_defaults or {})
    return channel_rules.delivery(mode, wanted, has_email=user.email is None or bool(user.email),
                                  wecom_ready=bool(user.wecom_userid) and wecom_configured())


def _flat(rows: list[dict]) -> list[dict]:
    """Each row, then the rows of its other channels ("_extra"), every one with the same keys."""
    flat = []
    for row in rows:
        extra = row.get("_extra")
        flat.append({k: v for k, v in row.items() if k != "_extra"} if extra is not None else row)
        flat.extend(extra or ())
    return flat


def insert_notifications(rows: list[dict]) -> list[tuple[int, bool]]:
    """INSERT outbox rows (with their other channels' rows), skipping any whose key exists;
    (id, email_wanted) of the rows added — `email_wanted` there means "to be delivered"."""
    return [(row[0], bool(row[1])) for row in insert_returning(rows)]


def insert_returning(rows: list[dict], *columns) -> list:
    """INSERT outbox rows as `insert_notifications` does; for each row added (id, email_wanted, *columns),
    in no particular order."""
    rows = _flat(rows)
    if not rows:
        return []
    if db.engine.dialect.name == "postgresql":
        return _insert_from_json(rows, columns)
    # SQLite: one compiled statement executed with many parameter sets (SQLAlchemy's
    # "insertmanyvalues" batches them into multi-row INSERT ... RETURNING).
    statement = (
        dialect_insert(Notification)
        .on_conflict_do_nothing(index_elements=UNIQUE_KEY)
        .returning(Notification.id, Notification.email_wanted, *columns)
    )
    added: list = []
    for start in range(0, len(rows), EXECUTE_CHUNK):
        added += db.session.execute(statement, rows[start:start + EXECUTE_CHUNK]).all()
    return added


def _insert_from_json(rows: list[dict], columns) -> list:
    """PostgreSQL: the rows sent as one JSON array and turned back into rows by the server,
    `INSERT … SELECT … FROM json_populate_recordset(NULL::notification, …) ON CONFLICT DO NOTHING
    RETURNING`: one statement and one parameter per chunk, its column types those of the table.

    Why: a sweep of a 100,000-company city writes tens of thousands of rows. As parameter sets,
    SQLAlchemy binds and PostgreSQL parses them a thousand rows at a time, each value its own
    parameter (the outbox INSERT was 55 of the sweep's 80 s, docs/benchmarks.md); as one array per
    column, psycopg's escaping of every text element took most of the time; as JSON, the encoding
    and the decoding both run in C.
    """
    table = Notification.__table__
    quote = db.engine.dialect.identifier_preparer.quote
    names = list(rows[0])
    selected = []
    for name in names:
        column_type = table.c[name].type
        # JSON null reads back as SQL NULL here; the ORM stores None as JSON null unless the
        # column says none_as_null, and so does this.
        if isinstance(column_type, JSON) and not column_type.none_as_null:
            selected.append(f"coalesce(source.{quote(name)}, 'null'::json)")
        else:
            selected.append(f"source.{quote(name)}")
    returned = ["id", "email_wanted", *(column.name for column in columns)]
    statement = text(
        f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))}) "
        f"SELECT {', '.join(selected)} FROM json_populate_recordset(NULL::{quote(table.name)}, CAST(:rows AS json)) AS source "
        f"ON CONFLICT ({', '.join(map(quote, UNIQUE_KEY))}) DO NOTHING "
        f"RETURNING {', '.join(map(quote, returned))}"
    )
    added: list = []
    for start in range(0, len(rows), JSON_CHUNK):
        # ASCII with \u escapes, as the ORM writes a JSON column (the json type keeps the text as given).
        chunk = json.dumps(rows[start:start + JSON_CHUNK], default=_json_value)
        added += db.session.execute(statement, {"rows": chunk}).all()
    return added


def _json_value(value):
    """What json.dumps cannot encode itself: dates and times, as ISO 8601 (with their UTC offset)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(f"an outbox row holds a {type(value).__name__}, which has no JSON form")


def insert_robot_rows(rows: list[dict]) -> list[int]:
    """INSERT group robot rows (no recipient), skipping any whose robot key exists; the ids added."""
    if not rows:
        return []
    statement = (
        dialect_insert(Notification).on_conflict_do_nothing(index_elements=ROBOT_KEY).returning(Notification.id)
    )
    return [row[0] for row in db.session.execute(statement, rows).all()]


def queue_emails(added: list[tuple[int, bool]]) -> None:
    """Have the rows added that are emailed published to the workers after the commit."""
    publish_after_commit([i for i, wanted in added if wanted])


def add_notifications(rows: list[dict]) -> list[int]:
    """Insert these rows (existing keys add nothing) and queue their emails; the ids added."""
    added = insert_notifications(rows)
    queue_emails(added)
    return [i for i, _ in added]
