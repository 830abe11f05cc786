"""Migration 0009 turns the Chinese channel names companies held into codes, and back on downgrade."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from tests.conftest import base_config
from tracker import create_app
from tracker.extensions import db

INSERT = text(
    "INSERT INTO company (uscc, name, district, attraction_channel, uscc_check_override, version, created_at, updated_at) "
    "VALUES (:uscc, :name, 'wujin', :channel, false, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)")


def test_names_become_codes_and_unknown_text_becomes_a_channel(app, tmp_path):
    other = create_app(base_config(f"sqlite:///{tmp_path / 'channels.sqlite'}"))
    with other.app_context():
        upgrade(revision="0008")
        for n, channel in enumerate(["载体招引", "基金", "路演推介", None, "fund"]):
            db.session.execute(INSERT, {"uscc": f"U{n}", "name": f"企业{n}", "channel": channel})
        db.session.commit()
        upgrade(revision="0009")
        held = dict(db.session.execute(text("SELECT uscc, attraction_channel FROM company")).all())
        assert held == {"U0": "carrier", "U1": "fund", "U2": "c1", "U3": None, "U4": "fund"}
        assert db.session.execute(text("SELECT name FROM attraction_channel WHERE code = 'c1'")).scalar() == "路演推介"
        assert db.session.execute(text("SELECT count(*) FROM attraction_channel")).scalar() == 7
        db.session.commit()
        downgrade(revision="0008")
        held = dict(db.session.execute(text("SELECT uscc, attraction_channel FROM company")).all())
        assert held == {"U0": "载体招引", "U1": "基金招引", "U2": "路演推介", "U3": None, "U4": "基金招引"}
        db.session.remove()
        db.engine.dispose()
