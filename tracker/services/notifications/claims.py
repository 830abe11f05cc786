"""Claiming outbox rows for delivery (发送认领): leases, claim tokens and due times, channel-neutral.

Every sender (SMTP email today; WeCom / DingTalk later) delivers a row the same way:

1. `claim(id, lease)` — one atomic `UPDATE … SET status='sending', claim_token=<fresh uuid>,
   next_attempt_at=<db now + lease> WHERE id=? AND <claimable on the database clock>`, committed;
2. deliver, asking `holds(id, token, seconds)` right before the irreversible step (for SMTP: before
   DATA) whether the claim is still this sender's with enough lease left;
3. `finish(id, token, **outcome)` — an UPDATE that matches the id AND the token, so a sender whose
   lease ran out (a slow server, a paused process) cannot overwrite the current claimant's outcome.
   It is retried a few times on a fresh database connection: the outcome of a send the server has
   accepted must not be lost to a connection that dropped in between.

A drain (`drain(sender, ...)`, shared by the SMTP and the messaging senders) claims many rows in
one statement (`claim_batch`: one UPDATE … RETURNING, one token for the batch) and may record the
"sent" outcomes of several rows in one statement (`finish_batch`, retried like `finish`); a batch
whose lease runs short is extended (`renew`) while it is still this sender's, and the rows it
did not get to are given back (`release`) when the drain's time is up.

Every lease and due comparison uses the database's clock (`db_now()`: `CURRENT_TIMESTAMP` on
PostgreSQL; on SQLite, where `CURRENT_TIMESTAMP` is UTC text to the second, `strftime(...'now')`
in the same text layout SQLAlchemy stores), never a worker's own clock: workers whose clocks are
700 s apart agree on who holds a row and when a retry is due.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Protocol

from sqlalchemy import DateTime, Float, and_, case, literal, or_, select, true, update
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from tracker.extensions import db
from tracker.models import Notification
from tracker.models.notification import PENDING, SENDING, UNCERTAIN
from tracker.services.unit_of_work import unit_of_work

log = logging.getLogger("tracker.outbox")

# Pauses between the tries of recording an outcome (seconds); MAIL_FINISH_TRIES bounds the tries.
FINISH_PAUSES = (0.5, 2.0, 4.0, 8.0)
_LOST_CONNECTION = (OperationalError, InterfaceError, DisconnectionError)


class db_now(FunctionElement):  # noqa: N801  (used like a SQL function: db_now(), db_now(600))
    """The database's current instant plus `seconds` (may be negative), as a timestamp expression."""

    type = DateTime(timezone=True)
    inherit_cache = True
    name = "db_now"

    def __init__(self, seconds: float = 0.0):
        super().__init__(literal(float(seconds), Float))


@compiles(db_now)
def _db_now_default(element, compiler, **kw):
    seconds = compiler.process(list(element.clauses)[0], **kw)
    return f"(CURRENT_TIMESTAMP + {seconds} * INTERVAL '1 second')"


@compiles(db_now, "sqlite")
def _db_now_sqlite(element, compiler, **kw):
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here); %f gives
    # 'SS.SSS', so three zeros complete the microseconds and text comparison orders correctly.
    seconds = compiler.process(list(element.clauses)[0], **kw)
    return f"(strftime('%Y-%m-%d %H:%M:%f', 'now', ({seconds}) || ' seconds') || '000')"


def claimable(channels: tuple[str, ...] | None = None):
    """Rows a sender may claim now, on the database clock: pending and due (backoff honoured),
    uncertain past their wait, or sending past their lease (the claimant died or stalled).
    `channels`: only rows of these channels (each sender claims its own)."""
    now = db_now()
    return and_(
        Notification.email_wanted.is_(True),
        Notification.channel.in_(channels) if channels else true(),
        or_(
            and_(Notification.status == PENDING,
                 or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)),
            and_(Notification.status.in_((SENDING, UNCERTAIN)), Notification.next_attempt_at <= now),
        ),
    )


def due_ids(limit: int = 100, channels: tuple[str, ...] | None = None) -> list[int]:
    """Rows that can be claimed now (database clock), oldest first."""
    return list(db.session.scalars(
        select(Notification.id).where(claimable(channels)).order_by(Notification.id).limit(limit)
    ).all())


def claim(notification_id: int, lease_seconds: float, channels: tuple[str, ...] | None = None) -> str | None:
    """Atomically take a row for sending; its fresh claim token, or None if it is sent, being sent
    by a live claimant, or not due yet.

    The claim is its own short unit of work, committed before anything is sent: that commit is
    what keeps a second sender off the row, and what a stalled sender's lease runs out from.
    """
    token = str(uuid.uuid4())
    with unit_of_work():
        result = db.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, claimable(channels))
            .values(status=SENDING, claim_token=token, attempts=Notification.attempts + 1,
                    next_attempt_at=db_now(lease_seconds))
            .execution_options(synchronize_session=False)
        )
    return token if result.rowcount == 1 else None


def holds(notification_id: int, token: str, seconds: float = 0.0) -> bool:
    """Whether the claim is still `token`'s with at least `seconds` of its lease left (database clock)."""
    with unit_of_work():
        found = db.session.scalar(
            select(Notification.id).where(
                Notification.id == notification_id, Notification.claim_token == token,
                Notification.status == SENDING, Notification.next_attempt_at >= db_now(seconds),
            )
        )
    return found is not None


@dataclass(frozen=True)
class Finished:
    """What recording an outcome did: whether the row was still ours, and how many retries it took."""

    recorded: bool
    retries: int = 0


def finish(notification_id: int, token: str, *, tries: int = 3, **values) -> Finished:
    """Record a claimed row's outcome, only while the claim is still `token`'s.

    Each try is its own unit of work; a lost database connection (terminated backend, restart,
    failover) is retried up to `tries` times on a fresh connection, with short pauses, and the row
    notes it. Raises the last error if every try failed (the row then stays "sending" and is
    claimed again after its lease). Returns recorded=False when another claimant holds the row now.
    """
    def record(values: dict) -> set[int]:
        result = db.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.claim_token == token,
                   Notification.status == SENDING)
            .values(**values).execution_options(synchronize_session=False)
        )
        return {notification_id} if result.rowcount == 1 else set()

    recorded, retries = _record_retrying(record, values, tries, str(notification_id))
    if not recorded:
        log.warning("notification %s: claim %s no longer holds the row; outcome %s not recorded",
                    notification_id, token, values.get("status"))
    return Finished(bool(recorded), retries)


def finish_batch(token: str, per_row: dict[int, dict], *, tries: int = 3, **values) -> set[int]:
    """Record one outcome (`values`) for many rows of a batch in one UPDATE, each row with its own
    `per_row` columns (e.g. its Message-ID), only where the claim is still `token`'s; retried on a
    fresh connection like `finish`. The ids recorded (a row another claimant holds now is not)."""
    if not per_row:
        return set()
    ids = sorted(per_row)
    columns = {name for row in per_row.values() for name in row}

    def record(values: dict) -> set[int]:
        own = {name: case({i: per_row[i].get(name) for i in ids}, value=Notification.id) for name in columns}
        return set(db.session.scalars(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.claim_token == token, Notification.status == SENDING)
            .values(**values, **own).returning(Notification.id).execution_options(synchronize_session=False)
        ).all())

    recorded, _ = _record_retrying(record, values, tries, f"{ids[0]}..{ids[-1]} ({len(ids)} rows)")
    if len(recorded) < len(ids):
        log.warning("notifications %s: claim %s no longer holds them; outcome %s not recorded",
                    sorted(set(ids) - recorded), token, values.get("status"))
    return recorded


def _record_retrying(record: Callable[[dict], set[int]], values: dict, tries: int, what: str) -> tuple[set[int], int]:
    """Run `record(values)` as its own unit of work, retried on a fresh connection when the
    connection is lost (the rows then note the retries); (ids recorded, retries)."""
    tries = max(1, int(tries))
    for attempt in range(tries):
        if attempt:
            note = f"记录结果时数据库连接中断，已在新连接上重试 {attempt} 次"
            values = {**values, "last_error": f"{values['last_error']}；{note}" if values.get("last_error") else note}
        try:
            with unit_of_work():
                recorded = record(values)
        except _LOST_CONNECTION as exc:
            if attempt + 1 >= tries:
                log.error("notification %s: recording %s failed %d times, the lease will bring it back: %s",
                          what, values.get("status"), tries, exc)
                raise
            pause = FINISH_PAUSES[min(attempt, len(FINISH_PAUSES) - 1)]
            log.warning("notification %s: database connection lost while recording %s; retry %d in %.1fs: %s",
                        what, values.get("status"), attempt + 1, pause, exc)
            db.session.close()  # give the connection back; the pool discards it when it is dead
            time.sleep(pause)
            continue
        if recorded and attempt:
            log.warning("notification %s: outcome %s recorded after %d retr%s on a fresh connection",
                        what, values.get("status"), attempt, "y" if attempt == 1 else "ies")
        return recorded, attempt
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Batches: many rows claimed in one statement, given back when a drain stops early
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Batch:
    """Rows claimed together: one claim token for all of them, their ids in order."""

    token: str
    ids: list[int]


def claim_batch(limit: int, lease_seconds: float, channels: tuple[str, ...] | None = None,
                after: int = 0) -> Batch:
    """Atomically take up to `limit` claimable rows with ids above `after`, oldest first, in one
    UPDATE … RETURNING committed before anything is sent. On PostgreSQL rows another sender is
    claiming right now are skipped (FOR UPDATE SKIP LOCKED), so concurrent drains take disjoint
    batches instead of waiting for each other."""
    token = str(uuid.uuid4())
    picked = (select(Notification.id).where(claimable(channels), Notification.id > after)
              .order_by(Notification.id).limit(limit))
    if db.engine.dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    # A CTE, so the pick runs once: PostgreSQL may re-run an IN (subquery ... FOR UPDATE) for each
    # row it updates, and each run would skip the rows just taken and take `limit` more.
    picked = picked.cte("picked")
    with unit_of_work():
        ids = db.session.scalars(
            update(Notification)
            .where(Notification.id.in_(select(picked.c.id)), claimable(channels))
            .values(status=SENDING, claim_token=token, attempts=Notification.attempts + 1,
                    next_attempt_at=db_now(lease_seconds))
            .returning(Notification.id).execution_options(synchronize_session=False)
        ).all()
    return Batch(token, sorted(ids))


def renew(token: str, lease_seconds: float) -> int:
    """Extend the lease of the rows still claimed with `token` to `lease_seconds` from now
    (database clock); how many. A row another sender has claimed since has another token: it is
    not touched, and its send is refused by `holds`."""
    with unit_of_work():
        result = db.session.execute(
            update(Notification)
            .where(Notification.claim_token == token, Notification.status == SENDING)
            .values(next_attempt_at=db_now(lease_seconds)).execution_options(synchronize_session=False)
        )
    return result.rowcount


def release(ids: list[int], token: str) -> int:
    """Give back claimed rows that were not tried (a drain out of time): pending and due at once,
    the claim's attempt not counted; only rows still claimed with `token`."""
    if not ids:
        return 0
    with unit_of_work():
        result = db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.claim_token == token, Notification.status == SENDING)
            .values(status=PENDING, claim_token=None, next_attempt_at=None, attempts=Notification.attempts - 1)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount


# --------------------------------------------------------------------------------------------
# The drain loop every sender shares
# --------------------------------------------------------------------------------------------

class Sender(Protocol):
    """A channel's side of a drain: take the next rows, send one, give back, record what is held."""

    def take(self, tried: set[int]) -> list[int]:
        """The next rows to send (claimed now, or to be claimed one by one); empty when done."""

    def send(self, notification_id: int) -> str:
        """Deliver one row of the last `take`; its outcome's status."""

    def give_back(self, ids: list[int]) -> None:
        """Rows of the last `take` the drain will not try (its time is up)."""

    def close(self) -> None:
        """The drain is over: record any outcome still held."""


def drain(sender: Sender, time_budget: float | None, stopwatch: Callable[[], float],
          logger: logging.Logger = log) -> dict[str, int]:
    """Send every row `sender` takes until none is left or `time_budget` is spent; counts by outcome.

    The budget is checked before each row, so a drain overruns it by at most one send; a row is
    tried at most once per drain; one row's unexpected error never stops the others (each write
    of a send is a unit of work that has rolled itself back, and the lease brings the row back).
    """
    started = stopwatch()
    counts: dict[str, int] = {}
    tried: set[int] = set()

    def spent() -> bool:
        return time_budget is not None and stopwatch() - started >= time_budget

    try:
        while not spent():
            ids = sender.take(tried)
            if not ids:
                break
            for position, notification_id in enumerate(ids):
                if spent():
                    sender.give_back(ids[position:])
                    return counts
                tried.add(notification_id)
                try:
                    outcome = sender.send(notification_id)
                except Exception:  # noqa: BLE001  (e.g. the database blinked: the lease brings it back)
                    logger.exception("sending notification %s failed unexpectedly", notification_id)
                    outcome = "error"
                counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        sender.close()
    return counts
