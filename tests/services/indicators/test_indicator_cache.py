import datetime as dt

import pytest

from tracker.services.indicators import dashboard
from tracker.services.errors import Forbidden

D = dt.date(2026, 6, 30)
TTL = 600  # INDICATOR_CACHE_SECONDS as the view passes it


def test_dashboard_cache_is_reused_until_something_changes(app, factory, runner):
    runner.invoke(args=["seed-plan"])
    dashboard.clear_cache()
    admin = factory.user("admin")
    company = factory.company("wujin")
    first = dashboard.cached_dashboard(D, admin, D, ttl_seconds=TTL)
    assert first.rows[0].figure.actual == 0
    assert dashboard.cached_dashboard(D, admin, D, ttl_seconds=TTL) is first  # nothing changed: reused
    factory.designation(company, "hnte", dt.date(2026, 1, 5))  # writes an audit row
    second = dashboard.cached_dashboard(D, admin, D, ttl_seconds=TTL)
    assert second is not first and second.rows[0].figure.actual == 1


def test_cache_never_widens_scope(app, factory):
    dashboard.clear_cache()
    admin = factory.user("admin")
    manager = factory.user("manager", "liyang")
    officer = factory.user("officer", "liyang")
    factory.designation(factory.company("wujin"), "hnte", dt.date(2026, 1, 5))
    assert dashboard.cached_dashboard(D, admin, D, ttl_seconds=TTL).rows[0].figure.actual == 1
    assert dashboard.cached_dashboard(D, manager, D, ttl_seconds=TTL).rows[0].figure.actual == 0
    with pytest.raises(Forbidden):
        dashboard.cached_dashboard(D, officer, D, ttl_seconds=TTL)
