"""`flask backup` / `flask restore`: a round trip into a fresh database keeps every table's rows."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_SERVER_URL, TEST_DB, Factory, base_config
from tracker import create_app
from tracker.extensions import db
from tracker.services.companies.records import soft_delete_company
from tracker.services.ops.backup import table_counts


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database of the kind under test, dropped afterwards."""
    if TEST_DB != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    name = f"tracker_restore_{secrets.token_hex(6)}"
    admin = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_SERVER_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _populate(factory):
    admin = factory.user("admin")
    officer = factory.user("officer", "wujin")
    companies = [factory.company("wujin", officer=officer, name=f"备份企业{n}") for n in range(3)]
    factory.designation(companies[0], "hnte", dt.date(2025, 1, 1))
    soft_delete_company(admin, companies[2], "测试")
    return admin


def test_backup_and_restore_round_trip(app, runner, factory, tmp_path, fresh_database_url):
    _populate(factory)
    source = table_counts(db.engine)
    assert source["company"] == 3 and source["audit_event"] >= 4 and source["alembic_version"] == 1
    path = tmp_path / "tracker.backup"

    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output and path.stat().st_size > 0

    target = create_app(base_config(fresh_database_url))
    try:
        # The CLI runs in the current app context, so enter the target's explicitly.
        with target.app_context():
            assert table_counts(db.engine) == {}
            restored = target.test_cli_runner().invoke(args=["restore", str(path)])
            assert restored.exit_code == 0, restored.output
            assert table_counts(db.engine) == source
            # The restored database is usable: new rows get fresh ids (sequences came along).
            Factory(target).company("liyang", name="恢复后新增")
            assert table_counts(db.engine)["company"] == 4
            db.session.remove()

            # A target holding data is refused without --force, and left as it was.
            again = target.test_cli_runner().invoke(args=["restore", str(path)])
            assert again.exit_code != 0 and "--force" in again.output
            assert table_counts(db.engine)["company"] == 4
            forced = target.test_cli_runner().invoke(args=["restore", "--force", str(path)])
            assert forced.exit_code == 0, forced.output
            assert table_counts(db.engine) == source
        assert table_counts(db.engine) == source  # the source was never touched
    finally:
        with target.app_context():
            db.session.remove()
            db.engine.dispose()


def test_restore_refuses_the_live_database_and_foreign_files(app, runner, factory, tmp_path):
    _populate(factory)
    before = table_counts(db.engine)
    path = tmp_path / "tracker.backup"
    assert runner.invoke(args=["backup", str(path)]).exit_code == 0
    refused = runner.invoke(args=["restore", str(path)])
    assert refused.exit_code != 0 and "已有数据" in refused.output
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup")
    wrong = runner.invoke(args=["restore", "--force", str(bogus)])
    assert wrong.exit_code != 0 and "不是" in wrong.output
    missing = runner.invoke(args=["restore", str(tmp_path / "missing.backup")])
    assert missing.exit_code != 0 and "不存在" in missing.output
    assert table_counts(db.engine) == before
