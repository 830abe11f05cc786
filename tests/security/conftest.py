"""Fixtures for the security tests.

`web` is a second app object on the same database. The `app` fixture keeps an app context pushed
for the whole test, and Flask reuses it for test-client requests, so `g` (where Flask-Login caches
the signed-in user) would leak from one client's request into another's. Requests to `web` get a
fresh app context each, as in production.
"""

from __future__ import annotations

import pytest

from tests.conftest import base_config
from tracker import create_app
from tracker.extensions import db


@pytest.fixture
def web(app, database_url):
    other = create_app(dict(base_config(database_url)))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
