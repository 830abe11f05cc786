import datetime as dt

import pytest

from tracker.services.indicators import rollup as indicators
from tracker.services.errors import Forbidden

D = dt.date(2026, 6, 30)


def test_dashboard_cache_is_reused_until_something_changes(app, factory, runner):
    runner.invoke(args=["seed-plan"])
    app.config["INDICATOR_CACHE_SECONDS"] = 600
    indicators._DASHBOARD_CACHE.clear()
    admin = factory.user("admin")
    company = factory.company("wujin")
    first = indicators.cached_dashboard(D, admin, D)
    assert first.rows[0].figure.actual == 0
    assert indicators.cached_dashboard(D, admin, D) is first  # nothing changed: reused
    factory.designation(company, "hnte", dt.date(2026, 1, 5))  # writes an audit row
    second = indicators.cached_dashboard(D, admin, D)
    assert second is not first and second.rows[0].figure.actual == 1


def test_cache_never_widens_scope(app, factory):
    app.config["INDICATOR_CACHE_SECONDS"] = 600
    indicators._DASHBOARD_CACHE.clear()
    admin = factory.user("admin")
    manager = factory.user("manager", "liyang")
    officer = factory.user("officer", "liyang")
    factory.designation(factory.company("wujin"), "hnte", dt.date(2026, 1, 5))
    assert indicators.cached_dashboard(D, admin, D).rows[0].figure.actual == 1
    assert indicators.cached_dashboard(D, manager, D).rows[0].figure.actual == 0
    with pytest.raises(Forbidden):
        indicators.cached_dashboard(D, officer, D)
