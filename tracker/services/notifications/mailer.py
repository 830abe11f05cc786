"""Delivering the outbox (邮件发送): claim a row, render it, send it, record the outcome.

Exactly-once is impossible with SMTP; this is at-least-once with a narrow window:

1. claim: `UPDATE ... SET status='sending', lease WHERE id=? AND (pending and due, or sending
   with an expired lease)` — committed, so two workers (or a redelivered task, or the periodic
   `send_pending`) never send the same row at the same time;
2. render and deliver (SMTP, or an .eml file named after the row when MAIL_SERVER is unset, so
   a second delivery overwrites the first: tracker.services.notifications.mail_folder);
3. mark sent (committed).

A worker killed before the SMTP server accepted the message leaves the row "sending"; after the
lease (MAIL_SEND_LEASE_SECONDS) it is claimed again and sent once. The window: a worker killed
*after* the server answered 250 but *before* step 3 committed sends the message again after the
lease — the recipient gets a second copy with the same Message-ID (mail clients that deduplicate
on it show one). That window is the time of one database commit.

Temporary failures (connection refused, timeouts, 4xx) go back to pending with an exponential,
jittered backoff capped below the broker's visibility timeout; permanent ones (5xx) and template
errors are marked failed with the error, shown to administrators with a retry button. One bad
row never stops the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

# Delivery needs the app: the MAIL_* config, and the email templates rendered by Flask's Jinja.
from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import and_, or_, select, update

from tracker import clock
from tracker.extensions import db
from tracker.models import Notification, User
from tracker.models.notification import FAILED, PENDING, SENDING, SENT, SKIPPED
from tracker.rules import reminders as rules
from tracker.services.notifications.mail_folder import write_eml
from tracker.services.notifications.rows import path_for
from tracker.services.unit_of_work import unit_of_work

log = logging.getLogger("tracker.mailer")

# The mailer's clock (claims, leases, backoff). Tests replace it to step past a backoff instead
# of sleeping through it.
now = clock.now


class TemporaryFailure(Exception):
    """Worth retrying later: the server is busy or unreachable."""


class PermanentFailure(Exception):
    """Retrying will not help: the server refused the message or the recipient."""


@dataclass
class Outcome:
    status: str  # sent | retry | failed | skipped | not_claimed
    retry_in: float | None = None
    error: str | None = None


# --------------------------------------------------------------------------------------------
# Claiming
# --------------------------------------------------------------------------------------------

def _claimable(now: dt.datetime):
    return and_(
        Notification.email_wanted.is_(True),
        or_(
            and_(Notification.status == PENDING,
                 or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now)),
            # A row left "sending" past its lease belongs to a worker that died mid-send.
            and_(Notification.status == SENDING, Notification.next_attempt_at <= now),
        ),
    )


def claim(notification_id: int) -> bool:
    """Atomically take a row for sending; False if it is sent, being sent, or not due yet.

    The claim is its own short unit of work, committed before anything is sent: that commit is
    what keeps a second worker off the row, and what a crashed worker's lease runs out from.
    """
    moment = now()
    lease = float(current_app.config["MAIL_SEND_LEASE_SECONDS"])
    with unit_of_work():
        result = db.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, _claimable(moment))
            .values(status=SENDING, attempts=Notification.attempts + 1,
                    next_attempt_at=moment + dt.timedelta(seconds=lease))
            .execution_options(synchronize_session=False)
        )
    return result.rowcount == 1


def _finish(notification_id: int, **values) -> None:
    # The outcome is its own short unit of work too, committed as soon as it is known (the crash
    # window between "the server accepted" and "recorded as sent" is this one commit). Only the
    # claimant's "sending" row is updated: an administrator's change in between wins.
    with unit_of_work():
        db.session.execute(
            update(Notification).where(Notification.id == notification_id, Notification.status == SENDING)
            .values(**values).execution_options(synchronize_session=False)
        )


def due_ids(limit: int = 100) -> list[int]:
    """Rows that can be claimed now, oldest first."""
    return list(db.session.scalars(
        select(Notification.id).where(_claimable(now())).order_by(Notification.id).limit(limit)
    ).all())


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

def base_url() -> str:
    """APP_BASE_URL without a trailing slash: the root of every link in an email."""
    return current_app.config["APP_BASE_URL"].rstrip("/")


def _template(kind: str, ext: str) -> str:
    name = f"emails/{kind}.{ext}"
    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return f"emails/reminder.{ext}"
    return name


def render(notification: Notification, recipient: User) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of a notification, in Chinese, with absolute links."""
    root = base_url()
    context = {
        "n": notification, "user": recipient, "payload": notification.payload or {},
        "kind_name": rules.KIND_NAMES.get(notification.kind, notification.kind),
        "link": root + (notification.link or path_for("notifications.index")),
        "base_url": root,
        "inbox_url": root + path_for("notifications.index"),
        "preferences_url": root + path_for("notifications.preferences"),
        "company_url": lambda company_id: root + path_for("companies.show", company_id=company_id),
        "app_url": lambda path: root + (path or "/"),
    }
    subject = f"【科技企业培育】{notification.title}"
    text = render_template(_template(notification.kind, "txt"), **context)
    html = render_template(_template(notification.kind, "html"), **context)
    return subject, text, html


def build_message(notification: Notification, recipient: User) -> EmailMessage:
    """The MIME message (plain text + HTML alternative) with a Message-ID stable per row."""
    subject, text, html = render(notification, recipient)
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = (parseaddr(sender)[1].rpartition("@")[2] or "tracker.local").strip() or "tracker.local"
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = formataddr((recipient.name, recipient.email))
    message["Date"] = format_datetime(now())
    # Stable per row: a copy sent again after a crash carries the same id, so clients can dedupe.
    message["Message-ID"] = f"<notification-{notification.id}@{domain}>"
    message["X-Tracker-Notification"] = str(notification.id)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


# --------------------------------------------------------------------------------------------
# Delivery
# --------------------------------------------------------------------------------------------

def _classify(code: int, text: str) -> Exception:
    if 400 <= code < 500:
        return TemporaryFailure(f"SMTP {code} {text}")
    if code >= 500:
        return PermanentFailure(f"SMTP {code} {text}")
    return TemporaryFailure(f"SMTP {code} {text}")


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class _SharedConnection:
    """One SMTP connection kept open across the messages of a drain (see `reused_connection`)."""

    smtp: smtplib.SMTP | None = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


_SHARED: ContextVar[_SharedConnection | None] = ContextVar("tracker_smtp_shared", default=None)


@contextmanager
def reused_connection():
    """Send the messages of this block over one SMTP connection instead of one each.

    A refused recipient leaves the connection usable (the server answered RCPT); any other error
    drops it and the next message connects afresh, so one bad message still never stops the rest.
    """
    shared = _SharedConnection()
    token = _SHARED.set(shared)
    try:
        yield
    finally:
        _SHARED.reset(token)
        shared.close()


def _connect() -> smtplib.SMTP:
    config = current_app.config
    timeout = float(config.get("MAIL_TIMEOUT_SECONDS", 30))
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    smtp = smtp_class(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=timeout)
    try:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_smtp(message: EmailMessage) -> None:
    """Send over SMTP; raises TemporaryFailure or PermanentFailure."""
    config = current_app.config
    sender = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
    recipient = parseaddr(message["To"])[1]
    shared = _SHARED.get()
    smtp = None
    try:
        smtp = shared.smtp if shared is not None and shared.smtp is not None else _connect()
        if shared is not None:
            shared.smtp = smtp
        smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
    except smtplib.SMTPRecipientsRefused as exc:
        if shared is None:  # the server answered RCPT: the connection itself is fine
            _quit(smtp)
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
        if codes and all(400 <= c < 500 for c in codes):
            raise TemporaryFailure(f"收件人暂时被拒：{detail}") from exc
        raise PermanentFailure(f"收件人被拒：{detail}") from exc
    except smtplib.SMTPResponseException as exc:
        _drop(shared, smtp)
        raise _classify(exc.smtp_code, _text(exc.smtp_error)) from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, disconnected
        _drop(shared, smtp)
        raise TemporaryFailure(f"无法连接邮件服务器：{exc!r}") from exc
    if shared is None:
        _quit(smtp)


def _quit(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _drop(shared: _SharedConnection | None, smtp: smtplib.SMTP | None) -> None:
    """After an error the connection's state is unknown: close it (the next message reconnects)."""
    if shared is not None and shared.smtp is smtp:
        shared.smtp = None
    if smtp is not None:
        smtp.close()


def deliver(message: EmailMessage, notification_id: int) -> None:
    """SMTP when MAIL_SERVER is set, else an .eml file in MAIL_FOLDER (the embedded default)."""
    if current_app.config.get("MAIL_SERVER"):
        send_smtp(message)
    else:
        try:
            write_eml(message, notification_id)
        except OSError as exc:
            raise TemporaryFailure(f"无法写入邮件目录：{exc!r}") from exc


def backoff_cap() -> float:
    """The longest retry delay: the configured maximum, and at most half the visibility timeout.

    With Redis, a message held longer than the visibility timeout is delivered again, so a retry
    countdown must stay well below it.
    """
    cap = float(current_app.config["MAIL_BACKOFF_MAX_SECONDS"])
    options = current_app.config.get("CELERY", {}).get("broker_transport_options") or {}
    visibility = options.get("visibility_timeout")
    return min(cap, float(visibility) / 2) if visibility else cap


class _Unrenderable(Exception):
    """The row's email could not be rendered (a template error): it fails, the others go on."""


def _prepare(notification_id: int) -> tuple[EmailMessage, int] | Outcome:
    """The message of a claimed row and its attempt count, or the outcome when there is none to send."""
    row = db.session.get(Notification, notification_id, populate_existing=True)
    if row is None:
        return Outcome("not_claimed")
    user = db.session.get(User, row.recipient_id)
    if user is None or not user.active or not user.email:
        _finish(notification_id, status=SKIPPED, last_error="收件人账号已停用或没有邮箱")
        return Outcome("skipped")
    try:
        return build_message(row, user), row.attempts
    except Exception as exc:  # noqa: BLE001  (a template error fails this row only)
        raise _Unrenderable(repr(exc)) from exc


def send_one(notification_id: int) -> Outcome:
    """Claim, render, deliver and record one row. Never raises for a delivery problem."""
    if not claim(notification_id):
        return Outcome("not_claimed")
    try:
        # Reading and rendering is one unit that ends before the SMTP conversation starts: no
        # database transaction stays open while a mail server takes its time.
        with unit_of_work():
            prepared = _prepare(notification_id)
    except _Unrenderable as exc:
        log.exception("rendering notification %s failed", notification_id)
        _finish(notification_id, status=FAILED, last_error=f"邮件模板错误：{exc}")
        return Outcome("failed", error=str(exc))
    if isinstance(prepared, Outcome):
        return prepared
    message, attempts = prepared
    try:
        try:
            deliver(message, notification_id)
        except (TemporaryFailure, PermanentFailure):
            raise
        except Exception as exc:  # noqa: BLE001  (unexpected: retried, and failed after MAIL_MAX_ATTEMPTS)
            log.exception("delivering notification %s failed unexpectedly", notification_id)
            raise TemporaryFailure(f"发送时出错：{exc!r}") from exc
    except TemporaryFailure as exc:
        if attempts >= int(current_app.config["MAIL_MAX_ATTEMPTS"]):
            _finish(notification_id, status=FAILED, last_error=f"重试 {attempts} 次后仍失败：{exc}")
            return Outcome("failed", error=str(exc))
        delay = rules.backoff_seconds(attempts, float(current_app.config["MAIL_BACKOFF_BASE_SECONDS"]), backoff_cap())
        _finish(notification_id, status=PENDING, last_error=str(exc),
                next_attempt_at=now() + dt.timedelta(seconds=delay))
        log.warning("notification %s: temporary failure (attempt %d), retry in %.1fs: %s", notification_id, attempts, delay, exc)
        return Outcome("retry", retry_in=delay, error=str(exc))
    except PermanentFailure as exc:
        _finish(notification_id, status=FAILED, last_error=str(exc))
        log.warning("notification %s: permanent failure: %s", notification_id, exc)
        return Outcome("failed", error=str(exc))
    _finish(notification_id, status=SENT, sent_at=now(), next_attempt_at=None, last_error=None)
    return Outcome("sent")


def drain(time_budget: float | None = None, batch: int = 100) -> dict[str, int]:
    """Send every row that can be claimed now (the periodic safety net and `flask reminders send`).

    Stops when nothing is due or the time budget is spent (a task must finish well within the
    broker's visibility timeout). Rows retried with backoff are not due yet and are left for later.
    """
    with reused_connection():
        return _drain(time_budget, batch)


def _drain(time_budget: float | None, batch: int) -> dict[str, int]:
    started = time.monotonic()
    counts: dict[str, int] = {}
    tried: set[int] = set()
    while True:
        ids = [i for i in due_ids(batch) if i not in tried]
        if not ids:
            break
        for notification_id in ids:
            tried.add(notification_id)
            try:
                outcome = send_one(notification_id).status
            except Exception:  # noqa: BLE001  (e.g. the database blinked: the lease brings it back)
                # Every write of send_one is a unit of work that has rolled itself back already.
                log.exception("sending notification %s failed unexpectedly", notification_id)
                outcome = "error"
            counts[outcome] = counts.get(outcome, 0) + 1
            if time_budget is not None and time.monotonic() - started > time_budget:
                return counts
    return counts
