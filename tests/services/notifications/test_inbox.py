"""A user's own notifications: preferences, the paged list."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import AuditEvent
from tracker.rules import reminders as rules
from tracker.services.errors import ServiceError
from tracker.services.notifications import inbox, notify


def test_preferences_are_validated_and_audited(app, city):
    with pytest.raises(ServiceError):
        inbox.update_preferences(city["officer"], notify_mode="weekly", digest_opt_out=False)
    db.session.rollback()
    inbox.update_preferences(city["officer"], notify_mode="digest", digest_opt_out=True)
    assert city["officer"].notify_mode == "digest" and city["officer"].digest_opt_out is True
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "user.notify_preferences")) == 1


def test_the_list_is_one_page_of_the_users_own_rows_newest_first(app, city, published):
    officer, manager = city["officer"], city["manager"]
    ids = [i for n in range(5) for i in notify.notify([officer.id], rules.TEST_EMAIL, "t", f"p{n}", f"提醒{n}")]
    notify.notify([manager.id], rules.TEST_EMAIL, "t", "m", "别人的")
    first = inbox.list_for(officer, page=1, per_page=2)
    assert [n.id for n in first.rows] == ids[::-1][:2] and (first.total, first.pages) == (5, 3)
    last = inbox.list_for(officer, page=3, per_page=2)
    assert [n.id for n in last.rows] == [ids[0]]
    inbox.mark_read(officer, ids[0])
    assert inbox.list_for(officer, unread_only=True).total == 4 == inbox.unread_count(officer)
