"""The app's PostgreSQL sessions run without the JIT compiler unless POSTGRES_JIT asks for it
(tracker/__init__.py, _without_jit); other connection options are kept beside it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import base_config
from tracker import create_app
from tracker.config import from_environment
from tracker.extensions import db

pytestmark = pytest.mark.pg_only


def _setting(database_url: str, name: str, **config) -> str:
    app = create_app(dict(base_config(database_url), **config))
    with app.app_context():
        try:
            return db.session.execute(text(f"SHOW {name}")).scalar()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_jit_is_off_in_every_session_unless_asked_for(database_url):
    assert _setting(database_url, "jit") == "off"
    engine = create_engine(database_url)
    with engine.connect() as plain:
        server_default = plain.execute(text("SHOW jit")).scalar()
    engine.dispose()
    assert _setting(database_url, "jit", POSTGRES_JIT=True) == server_default


def test_connection_options_already_given_are_kept(database_url):
    engine_options = {"pool_pre_ping": True, "connect_args": {"options": "-c statement_timeout=123s"}}
    assert _setting(database_url, "statement_timeout", SQLALCHEMY_ENGINE_OPTIONS=engine_options) == "123s"
    assert _setting(database_url, "jit", SQLALCHEMY_ENGINE_OPTIONS=engine_options) == "off"


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.delenv("POSTGRES_JIT", raising=False)
    assert from_environment()["POSTGRES_JIT"] is False
    monkeypatch.setenv("POSTGRES_JIT", "1")
    assert from_environment()["POSTGRES_JIT"] is True
