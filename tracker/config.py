"""Configuration: defaults for the embedded set-up, overridden by environment variables.

Every variable read here is listed in the README. The embedded default needs nothing but Python:
SQLite under instance/, Celery on a SQLite broker, mail written to instance/mail/.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))

def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else float(default)


# A lease must outlast the longest possible send by this factor (a claimant still sending when its
# lease runs out would let a second worker send the row too).
LEASE_FACTOR = 1.5


def smtp_command_phases(config) -> int:
    """SMTP round trips bounded by MAIL_COMMAND_TIMEOUT_SECONDS in one send: EHLO, MAIL, RCPT,
    DATA and sending the text, plus STARTTLS and the second EHLO, plus AUTH."""
    phases = 5
    if config.get("MAIL_USE_TLS"):
        phases += 2
    if config.get("MAIL_USERNAME"):
        phases += 1
    return phases


def longest_send_seconds(config) -> float:
    """The longest one SMTP send can take: the sum of its phase timeouts (the mailer enforces it as
    a hard deadline on the whole conversation)."""
    return (float(config["MAIL_CONNECT_TIMEOUT_SECONDS"])
            + smtp_command_phases(config) * float(config["MAIL_COMMAND_TIMEOUT_SECONDS"])
            + float(config["MAIL_DATA_TIMEOUT_SECONDS"]))


def delivery_problems(config) -> list[str]:
    """What is wrong with the delivery settings (empty: fine). Checked when the app starts."""
    problems = []
    for name in ("MAIL_CONNECT_TIMEOUT_SECONDS", "MAIL_COMMAND_TIMEOUT_SECONDS", "MAIL_DATA_TIMEOUT_SECONDS",
                 "MAIL_SEND_LEASE_SECONDS", "MAIL_UNCERTAIN_WAIT_SECONDS", "OUTBOX_PUBLISH_TIMEOUT_SECONDS"):
        if float(config.get(name, 1)) <= 0:
            problems.append(f"{name} must be greater than 0")
    if problems:
        return problems
    lease = float(config["MAIL_SEND_LEASE_SECONDS"])
    longest = longest_send_seconds(config)
    if lease < LEASE_FACTOR * longest:
        problems.append(
            f"MAIL_SEND_LEASE_SECONDS={lease:g} is not comfortably longer than the longest possible send "
            f"({longest:g} s = MAIL_CONNECT_TIMEOUT_SECONDS + {smtp_command_phases(config)} × "
            f"MAIL_COMMAND_TIMEOUT_SECONDS + MAIL_DATA_TIMEOUT_SECONDS): a second worker could claim and "
            f"send a row while the first is still sending it. Set MAIL_SEND_LEASE_SECONDS to at least "
            f"{LEASE_FACTOR * longest:g} or lower the timeouts."
        )
    for name in ("MAIL_BATCH_SIZE", "MAIL_BATCH_RECORD_EVERY"):
        if int(config.get(name, 1)) < 1:
            problems.append(f"{name} must be at least 1")
    # A drain holds "sent" outcomes across the next send only while the batch's lease outlasts that
    # send and the wait: a longer wait could not fit and would only record before every send.
    hold = float(config.get("MAIL_BATCH_RECORD_SECONDS", 0))
    if hold < 0 or hold >= lease - longest:
        problems.append(f"MAIL_BATCH_RECORD_SECONDS={hold:g} must be at least 0 and below MAIL_SEND_LEASE_SECONDS "
                        f"minus the longest possible send ({lease - longest:g} s)")
    return problems


def _database_url(url: str) -> str:
    # Heroku-style postgres:// URLs and bare postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def from_environment() -> dict:
    """Build the configuration mapping from the environment at app creation time."""
    app_env = os.environ.get("APP_ENV", "development")
    database_url = _database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'tracker.sqlite'}")
    )
    broker = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{INSTANCE / 'celery-broker.sqlite'}")
    mail_server = os.environ.get("MAIL_SERVER") or None
    return {
        "APP_ENV": app_env,
        # No default in the code: without it, development keeps a random key in instance/secret_key
        # (tracker/secret_key.py) and refuses to serve it on a non-loopback address.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # PostgreSQL's JIT compiler is turned off for the app's sessions unless this is set
        # (tracker/__init__.py, _without_jit: it cost more than it saved on every query measured).
        "POSTGRES_JIT": _bool("POSTGRES_JIT", False),
        "TIMEZONE": "Asia/Shanghai",
        "BOOTSTRAP_SERVE_LOCAL": True,
        "BOOTSTRAP_BTN_SIZE": "md",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024),
        "PAGE_SIZE": _int("PAGE_SIZE", 50),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "APP_BASE_URL": os.environ.get("APP_BASE_URL", "http://127.0.0.1:5000"),
        # Celery, configured under the CELERY key as in Flask's Celery pattern.
        "CELERY": {
            "broker_url": broker,
            "task_ignore_result": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "timezone": "Asia/Shanghai",
            "enable_utc": True,
            "broker_connection_retry_on_startup": True,
            # Only Redis understands a visibility timeout; the SQLAlchemy transport would pass it to
            # create_engine() and fail.
            # Socket timeouts on every broker connection (worker, beat, web): a Redis that accepts
            # the connection but never answers fails the operation instead of hanging it. The web
            # process publishes with even shorter ones (OUTBOX_PUBLISH_TIMEOUT_SECONDS).
            "broker_connection_timeout": _float("CELERY_BROKER_CONNECT_TIMEOUT", 5),
            "broker_transport_options": (
                {"visibility_timeout": _int("CELERY_VISIBILITY_TIMEOUT", 3600),
                 "socket_timeout": _float("CELERY_BROKER_SOCKET_TIMEOUT", 30),
                 "socket_connect_timeout": _float("CELERY_BROKER_CONNECT_TIMEOUT", 5)}
                if broker.startswith(("redis://", "rediss://")) else {}
            ),
        },
        # Publishing a send task after a commit (tracker/services/notifications/outbox.py) takes at
        # most about this long; on failure the row waits for the every-minute drain.
        "OUTBOX_PUBLISH_TIMEOUT_SECONDS": _float("OUTBOX_PUBLISH_TIMEOUT_SECONDS", 1),
        # Mail, sent over smtplib by tracker/services/notifications/mailer.py (it tells temporary 4xx
        # from permanent 5xx refusals and reuses one connection). Without MAIL_SERVER, messages are
        # written as .eml files.
        "MAIL_SERVER": mail_server,
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "科技企业培育系统 <tracker@localhost>"),
        "MAIL_FOLDER": os.environ.get("MAIL_FOLDER", str(INSTANCE / "mail")),
        # Outbox delivery (tracker/services/notifications/mailer.py): retries of temporary SMTP failures back off
        # exponentially with jitter, capped well below the broker's visibility timeout; a row left
        # "sending" by a killed worker is sent again after the lease.
        # Per-phase SMTP timeouts (RFC 5321 §4.5.3.2): connecting and the greeting; each command
        # (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA) and sending the text; the reply to the final
        # "." (up to 10 minutes). MAIL_TIMEOUT_SECONDS is the older single setting, still the
        # default of the first two. A whole send is also cut off at the sum (longest_send_seconds).
        "MAIL_TIMEOUT_SECONDS": _float("MAIL_TIMEOUT_SECONDS", 30),
        "MAIL_CONNECT_TIMEOUT_SECONDS": _float("MAIL_CONNECT_TIMEOUT_SECONDS", _float("MAIL_TIMEOUT_SECONDS", 30)),
        "MAIL_COMMAND_TIMEOUT_SECONDS": _float("MAIL_COMMAND_TIMEOUT_SECONDS", _float("MAIL_TIMEOUT_SECONDS", 30)),
        "MAIL_DATA_TIMEOUT_SECONDS": _float("MAIL_DATA_TIMEOUT_SECONDS", 600),
        # No reply to the final ".": the server may have the message; wait this long, then resend
        # it with the same Message-ID.
        "MAIL_UNCERTAIN_WAIT_SECONDS": _float("MAIL_UNCERTAIN_WAIT_SECONDS", 3600),
        # Recording the outcome after the server answered: tries on a fresh database connection.
        "MAIL_FINISH_TRIES": _int("MAIL_FINISH_TRIES", 3),
        "MAIL_BACKOFF_BASE_SECONDS": _float("MAIL_BACKOFF_BASE_SECONDS", 30),
        "MAIL_BACKOFF_MAX_SECONDS": _float("MAIL_BACKOFF_MAX_SECONDS", 900),
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 8),
        # Must be at least LEASE_FACTOR × the longest possible send (checked at start-up).
        "MAIL_SEND_LEASE_SECONDS": _float("MAIL_SEND_LEASE_SECONDS", 1800),
        # A drain claims MAIL_BATCH_SIZE rows in one statement and records their "sent" outcomes
        # every MAIL_BATCH_RECORD_EVERY messages or MAIL_BATCH_RECORD_SECONDS, whichever comes
        # first: a worker killed in between re-sends at most those (same Message-ID) after the lease.
        "MAIL_BATCH_SIZE": _int("MAIL_BATCH_SIZE", 100),
        "MAIL_BATCH_RECORD_EVERY": _int("MAIL_BATCH_RECORD_EVERY", 50),
        "MAIL_BATCH_RECORD_SECONDS": _float("MAIL_BATCH_RECORD_SECONDS", 0.2),
        # 企业微信 / 政务微信 application messages and group robots (tracker.services.notifications.messenger).
        "WECOM_API_BASE": os.environ.get("WECOM_API_BASE") or "https://qyapi.weixin.qq.com",
        "WECOM_CORP_ID": os.environ.get("WECOM_CORP_ID") or None,
        "WECOM_AGENT_ID": os.environ.get("WECOM_AGENT_ID") or None,
        "WECOM_SECRET": os.environ.get("WECOM_SECRET") or None,
        "DINGTALK_ROBOT_SIGN_REQUIRED": _bool("DINGTALK_ROBOT_SIGN_REQUIRED", True),
        "CHANNEL_CONNECT_TIMEOUT_SECONDS": _float("CHANNEL_CONNECT_TIMEOUT_SECONDS", 5),
        "CHANNEL_READ_TIMEOUT_SECONDS": _float("CHANNEL_READ_TIMEOUT_SECONDS", 10),
        "CHANNEL_SEND_LEASE_SECONDS": _float("CHANNEL_SEND_LEASE_SECONDS", 120),
        "CHANNEL_ROBOT_PER_MINUTE": _int("CHANNEL_ROBOT_PER_MINUTE", 20),
        "CHANNEL_ROBOT_WINDOW_SECONDS": _float("CHANNEL_ROBOT_WINDOW_SECONDS", 60),
        # A sweep that creates this many emails for one person sends them as one summary email.
        "REMINDER_BATCH_THRESHOLD": _int("REMINDER_BATCH_THRESHOLD", 5),
        # Session cookies: Secure only makes sense behind HTTPS, which production has.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": app_env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": app_env == "production",
        "REMEMBER_COOKIE_DURATION": dt.timedelta(days=_int("REMEMBER_COOKIE_DAYS", 14)),
        # Login throttling (tracker/services/accounts/throttle.py): failures per account / per client IP
        # within LOGIN_LOCKOUT_SECONDS; reaching either locks sign-in until the window that began
        # with the first of them ends. TRUSTED_PROXY_HOPS: reverse proxies whose X-Forwarded-For
        # names the client (werkzeug's ProxyFix, applied in create_app).
        "LOGIN_FAILURES_PER_ACCOUNT": _int("LOGIN_FAILURES_PER_ACCOUNT", 5),
        "LOGIN_FAILURES_PER_IP": _int("LOGIN_FAILURES_PER_IP", 50),
        "LOGIN_LOCKOUT_SECONDS": _int("LOGIN_LOCKOUT_SECONDS", 900),
        "TRUSTED_PROXY_HOPS": _int("TRUSTED_PROXY_HOPS", 0),
        # Business settings (docs/DOMAIN.md [A] rules kept configurable).
        "VISIT_EDIT_WINDOW_DAYS": _int("VISIT_EDIT_WINDOW_DAYS", 7),
        # Visit check-ins further than this from the company's position are flagged (tracker/rules/geo.py).
        "VISIT_FAR_METRES": _int("VISIT_FAR_METRES", 1000),
        # Photos and PDFs of visits and follow-ups (tracker/services/attachments/files.py): one shared
        # folder for every app server (default: the instance folder's attachments/), bytes per file.
        "ATTACHMENT_DIR": os.environ.get("ATTACHMENT_DIR") or None,
        "ATTACHMENT_MAX_BYTES": _int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "TRACK_STALE_DAYS": _int("TRACK_STALE_DAYS", 60),
        # Upload limits checked before an xlsx (a zip) is parsed, and the rows of any import.
        "IMPORT_MAX_UNCOMPRESSED": _int("IMPORT_MAX_UNCOMPRESSED", 50 * 1024 * 1024),
        "IMPORT_MAX_ENTRIES": _int("IMPORT_MAX_ENTRIES", 1000),
        "IMPORT_MAX_ROWS": _int("IMPORT_MAX_ROWS", 200_000),
        "INDICATOR_CACHE_SECONDS": _int("INDICATOR_CACHE_SECONDS", 300),
        # Up to this many companies to evaluate, a missing or stale set of stored candidate results is
        # computed in the request; above it, by a worker while the page shows the progress.
        "CANDIDATE_RESULTS_INLINE_LIMIT": _int("CANDIDATE_RESULTS_INLINE_LIMIT", 2000),
        # Per-request figures (tracker/web/timing.py): a Server-Timing header (app and SQL time, statement
        # count) on every response, and a log line for requests slower than SLOW_REQUEST_MS (0: none).
        "SERVER_TIMING": _bool("SERVER_TIMING", False),
        "SLOW_REQUEST_MS": _float("SLOW_REQUEST_MS", 0),
    }
