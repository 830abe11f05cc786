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

DEV_SECRET_KEY = "dev-only-not-secret"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


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
        "SECRET_KEY": os.environ.get("SECRET_KEY") or (DEV_SECRET_KEY if app_env != "production" else None),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
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
            "broker_transport_options": (
                {"visibility_timeout": _int("CELERY_VISIBILITY_TIMEOUT", 3600)}
                if broker.startswith(("redis://", "rediss://")) else {}
            ),
        },
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
        "MAIL_TIMEOUT_SECONDS": _int("MAIL_TIMEOUT_SECONDS", 30),
        "MAIL_BACKOFF_BASE_SECONDS": float(os.environ.get("MAIL_BACKOFF_BASE_SECONDS") or 30),
        "MAIL_BACKOFF_MAX_SECONDS": float(os.environ.get("MAIL_BACKOFF_MAX_SECONDS") or 900),
        "MAIL_MAX_ATTEMPTS": _int("MAIL_MAX_ATTEMPTS", 8),
        "MAIL_SEND_LEASE_SECONDS": float(os.environ.get("MAIL_SEND_LEASE_SECONDS") or 600),
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
        "TRACK_STALE_DAYS": _int("TRACK_STALE_DAYS", 60),
        # Upload limits checked before an xlsx (a zip) is parsed, and the rows of any import.
        "IMPORT_MAX_UNCOMPRESSED": _int("IMPORT_MAX_UNCOMPRESSED", 50 * 1024 * 1024),
        "IMPORT_MAX_ENTRIES": _int("IMPORT_MAX_ENTRIES", 1000),
        "IMPORT_MAX_ROWS": _int("IMPORT_MAX_ROWS", 200_000),
        "CANDIDATES_CACHE_SECONDS": _int("CANDIDATES_CACHE_SECONDS", 600),
        "INDICATOR_CACHE_SECONDS": _int("INDICATOR_CACHE_SECONDS", 300),
    }
