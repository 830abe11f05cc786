"""Shared fixtures.

The suite runs against one database per run, chosen by TEST_DB:
- `sqlite` (default): a fresh file in a temporary folder;
- `postgresql`: a new database created on TEST_PG_URL's server and dropped at the end.
Redis, when a test needs it, is a database number claimed for this run only.
Under CI=true (or REQUIRE_SERVICES=1) a missing service fails the run instead of skipping.
Hypothesis keeps its example database and caches under the system's temporary folder, never in
the checkout.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="tracker-tests-"))
os.environ["INSTANCE_PATH"] = str(_TMP / "instance")
os.environ.setdefault("APP_ENV", "test")
for _name in ("DATABASE_URL", "CELERY_BROKER_URL", "MAIL_SERVER", "REDIS_URL"):
    os.environ.pop(_name, None)

import redis  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from hypothesis import settings  # noqa: E402
from hypothesis.configuration import set_hypothesis_home_dir  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402
from tracker.models import Assignment  # noqa: E402
from tracker.rules.uscc import make_code  # noqa: E402
from tracker.services.accounts.users import create_user  # noqa: E402
from tracker.services.companies.records import create_company  # noqa: E402
from tracker.services.designations.grants import grant_designation  # noqa: E402
from tracker.services.unit_of_work import unit_of_work  # noqa: E402

# Kept across runs (a failing example is replayed first next time), outside the checkout.
HYPOTHESIS_HOME = Path(tempfile.gettempdir()) / "tracker-hypothesis"
set_hypothesis_home_dir(HYPOTHESIS_HOME)
settings.register_profile("tracker", database=DirectoryBasedExampleDatabase(str(HYPOTHESIS_HOME / "examples")))
settings.load_profile("tracker")

TEST_DB = os.environ.get("TEST_DB", "sqlite")
PG_SERVER_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_SERVER_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
REQUIRE_SERVICES = os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_SERVICES") == "1"


def service_missing(message: str):
    """Fail under CI, skip on a developer machine without the service."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service unavailable: {message}", pytrace=False)
    pytest.skip(message)


def pytest_report_header(config):
    return f"database: {TEST_DB}; services required: {REQUIRE_SERVICES}"


@pytest.fixture(scope="session")
def database_url():
    """A database for this run only, schema built by the migrations."""
    if TEST_DB == "postgresql":
        name = f"tracker_test_{os.getpid()}_{secrets.token_hex(4)}"
        try:
            admin = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001
            service_missing(f"PostgreSQL at {PG_SERVER_URL}: {exc}")
        url = PG_SERVER_URL.rsplit("/", 1)[0] + "/" + name
        yield url
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    else:
        yield f"sqlite:///{_TMP / 'test.sqlite'}"


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database number claimed for this run (released at the end)."""
    client = None
    try:
        for number in range(1, 16):
            client = redis.Redis.from_url(f"{REDIS_SERVER_URL}/{number}")
            if client.set("tracker-test-claim", str(os.getpid()), nx=True, ex=3600):
                break
        else:
            service_missing("no free Redis database number")
    except redis.exceptions.ConnectionError as exc:
        service_missing(f"Redis at {REDIS_SERVER_URL}: {exc}")
    client.flushdb()
    client.set("tracker-test-claim", str(os.getpid()), ex=3600)
    yield f"{REDIS_SERVER_URL}/{number}"
    client.flushdb()
    client.close()


def base_config(database_url: str) -> dict:
    """Test configuration; tests that need Celery or mail add to it."""
    return {
        "TESTING": True,
        "INDICATOR_CACHE_SECONDS": 0,
        "APP_ENV": "test",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "MAIL_FOLDER": str(_TMP / "mail"),
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def _schema(database_url):
    """Build the schema once per run through the migrations, as production does."""
    app = create_app(base_config(database_url))
    with app.app_context():
        upgrade()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        db.engine.dispose()
    return tables


def _empty_tables(tables: list[str]) -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE TABLE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as on a real server.

    The `app` fixture keeps an app context open for the test body; without this, requests would
    reuse it and share `g` (Flask-Login caches the signed-in user there) and the database
    session with the test and with each other, so a request could pass on state a real server
    never has.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, _schema):
    """A fresh app on empty tables."""
    app = create_app(base_config(database_url))
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_tables(_schema)
        yield app
        db.session.remove()
        _empty_tables(_schema)
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Builds users, companies and designations for tests through the services."""

    PASSWORD = "correct-horse-9"

    def __init__(self, app):
        self.app = app
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def user(self, role: str = "officer", district: str | None = "wujin", email: str | None = None, name: str | None = None):
        n = self._next()
        return create_user(
            None, email=email or f"{role}{n}@example.com", name=name or f"{role}{n}", role=role,
            password=self.PASSWORD, district=None if role == "admin" else district,
        )

    def company(self, district: str = "wujin", officer=None, name: str | None = None, **fields):
        n = self._next()
        data = {"uscc": make_code(f"9132041200000{n:04d}"), "name": name or f"测试企业{n}", "district": district}
        data.update(fields)
        company = create_company(None, data)
        if officer is not None:
            with unit_of_work():
                db.session.add(Assignment(company_id=company.id, officer_id=officer.id, is_primary=True, assigned_from=dt.date(2023, 1, 1)))
        return company

    def designation(self, company, rung: str, granted_on: dt.date, **fields):
        return grant_designation(None, company, rung, granted_on=granted_on, **fields)


@pytest.fixture
def factory(app):
    return Factory(app)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user, password: str = Factory.PASSWORD):
        return self.client.post("/login", data={"email": user.email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_TMP, ignore_errors=True)


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
