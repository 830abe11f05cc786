"""The Server-Timing header and the slow-request log (tracker/web/timing.py), on and off."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import event

from tests.conftest import Factory, IsolatedClient, base_config
from tracker import create_app
from tracker.config import from_environment
from tracker.extensions import db
from tracker.web import timing

HEADER = re.compile(r'^app;dur=(\d+\.\d), sql;dur=(\d+\.\d);desc="(\d+) quer(?:y|ies)"$')


def _app(database_url, **config):
    web = create_app(dict(base_config(database_url), **config))
    web.test_client_class = IsolatedClient
    return web


@pytest.fixture
def timed(database_url, app):
    """An app with SERVER_TIMING on, over the same (emptied) tables as `app`."""
    web = _app(database_url, SERVER_TIMING=True)
    yield web
    with web.app_context():
        db.engine.dispose()


def _signed_in(web, user):
    client = web.test_client()
    assert client.post("/login", data={"email": user.email, "password": Factory.PASSWORD}).status_code == 302
    return client


class StatementCounter:
    """An independent listener on the same engine: every statement the engine runs while attached."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _count(self, *_args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "after_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "after_cursor_execute", self._count)


@pytest.mark.parametrize("path", ["/companies/", "COMPANY", "/work/"])
def test_the_header_counts_every_statement_the_page_runs(timed, factory, path):
    officer = factory.user("officer")
    company = factory.company(officer=officer)
    factory.company(officer=officer)
    client = _signed_in(timed, officer)
    target = f"/companies/{company.id}" if path == "COMPANY" else path
    with timed.app_context():
        engine = db.engine
    with StatementCounter(engine) as counter:
        response = client.get(target)
    assert response.status_code == 200, target
    match = HEADER.match(response.headers["Server-Timing"])
    assert match, response.headers["Server-Timing"]
    app_ms, sql_ms, statements = float(match[1]), float(match[2]), int(match[3])
    assert statements == counter.count > 0
    assert 0 < sql_ms <= app_ms


def test_statements_outside_a_request_are_not_counted(timed, factory):
    officer = factory.user("officer")
    client = _signed_in(timed, officer)
    with timed.app_context():
        db.session.execute(db.select(db.literal(1)))  # a CLI or task query: no request, no figures
    first = HEADER.match(client.get("/companies/").headers["Server-Timing"])
    second = HEADER.match(client.get("/companies/").headers["Server-Timing"])
    assert first[3] == second[3]


def test_a_response_without_sql_says_zero_queries(timed):
    response = timed.test_client().get("/login")
    assert response.status_code == 200
    assert HEADER.match(response.headers["Server-Timing"])[3] == "0"
    assert 'desc="0 queries"' in response.headers["Server-Timing"]


def test_security_headers_stay_beside_it(timed):
    response = timed.test_client().get("/login")
    assert "Server-Timing" in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_off_by_default_no_header_and_no_listener(app, client, factory):
    officer = factory.user("officer")
    assert not app.config["SERVER_TIMING"]
    response = _signed_in(app, officer).get("/companies/")
    assert response.status_code == 200
    assert "Server-Timing" not in response.headers
    assert not event.contains(db.engine, "after_cursor_execute", timing._after_statement)


def test_slow_requests_are_logged_without_the_header(database_url, app, factory, caplog, monkeypatch):
    # The session's in-process migration (alembic's fileConfig in migrations/env.py) disables the
    # loggers that exist by then; a served app never runs it, so the logger is live there.
    monkeypatch.setattr(logging.getLogger("tracker.timing"), "disabled", False)
    web = _app(database_url, SLOW_REQUEST_MS=0.001)
    officer = factory.user("officer")
    client = _signed_in(web, officer)
    with caplog.at_level(logging.WARNING, logger="tracker.timing"):
        response = client.get("/companies/?q=x")
    assert "Server-Timing" not in response.headers
    lines = [r.getMessage() for r in caplog.records if r.name == "tracker.timing"]
    assert any(re.match(r"slow request GET /companies/\?q=x -> 200: [\d.]+ ms, [1-9]\d* SQL statements", line)
               for line in lines), lines
    with web.app_context():
        db.engine.dispose()


def test_the_environment_turns_it_on(monkeypatch):
    monkeypatch.delenv("SERVER_TIMING", raising=False)
    monkeypatch.delenv("SLOW_REQUEST_MS", raising=False)
    assert from_environment()["SERVER_TIMING"] is False
    assert from_environment()["SLOW_REQUEST_MS"] == 0
    monkeypatch.setenv("SERVER_TIMING", "1")
    monkeypatch.setenv("SLOW_REQUEST_MS", "500")
    assert from_environment()["SERVER_TIMING"] is True
    assert from_environment()["SLOW_REQUEST_MS"] == 500
