"""The channel settings services behind the pages: clearing choices, the defaults table, removal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AuditEvent, ChannelRobot
from tracker.rules import reminders as rules
from tracker.services.errors import Forbidden, NotFound, ServiceError
from tracker.services.notifications import channel_prefs, robots

URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-1234"


def audit_count(action: str) -> int:
    return len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all())


def test_empty_mode_removes_a_choice_and_an_unchanged_save_writes_no_audit(app, factory):
    user = factory.user("officer", "wujin")
    channel_prefs.set_preferences(user, user.id, {rules.VISIT_DUE: "app", rules.VISIT_OVERDUE: "both"})
    channel_prefs.set_preferences(user, user.id, {rules.VISIT_DUE: "app", rules.VISIT_OVERDUE: "both"})
    assert audit_count("user.channel_preferences") == 1
    channel_prefs.set_preferences(user, user.id, {rules.VISIT_DUE: ""})
    assert user.channel_preferences == {rules.VISIT_OVERDUE: "both"}
    assert channel_prefs.own_choices(user) == {rules.VISIT_OVERDUE: "both"}
    with pytest.raises(Forbidden):
        channel_prefs.set_preferences(factory.user("officer", "wujin"), user.id, {rules.VISIT_DUE: "app"})


def test_defaults_table_sets_and_clears_and_role_fallback(app, factory):
    admin = factory.user("admin", None)
    changed = channel_prefs.set_role_defaults(admin, {("manager", "*"): "both", ("officer", rules.VISIT_DUE): "app",
                                                      ("officer", "*"): ""})
    assert changed == 2
    assert channel_prefs.role_default_modes("manager")[rules.VISIT_DUE] == "both"
    assert channel_prefs.role_default_modes("officer")[rules.VISIT_DUE] == "app"
    assert channel_prefs.role_default_modes("officer")[rules.VISIT_OVERDUE] == "email"
    assert channel_prefs.set_role_defaults(admin, {("manager", "*"): "both"}) == 0
    assert channel_prefs.set_role_defaults(admin, {("manager", "*"): ""}) == 1
    assert ("manager", "*") not in channel_prefs.role_defaults() and audit_count("channel_default.clear") == 1
    with pytest.raises(ServiceError):
        channel_prefs.set_role_defaults(admin, {("officer", "*"): "fax"})
    with pytest.raises(ServiceError):  # one bad cell: none of the table is saved
        channel_prefs.set_role_defaults(admin, {("manager", "*"): "app", ("nobody", "*"): "app"})
    assert ("manager", "*") not in channel_prefs.role_defaults()
    with pytest.raises(Forbidden):
        channel_prefs.set_role_defaults(factory.user("manager", "wujin"), {("officer", "*"): "app"})


def test_remove_robot_is_soft_admin_only_and_adding_again_reactivates(app, factory):
    admin = factory.user("admin", None)
    robot = robots.add_robot(admin, "wecom", "wujin", URL)
    with pytest.raises(Forbidden):
        robots.remove_robot(factory.user("manager", "wujin"), robot.id)
    robots.remove_robot(admin, robot.id)
    assert db.session.get(ChannelRobot, robot.id).active is False and audit_count("channel_robot.remove") == 1
    with pytest.raises(NotFound):
        robots.remove_robot(admin, robot.id)
    with pytest.raises(NotFound):
        robots.remove_robot(admin, 987654)
    again = robots.add_robot(admin, "wecom", "wujin", URL)
    assert again.id == robot.id and again.active is True
