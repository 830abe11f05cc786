"""Fixtures of the notification service tests: a small city with due visits, recorded publishing,
no broker, and an SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import select

from tests.workers.smtp import SmtpServer
from tracker.extensions import db
from tracker.models import Notification, Visit
from tracker.services.notifications import outbox

TODAY = dt.date(2026, 6, 3)  # a Wednesday


def visit(company, officer, on, planned=None):
    db.session.add(Visit(company_id=company.id, officer_id=officer.id, visited_on=on, summary="走访", next_planned_on=planned))
    db.session.commit()


def rows(**where):
    query = select(Notification)
    for key, value in where.items():
        query = query.where(getattr(Notification, key) == value)
    return db.session.scalars(query.order_by(Notification.id)).all()


def count(**where) -> int:
    return len(rows(**where))


@pytest.fixture(autouse=True)
def _own_mail_folder(app, tmp_path):
    app.config["MAIL_FOLDER"] = str(tmp_path / "mail")


@contextmanager
def loopback_smtp(app, **config) -> Iterator:
    """An aiosmtpd server on loopback that the app sends to, with 5 s phase timeouts unless
    `config` says otherwise; yields its handler (what it received, holds, faults)."""
    with SmtpServer() as server:
        app.config.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port, "MAIL_CONNECT_TIMEOUT_SECONDS": 5,
                           "MAIL_COMMAND_TIMEOUT_SECONDS": 5, "MAIL_DATA_TIMEOUT_SECONDS": 5, **config})
        yield server.handler


@pytest.fixture
def no_broker(monkeypatch):
    """Publishing after a commit succeeds without a broker (the drain, not a task, sends here)."""
    monkeypatch.setattr(outbox, "publish", lambda ids: True)


@pytest.fixture
def published(monkeypatch):
    """Record what the unit of work publishes after its commit instead of talking to a broker."""
    calls: list[list[int]] = []
    monkeypatch.setattr(outbox, "publish", lambda ids: calls.append(list(ids)) or True)
    return calls


@pytest.fixture
def city(app, factory):
    """An officer with a company due today (prospect, 365 days), one overdue long enough to escalate."""
    manager = factory.user("manager", "wujin")
    officer = factory.user("officer", "wujin")
    due = factory.company(officer=officer, name="到期企业")
    visit(due, officer, TODAY - dt.timedelta(days=365))
    escalated = factory.company(officer=officer, name="久未走访企业")
    visit(escalated, officer, TODAY - dt.timedelta(days=365 + 50))
    return {"manager": manager, "officer": officer, "due": due, "escalated": escalated}
