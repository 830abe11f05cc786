"""The worker heartbeat lives in the database: one row per worker, upserted by the heartbeat task,
read by the 系统管理 page on whichever machine serves it (issue 13 item 6 follow-up)."""

from __future__ import annotations

import datetime as dt
import socket

from sqlalchemy import select

from tracker.clock import local
from tracker.extensions import db
from tracker.models import WorkerHeartbeat
from tracker.services.ops import heartbeat
from workers.tasks import heartbeat as heartbeat_task

UTC = dt.timezone.utc
NINE = dt.datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai


def _rows() -> dict[str, dt.datetime]:
    db.session.expire_all()
    return {w: local(at) for w, at in db.session.execute(
        select(WorkerHeartbeat.worker, WorkerHeartbeat.last_seen_at))}


def test_each_worker_keeps_one_row_with_its_latest_beat(app):
    heartbeat.record_heartbeat("a@host-1", at=NINE)
    heartbeat.record_heartbeat("b@host-2", at=NINE + dt.timedelta(minutes=5))
    heartbeat.record_heartbeat("a@host-1", at=NINE + dt.timedelta(minutes=30))
    assert _rows() == {"a@host-1": NINE + dt.timedelta(minutes=30), "b@host-2": NINE + dt.timedelta(minutes=5)}


def test_the_page_lists_each_worker_and_marks_the_silent_one_late(app, client, auth, factory):
    heartbeat.record_heartbeat("a@host-1", at=NINE)
    heartbeat.record_heartbeat("b@host-2", at=NINE + dt.timedelta(minutes=90))
    seen = heartbeat.status(NINE + dt.timedelta(minutes=100))
    assert seen.state == heartbeat.OK and "2026-12-02 10:30" in seen.text  # the newest beat, local time
    assert [(w.worker, w.when, w.late) for w in seen.workers] == [
        ("a@host-1", "2026-12-02 09:00", True), ("b@host-2", "2026-12-02 10:30", False)]

    heartbeat.record_heartbeat("b@host-2")  # now: the page judges by the real clock
    auth.login(factory.user("admin"))
    page = client.get("/admin/users").get_data(as_text=True)
    assert "后台任务运行正常" in page
    listed = page.split('data-testid="heartbeat-workers"', 1)[1].split("</ul>", 1)[0]
    assert "a@host-1" in listed and "b@host-2" in listed and "2026-12-02 09:00" in listed
    assert listed.count('data-testid="heartbeat-late"') == 1  # only a, silent for more than two periods


def test_a_worker_silent_for_a_week_is_forgotten_at_the_next_beat(app):
    heartbeat.record_heartbeat("retired@old-host", at=NINE)
    heartbeat.record_heartbeat("a@host-1", at=NINE + dt.timedelta(days=6))
    assert set(_rows()) == {"retired@old-host", "a@host-1"}
    heartbeat.record_heartbeat("a@host-1", at=NINE + dt.timedelta(days=7, minutes=1))
    assert set(_rows()) == {"a@host-1"}


def test_the_task_names_its_worker_and_falls_back_to_the_hostname(app):
    heartbeat_task.push_request(hostname="b@host-2")  # as a worker runs it: its node name
    try:
        heartbeat_task.run()
    finally:
        heartbeat_task.pop_request()
    heartbeat_task()  # called in-process: no worker, the machine's name
    assert set(_rows()) == {"b@host-2", socket.gethostname()}
