"""Delivering the outbox by email (邮件发送): claim a row, render it, send it, record the outcome.

Exactly-once is impossible with SMTP; this is at-least-once with narrow, bounded windows. The
claim, the lease, the claim token and the database clock are tracker.services.notifications.claims
(channel-neutral); this module is the SMTP sender:

1. claim the row (a fresh token, a lease of MAIL_SEND_LEASE_SECONDS on the database clock);
2. render it and talk SMTP with a timeout per phase (connect; each command; the reply to the final
   "." up to MAIL_DATA_TIMEOUT_SECONDS, RFC 5321 §4.5.3.2) and a hard deadline on the whole
   conversation at their sum, which the lease must comfortably outlast (checked at start-up);
   right before DATA, the claim is checked again: a sender paused past its lease sends nothing;
3. record the outcome with the token (retried on a fresh database connection when it dropped).

Outcomes: 250 → sent. A timeout or a dropped connection while waiting for the reply to the final
"." is *uncertain*: the server may have stored the message, so the row keeps its Message-ID and is
not resent before MAIL_UNCERTAIN_WAIT_SECONDS, then resent with the same Message-ID. Temporary
failures (connection refused, timeouts before the text was complete, 4xx) go back to pending with
an exponential, jittered backoff capped below the broker's visibility timeout; permanent ones (5xx)
and template errors are marked failed with the error, shown to administrators with a retry button.
One bad row never stops the others.

What remains: a sender killed (or its database unreachable for longer than the finishing retries)
after the server's 250 and before "sent" is recorded sends the row again after the lease, with the
same Message-ID; an uncertain row is resent after the wait. Without MAIL_SERVER, the message is an
.eml file named after the row, so a second delivery overwrites the first.
"""

from __future__ import annotations

import base64
import logging
import random
import smtplib
import socket
import threading
import sys
import time
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from email import message_from_bytes
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, parseaddr
from typing import Callable

# Delivery needs the app: the MAIL_* config, and the email templates rendered by Flask's Jinja.
from flask import current_app
from jinja2 import Template, TemplateNotFound
from sqlalchemy import select

from tracker import clock
from tracker.config import longest_send_seconds
from tracker.extensions import db
from tracker.models import Notification, User
from tracker.models.notification import EMAIL, FAILED, PENDING, SENT, SKIPPED, UNCERTAIN
from tracker.rules import reminders as rules
from tracker.rules import text as text_rules
from tracker.services.notifications import claims
from tracker.services.notifications.claims import db_now
from tracker.services.notifications.mail_folder import write_eml
from tracker.services.notifications.rows import path_for
from tracker.services.unit_of_work import unit_of_work

log = logging.getLogger("tracker.mailer")

# The worker's own clock, used only for the Date header: leases, due times and backoff are on the
# database clock (claims.db_now). Tests replace it to prove that a skewed worker clock changes nothing.
now = clock.now
# This sender claims only email rows (the messenger delivers the other channels).
EMAIL_ONLY = (EMAIL,)
# The drain's stopwatch for its time budget (tests replace it).
monotonic = time.monotonic


class TemporaryFailure(Exception):
    """Worth retrying later: the server is busy or unreachable, and has not got the message."""


class PermanentFailure(Exception):
    """Retrying will not help: the server refused the message or the recipient."""


class AmbiguousOutcome(Exception):
    """The whole text was sent but no reply to the final "." came: the server may have the message."""


class ClaimLost(Exception):
    """Right before DATA the claim was no longer ours (lease expired, another sender took the row)."""


@dataclass
class Outcome:
    status: str  # sent | retry | uncertain | failed | skipped | not_claimed | claim_lost
    retry_in: float | None = None
    error: str | None = None


# --------------------------------------------------------------------------------------------
# Claiming (tracker.services.notifications.claims; kept here under the names callers use)
# --------------------------------------------------------------------------------------------

def lease_seconds() -> float:
    return float(current_app.config["MAIL_SEND_LEASE_SECONDS"])


def claim(notification_id: int) -> str | None:
    """Take a row for sending: its claim token, or None (see claims.claim)."""
    return claims.claim(notification_id, lease_seconds(), EMAIL_ONLY)


def _finish(notification_id: int, token: str, **values) -> claims.Finished:
    # Each outcome is its own short unit of work, committed as soon as it is known, matched on the
    # claim token (an administrator's change or a newer claimant wins), retried on a fresh
    # connection when the database connection dropped.
    return claims.finish(notification_id, token, tries=int(current_app.config.get("MAIL_FINISH_TRIES", 3)),
                         claim_token=None, **values)


def due_ids(limit: int = 100) -> list[int]:
    """Rows that can be claimed now (database clock), oldest first."""
    return claims.due_ids(limit, EMAIL_ONLY)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

def base_url() -> str:
    """APP_BASE_URL without a trailing slash: the root of every link in an email."""
    return current_app.config["APP_BASE_URL"].rstrip("/")


# Email templates resolved once per kind and app (a drain renders thousands of the same kind);
# a worker picks up changed templates when it restarts, as it picks up changed code.
_TEMPLATES: dict[tuple[int, str, str], Template] = {}


def _template(kind: str, ext: str) -> Template:
    key = (id(current_app.jinja_env), kind, ext)
    found = _TEMPLATES.get(key)
    if found is None:
        try:
            found = current_app.jinja_env.get_template(f"emails/{kind}.{ext}")
        except TemplateNotFound:
            found = current_app.jinja_env.get_template(f"emails/reminder.{ext}")
        _TEMPLATES[key] = found
    return found


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
    subject = f"【科技企业培育】{text_rules.header_text(notification.title)}"  # a stored CR/LF never breaks the header
    current_app.update_template_context(context)  # what render_template adds (config, g, ...)
    text = _template(notification.kind, "txt").render(context)
    html = _template(notification.kind, "html").render(context)
    return subject, text, html


@dataclass(frozen=True)
class Mail:
    """A message ready for SMTP: its bytes as sent (CRLF line ends), envelope recipient, Message-ID."""

    payload: bytes
    recipient: str
    message_id: str


# The message's fixed parts. Bodies are always base64 (valid for any text, and what the email
# package chose for Chinese text anyway); the boundary is random per message, as the email package makes it.
_PART_HEADERS = {subtype: (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
                           "Content-Transfer-Encoding: base64\r\n\r\n").encode("ascii")
                 for subtype in ("plain", "html")}


@lru_cache(maxsize=4096)
def _folded(name: str, value: str) -> bytes:
    """A header line as the email package's SMTP policy folds it (RFC 2047 words, CRLF). The same
    sender and recipients come back in every message of a drain, so each is folded once."""
    return SMTP.header_factory(name, value).fold(policy=SMTP).encode("ascii")


def _base64_lines(text: str) -> bytes:
    return base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")


def compose(notification: Notification, recipient: User) -> Mail:
    """The MIME message (plain text + HTML alternative, a Message-ID stable per row) as bytes.

    Built directly rather than through EmailMessage, whose header parsing and refolding cost
    about 10 ms a message (docs/benchmarks.md); `build_message` parses these bytes back for
    whoever wants the object. The Subject is RFC 2047-encoded by email.header (a stored CR/LF
    was already flattened by text_rules.header_text), the addresses folded once each.
    """
    subject, text, html = render(notification, recipient)
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    domain = (parseaddr(sender)[1].rpartition("@")[2] or "tracker.local").strip() or "tracker.local"
    # Stable per row: a copy sent again after a crash carries the same id, so clients can dedupe.
    message_id = notification.message_id or f"<notification-{notification.id}@{domain}>"
    to = formataddr((text_rules.header_text(recipient.name), recipient.email))  # a legacy CR/LF name never breaks the header
    boundary = f"==============={random.randrange(sys.maxsize)}==".encode("ascii")
    payload = b"".join((
        b"Subject: ", Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n").encode("ascii"), b"\r\n",
        _folded("From", sender),
        _folded("To", to),
        f"Date: {format_datetime(now())}\r\n".encode("ascii"),
        _folded("Message-ID", message_id),
        f"X-Tracker-Notification: {notification.id}\r\n".encode("ascii"),
        b"MIME-Version: 1.0\r\n",
        b'Content-Type: multipart/alternative;\r\n boundary="', boundary, b'"\r\n\r\n',
        b"--", boundary, b"\r\n", _PART_HEADERS["plain"], _base64_lines(text), b"\r\n",
        b"--", boundary, b"\r\n", _PART_HEADERS["html"], _base64_lines(html), b"\r\n",
        b"--", boundary, b"--\r\n",
    ))
    return Mail(payload, parseaddr(to)[1], message_id)


def build_message(notification: Notification, recipient: User) -> EmailMessage:
    """The message of `compose` as an EmailMessage (the .eml folder, tests)."""
    return message_from_bytes(compose(notification, recipient).payload, policy=SMTP)


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


@dataclass(frozen=True)
class Timeouts:
    """Per-phase SMTP timeouts (seconds) and the deadline of one whole send (their sum)."""

    connect: float
    command: float
    data: float
    whole: float

    @classmethod
    def from_config(cls, config) -> "Timeouts":
        return cls(float(config["MAIL_CONNECT_TIMEOUT_SECONDS"]), float(config["MAIL_COMMAND_TIMEOUT_SECONDS"]),
                   float(config["MAIL_DATA_TIMEOUT_SECONDS"]), longest_send_seconds(config))


class _Deadline:
    """The hard limit of one send. Socket timeouts bound each read, but a server that trickles a
    byte at a time would reset them forever; at the deadline a timer shuts the socket down, which
    ends any blocked read or write at once."""

    def __init__(self, smtp: smtplib.SMTP, seconds: float):
        self.smtp = smtp
        self.expires = time.monotonic() + seconds
        self.fired = False
        self._timer = threading.Timer(max(0.0, seconds), self._cut)
        self._timer.daemon = True
        self._timer.start()

    def _cut(self) -> None:
        self.fired = True
        sock = getattr(self.smtp, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def phase(self, timeout: float) -> None:
        """Start a phase: its own timeout, never past the deadline."""
        remaining = self.expires - time.monotonic()
        if remaining <= 0 or self.fired:
            raise socket.timeout("超过单封邮件的发送时限")
        if self.smtp.sock is not None:
            self.smtp.sock.settimeout(min(timeout, remaining))

    def cancel(self) -> None:
        self._timer.cancel()


class _SharedConnection:
    """One SMTP connection kept open across the messages of a drain (see `reused_connection`)."""

    smtp: smtplib.SMTP | None = None

    def close(self) -> None:
        if self.smtp is not None:
            _quit(self.smtp)
            self.smtp = None


_SHARED: ContextVar[_SharedConnection | None] = ContextVar("tracker_smtp_shared", default=None)


@contextmanager
def reused_connection():
    """Send the messages of this block over one SMTP connection instead of one each.

    A refused recipient leaves the connection usable (the server answered RCPT); any other error
    drops it and the next message connects afresh, so one bad message still never stops the rest.
    The QUIT comes after the outcomes are recorded, never between the 250 and the record.
    """
    shared = _SharedConnection()
    token = _SHARED.set(shared)
    try:
        yield
    finally:
        _SHARED.reset(token)
        shared.close()


def _connect(timeouts: Timeouts) -> tuple[smtplib.SMTP, _Deadline]:
    config = current_app.config
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    smtp = smtp_class(timeout=timeouts.connect)  # no host yet: the deadline is armed before connecting
    deadline = _Deadline(smtp, timeouts.whole)
    try:
        smtp.connect(config["MAIL_SERVER"], int(config["MAIL_PORT"]))
        if config.get("MAIL_USE_TLS"):
            deadline.phase(timeouts.command)
            smtp.ehlo()
            deadline.phase(timeouts.command)
            smtp.starttls()
            deadline.phase(timeouts.command)
            smtp.ehlo()
        if config.get("MAIL_USERNAME"):
            deadline.phase(timeouts.command)
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    except BaseException:
        deadline.cancel()
        smtp.close()
        raise
    return smtp, deadline


def _transact(smtp: smtplib.SMTP, deadline: _Deadline, timeouts: Timeouts, sender: str, recipient: str,
              payload: bytes, still_mine: Callable[[], bool] | None) -> None:
    """One SMTP mail transaction with a timeout per phase (RFC 5321 §4.5.3.2)."""
    deadline.phase(timeouts.command)
    smtp.ehlo_or_helo_if_needed()
    international = not (sender.isascii() and recipient.isascii())
    options = ["SMTPUTF8", "BODY=8BITMIME"] if international and smtp.has_extn("smtputf8") else []
    deadline.phase(timeouts.command)
    code, reply = smtp.mail(sender, options)
    if code != 250:
        _rset(smtp)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    deadline.phase(timeouts.command)
    code, reply = smtp.rcpt(recipient)
    if code not in (250, 251):
        _rset(smtp)
        raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    # The last moment nothing is delivered yet: is the row still ours, with the rest of the send
    # inside its lease? A sender paused past its lease stops here instead of sending a second copy.
    if still_mine is not None:
        try:
            mine = still_mine()
        except Exception as exc:  # noqa: BLE001  (the database is unreachable: do not send blind)
            _rset(smtp)
            raise TemporaryFailure(f"发送前无法确认认领：{exc!r}") from exc
        if not mine:
            _rset(smtp)
            raise ClaimLost("认领已失效（租约到期，已由其他进程处理）")
    deadline.phase(timeouts.command)
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    text = smtplib._quote_periods(payload)  # noqa: SLF001  (smtplib's own dot-stuffing)
    if text[-2:] != b"\r\n":
        text += b"\r\n"
    deadline.phase(timeouts.command)
    smtp.send(text + b".\r\n")
    # From here on the server may store the message whatever happens to this connection.
    try:
        deadline.phase(timeouts.data)
        code, reply = smtp.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise AmbiguousOutcome(f"等待服务器对邮件正文的最终答复超时或连接中断：{exc}") from exc
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _rset(smtp: smtplib.SMTP) -> None:
    try:
        smtp.rset()
    except (smtplib.SMTPException, OSError):
        pass


def send_smtp(mail: Mail, still_mine: Callable[[], bool] | None = None) -> None:
    """Send over SMTP; raises TemporaryFailure, PermanentFailure, AmbiguousOutcome or ClaimLost."""
    config = current_app.config
    timeouts = Timeouts.from_config(config)
    sender = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
    recipient = mail.recipient
    payload = mail.payload
    shared = _SHARED.get()
    smtp = None
    deadline = None
    try:
        if shared is not None and shared.smtp is not None:
            smtp = shared.smtp
            deadline = _Deadline(smtp, timeouts.whole)
        else:
            smtp, deadline = _connect(timeouts)
        if shared is not None:
            shared.smtp = smtp
        _transact(smtp, deadline, timeouts, sender, recipient, payload, still_mine)
    except smtplib.SMTPRecipientsRefused as exc:
        if shared is None:  # the server answered RCPT: the connection itself is fine
            _quit(smtp)
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{code} {_text(msg)}" for code, msg in exc.recipients.values())
        if codes and all(400 <= c < 500 for c in codes):
            raise TemporaryFailure(f"收件人暂时被拒：{detail}") from exc
        raise PermanentFailure(f"收件人被拒：{detail}") from exc
    except (ClaimLost, TemporaryFailure):
        _drop(shared, smtp)
        raise
    except AmbiguousOutcome:
        _drop(shared, smtp)  # the connection's state is unknown
        raise
    except smtplib.SMTPResponseException as exc:
        _drop(shared, smtp)
        raise _classify(exc.smtp_code, _text(exc.smtp_error)) from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, disconnected
        _drop(shared, smtp)
        late = " （超过单封邮件的发送时限）" if deadline is not None and deadline.fired else ""
        raise TemporaryFailure(f"无法连接邮件服务器：{exc!r}{late}") from exc
    finally:
        if deadline is not None:
            deadline.cancel()
    if shared is None:
        _quit(smtp)


def _quit(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        if smtp.sock is not None:
            smtp.sock.settimeout(min(5.0, float(current_app.config["MAIL_COMMAND_TIMEOUT_SECONDS"])))
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _drop(shared: _SharedConnection | None, smtp: smtplib.SMTP | None) -> None:
    """After an error the connection's state is unknown: close it (the next message reconnects)."""
    if shared is not None and shared.smtp is smtp:
        shared.smtp = None
    if smtp is not None:
        smtp.close()


def deliver(mail: Mail, notification_id: int, still_mine: Callable[[], bool] | None = None) -> None:
    """SMTP when MAIL_SERVER is set, else an .eml file in MAIL_FOLDER (the embedded default)."""
    if current_app.config.get("MAIL_SERVER"):
        send_smtp(mail, still_mine)
    else:
        try:
            write_eml(message_from_bytes(mail.payload, policy=SMTP), notification_id)
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


def _prepare(notification_id: int, token: str) -> tuple[Mail, int] | Outcome:
    """The message of a claimed row and its attempt count, or the outcome when there is none to send."""
    row = db.session.get(Notification, notification_id, populate_existing=True)
    if row is None:
        return Outcome("not_claimed")
    user = db.session.get(User, row.recipient_id)
    if user is None or not user.active or not user.email:
        _finish(notification_id, token, status=SKIPPED, last_error="收件人账号已停用或没有邮箱")
        return Outcome("skipped")
    try:
        return compose(row, user), row.attempts
    except Exception as exc:  # noqa: BLE001  (a template error fails this row only)
        raise _Unrenderable(repr(exc)) from exc


def send_one(notification_id: int) -> Outcome:
    """Claim, render, deliver and record one row. Never raises for a delivery problem."""
    # One connection for the send and the record: its QUIT waits until the outcome is committed.
    with nullcontext() if _SHARED.get() is not None else reused_connection():
        return _send_one(notification_id)


def _send_one(notification_id: int) -> Outcome:
    token = claim(notification_id)
    if token is None:
        return Outcome("not_claimed")
    try:
        # Reading and rendering is one unit that ends before the SMTP conversation starts: no
        # database transaction stays open while a mail server takes its time.
        with unit_of_work():
            prepared = _prepare(notification_id, token)
    except _Unrenderable as exc:
        log.exception("rendering notification %s failed", notification_id)
        _finish(notification_id, token, status=FAILED, last_error=f"邮件模板错误：{exc}")
        return Outcome("failed", error=str(exc))
    if isinstance(prepared, Outcome):
        return prepared
    message, attempts = prepared
    rest = _rest_of_send()
    return _attempt(notification_id, token, message, attempts,
                    lambda: claims.holds(notification_id, token, rest),
                    lambda message_id: _finish(notification_id, token, **_sent(message_id)))


def _rest_of_send() -> float:
    # Before DATA: the claim must still be ours with DATA, the text and the final reply inside it.
    timeouts = Timeouts.from_config(current_app.config)
    return 2 * timeouts.command + timeouts.data


def _sent(message_id: str) -> dict:
    return dict(status=SENT, message_id=message_id, sent_at=db_now(), next_attempt_at=None, last_error=None)


def _attempt(notification_id: int, token: str, mail: Mail, attempts: int,
             still_mine: Callable[[], bool], record_sent: Callable[[str], object]) -> Outcome:
    """Deliver a claimed row's message and record its outcome; "sent" through `record_sent`
    (at once for a single send, batched by a drain). Never raises for a delivery problem."""
    config = current_app.config
    message_id = mail.message_id
    try:
        try:
            deliver(mail, notification_id, still_mine)
        except (TemporaryFailure, PermanentFailure, AmbiguousOutcome, ClaimLost):
            raise
        except Exception as exc:  # noqa: BLE001  (unexpected: retried, and failed after MAIL_MAX_ATTEMPTS)
            log.exception("delivering notification %s failed unexpectedly", notification_id)
            raise TemporaryFailure(f"发送时出错：{exc!r}") from exc
    except ClaimLost as exc:
        log.warning("notification %s: %s; nothing sent", notification_id, exc)
        return Outcome("claim_lost", error=str(exc))
    except AmbiguousOutcome as exc:
        wait = float(config["MAIL_UNCERTAIN_WAIT_SECONDS"])
        _finish(notification_id, token, status=UNCERTAIN, message_id=message_id, next_attempt_at=db_now(wait),
                last_error=f"{exc}。邮件可能已送达，{_duration(wait)}后以同一 Message-ID 重发")
        log.warning("notification %s: outcome uncertain (%s); not resent for %.0fs", notification_id, exc, wait)
        return Outcome("uncertain", retry_in=wait, error=str(exc))
    except TemporaryFailure as exc:
        if attempts >= int(config["MAIL_MAX_ATTEMPTS"]):
            _finish(notification_id, token, status=FAILED, message_id=message_id,
                    last_error=f"重试 {attempts} 次后仍失败：{exc}")
            return Outcome("failed", error=str(exc))
        delay = rules.backoff_seconds(attempts, float(config["MAIL_BACKOFF_BASE_SECONDS"]), backoff_cap())
        _finish(notification_id, token, status=PENDING, message_id=message_id, last_error=str(exc),
                next_attempt_at=db_now(delay))
        log.warning("notification %s: temporary failure (attempt %d), retry in %.1fs: %s", notification_id, attempts, delay, exc)
        return Outcome("retry", retry_in=delay, error=str(exc))
    except PermanentFailure as exc:
        _finish(notification_id, token, status=FAILED, message_id=message_id, last_error=str(exc))
        log.warning("notification %s: permanent failure: %s", notification_id, exc)
        return Outcome("failed", error=str(exc))
    record_sent(message_id)
    return Outcome("sent")


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} 小时"
    if seconds >= 60:
        return f"{round(seconds / 60)} 分钟"
    return f"{seconds:g} 秒"


def drain(time_budget: float | None = None, batch: int | None = None) -> dict[str, int]:
    """Send every row that can be claimed now (the periodic safety net and `flask reminders send`).

    Rows are claimed `batch` (MAIL_BATCH_SIZE) at a time in one statement, read and rendered in
    one unit of work, sent over one SMTP connection, and their "sent" outcomes recorded together
    (see `_EmailBatches`). The budget is checked before each message, and each send is cut off at
    the longest possible send (the SMTP phase timeouts), so a drain overruns its budget by at most
    one send; the claimed rows it did not get to are given back at once. Rows waiting for their
    backoff or their uncertain wait are not due (database clock) and are left.
    """
    with reused_connection():
        return claims.drain(_EmailBatches(batch), time_budget, monotonic, log)


class _EmailBatches:
    """The SMTP side of a drain (claims.drain): batches claimed, rendered and recorded together.

    Guarantees, beside those of a single send: the claim is checked against the database right
    before each DATA, as for one row (a lease run short is renewed while the batch is still ours);
    the "sent" outcomes are held in memory for at most MAIL_BATCH_RECORD_EVERY messages or
    MAIL_BATCH_RECORD_SECONDS, and never across a send that could outlast the batch's lease. So a
    worker killed after the server's 250 re-sends, after the lease, at most the messages accepted
    since the last record (≤ MAIL_BATCH_RECORD_EVERY), each once, with the same Message-ID; the
    rows it had claimed but not tried come back after the lease, unsent.
    """

    def __init__(self, size: int | None):
        config = current_app.config
        self.size = max(1, int(size or config.get("MAIL_BATCH_SIZE", 100)))
        self.every = max(1, int(config.get("MAIL_BATCH_RECORD_EVERY", 50)))
        self.seconds = float(config.get("MAIL_BATCH_RECORD_SECONDS", 0.2))
        self.lease = lease_seconds()
        self.longest = longest_send_seconds(config)
        self.rest = _rest_of_send()
        self.after = 0  # one pass in id order: a row is tried at most once per drain
        self.token = ""
        self.prepared: dict[int, tuple[Mail, int] | Outcome] = {}
        self.sent: dict[int, dict] = {}  # accepted by the server, not yet recorded: id -> its columns
        self.held_since = 0.0
        self.lease_until = 0.0  # a lower bound of the batch's lease end, on this process's stopwatch

    def take(self, tried: set[int]) -> list[int]:
        self.record()
        started = time.monotonic()
        batch = claims.claim_batch(self.size, self.lease, EMAIL_ONLY, after=self.after)
        if not batch.ids:
            return []
        self.after, self.token, self.lease_until = batch.ids[-1], batch.token, started + self.lease
        self.prepared = self._prepare(batch)
        return batch.ids

    def _prepare(self, batch: claims.Batch) -> dict[int, tuple[Mail, int] | Outcome]:
        """Every row of the batch and its recipient in two queries, each rendered; rows without a
        message to send are recorded at once."""
        prepared: dict[int, tuple[Mail, int] | Outcome] = {}
        skipped: dict[int, dict] = {}
        broken: dict[int, str] = {}
        with unit_of_work():
            rows = db.session.scalars(select(Notification).where(Notification.id.in_(batch.ids))
                                      .execution_options(populate_existing=True)).all()
            users = {u.id: u for u in db.session.scalars(
                select(User).where(User.id.in_({r.recipient_id for r in rows if r.recipient_id})))}
            for row in rows:
                user = users.get(row.recipient_id)
                if user is None or not user.active or not user.email:
                    skipped[row.id] = {}
                    prepared[row.id] = Outcome("skipped")
                    continue
                try:
                    prepared[row.id] = (compose(row, user), row.attempts)
                except Exception as exc:  # noqa: BLE001  (a template error fails this row only)
                    log.exception("rendering notification %s failed", row.id)
                    broken[row.id] = repr(exc)
                    prepared[row.id] = Outcome("failed", error=repr(exc))
        tries = int(current_app.config.get("MAIL_FINISH_TRIES", 3))
        claims.finish_batch(batch.token, skipped, tries=tries, claim_token=None, status=SKIPPED,
                            last_error="收件人账号已停用或没有邮箱")
        for notification_id, error in broken.items():
            _finish(notification_id, batch.token, status=FAILED, last_error=f"邮件模板错误：{error}")
        for notification_id in batch.ids:
            prepared.setdefault(notification_id, Outcome("not_claimed"))  # deleted since it was claimed
        return prepared

    def send(self, notification_id: int) -> str:
        prepared = self.prepared.pop(notification_id)
        if isinstance(prepared, Outcome):
            return prepared.status
        # Held outcomes never wait across a send that could outlast the lease, nor beyond their limits.
        if self.sent and (len(self.sent) >= self.every or time.monotonic() - self.held_since >= self.seconds
                          or self.lease_until - time.monotonic() < self.longest + self.seconds):
            self.record()
        message, attempts = prepared
        token = self.token
        return _attempt(notification_id, token, message, attempts, lambda: self._still_mine(notification_id),
                        lambda message_id: self._hold(notification_id, message_id)).status

    def _still_mine(self, notification_id: int) -> bool:
        if claims.holds(notification_id, self.token, self.rest):
            return True
        # Too little lease left for the rest of this send: extend the batch while it is still ours.
        started = time.monotonic()
        if not claims.renew(self.token, self.lease):
            return False
        self.lease_until = started + self.lease
        return claims.holds(notification_id, self.token, self.rest)

    def _hold(self, notification_id: int, message_id: str) -> None:
        if not self.sent:
            self.held_since = time.monotonic()
        self.sent[notification_id] = {"message_id": message_id}

    def record(self) -> None:
        """Record the held "sent" outcomes in one statement (retried on a fresh connection)."""
        if not self.sent:
            return
        held, self.sent = self.sent, {}
        claims.finish_batch(self.token, held, tries=int(current_app.config.get("MAIL_FINISH_TRIES", 3)),
                            claim_token=None, status=SENT, sent_at=db_now(), next_attempt_at=None, last_error=None)

    def give_back(self, ids: list[int]) -> None:
        self.record()
        claims.release([i for i in ids if not isinstance(self.prepared.get(i), Outcome)], self.token)
        self.prepared = {}

    def close(self) -> None:
        self.record()
