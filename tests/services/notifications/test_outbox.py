"""Publishing the outbox: send tasks only after the unit of work commits, never failing the caller."""

from __future__ import annotations

import time

import pytest

from tests.services.notifications.conftest import count, rows
from tracker.models.notification import PENDING
from tracker.rules import reminders as rules
from tracker.services.notifications import mailer, notify
from tracker.services.unit_of_work import unit_of_work


def test_rows_are_published_only_after_commit(app, city, published):
    with pytest.raises(RuntimeError):
        with unit_of_work():
            ids = notify.notify([city["officer"].id], rules.TEST_EMAIL, "t", "1", "测试")
            assert published == []  # not before the commit
            raise RuntimeError("the use case fails after notifying")
    assert published == [] and count() == 0  # a rollback publishes nothing
    with unit_of_work():
        ids = notify.notify([city["officer"].id], rules.TEST_EMAIL, "t", "2", "测试")
        assert published == []
    assert published == [ids]


def test_broker_down_never_fails_or_slows_the_caller(app, city):
    celery = app.extensions["celery"]
    celery.conf.broker_url = "redis://127.0.0.1:9/0"  # nothing listens on port 9
    started = time.monotonic()
    ids = notify.notify([city["officer"].id], rules.TEST_EMAIL, "t", "3", "测试")
    assert time.monotonic() - started < 2
    assert rows(id=ids[0])[0].status == PENDING  # waits for send_pending
    assert mailer.drain() == {"sent": 1}
