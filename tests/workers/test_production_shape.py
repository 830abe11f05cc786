"""The production shape on one machine: two app processes behind one address (gunicorn, 2 workers),
two Celery workers and one beat on Redis, one PostgreSQL (README "Deploying on PostgreSQL + Redis
with several workers").

Every process is real and configured only through the environment. The smoke test signs in once
and sees the same session served by both gunicorn workers (the key is SECRET_KEY, not anything of
one process); the sweep runs on worker "a" (it alone consumes the queue "sweeps") and its emails
are delivered by worker "b" (the default queue), each exactly once; beat, started as after a
downtime, sends the missed heartbeat, which a worker records and the 系统管理 page shows. The app
processes and each worker get their own instance folder, as separate machines would: the heartbeat
and an import's file waiting between its dry run on one app process and its confirmation on the
other pass through the database only. A second test proves the login throttle is shared between
the app processes (REDIS_URL).
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from sqlalchemy import func, select

from tests.conftest import Factory
from tests.services.imports.import_helpers import COMPANY_HEADER, company_rows, csv_file
from tests.workers.conftest import wait_until
from tests.workers.production import (
    CSRF_INPUT, ROOT, Browser, Service, backdate_beat_entry, celery_beat_argv, celery_worker_argv, gunicorn_argv,
    on_two_processes, served_by,
)
from tests.workers.smtp import free_port
from tracker.extensions import db
from tracker.models import Company, Notification, Visit
from tracker.models.notification import SENT
from workers.schedule import beat_schedule
from workers.tasks import sweep_reminders

# A hang anywhere (a process that never gets ready, a task never run) fails the test, not the run.
pytestmark = [pytest.mark.pg_only, pytest.mark.timeout(120)]

TODAY = dt.date(2026, 6, 3)
SWEEP_QUEUE = "sweeps"
STEERED_ROUNDS = 5  # steered pairs tried until one was split over both processes (the first, as a rule)
TOKEN_INPUT = re.compile(r'name="token" type="hidden" value="([^"]+)"')


@pytest.fixture
def shape(app, broker, database_url, smtp, tmp_path):
    """start(name, argv) → a running Service with the production environment; all stopped after the test."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the production shape runs on PostgreSQL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_"))}
    env.update({
        "APP_ENV": "production",
        "SECRET_KEY": "production-shape-test-key-shared-by-every-process",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,  # the login throttle's counters (keys under tracker:login:)
        "CELERY_VISIBILITY_TIMEOUT": "30",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_CONNECT_TIMEOUT_SECONDS": "2",
        "MAIL_COMMAND_TIMEOUT_SECONDS": "2",
        "MAIL_DATA_TIMEOUT_SECONDS": "5",
        "MAIL_SEND_LEASE_SECONDS": "30",
        # Each test gives processes that would be separate machines their own INSTANCE_PATH.
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "APP_BASE_URL": "https://tracker.example",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env["PYTHONPATH"] = str(ROOT)
    started: list[Service] = []

    def start(name: str, argv: list[str], **overrides) -> Service:
        service = Service(name, argv, {**env, **{k: str(v) for k, v in overrides.items()}},
                          tmp_path / f"{name}.log")
        started.append(service)
        return service

    yield start
    for service in started:  # every group killed first, then reaped: no process outlives the test
        service.kill()
    for service in started:
        service.stop()


def start_app_servers(shape, tmp_path, **overrides):
    """gunicorn with 2 workers on a free loopback port, ready when both have loaded the app."""
    port = free_port()
    access_log = tmp_path / "access.log"
    server = shape("gunicorn", gunicorn_argv(port, 2, access_log), **overrides)
    server.wait_for_log("Booting worker with pid", count=2, timeout=20)
    wait_until(lambda: _answers(port), timeout=30, message="gunicorn answering /login")
    return port, access_log


def _answers(port: int) -> bool:
    try:
        return Browser(port).request("GET", "/login")[0] == 200
    except OSError:
        return False


def page_on_both_processes(browser: Browser, access_log, path: str, must_contain: str) -> set[int]:
    """Request `path` signed in on each app process (steered, on_two_processes); the pids that served it."""
    for n in range(STEERED_ROUNDS):
        probes = f"{path}?probe={n}a", f"{path}?probe={n}b"
        pages = on_two_processes(browser, lambda: browser.request("GET", probes[0]),
                                 lambda: browser.request("GET", probes[1]), tag=f"-page-{n}")
        for probe, (status, _, page) in zip(probes, pages):
            assert status == 200 and must_contain in page, f"{probe}: {status} (signed out on another process?)"
        pids = {served_by(access_log, "GET", probe) for probe in probes}
        if len(pids) == 2:
            return pids
    raise AssertionError(f"{STEERED_ROUNDS} steered pairs each served by one process")


def seed_city(factory: Factory):
    """An administrator to sign in, a district manager and an officer whose two companies are
    overdue for a visit (the sweep's reminders, escalation, digest and report)."""
    admin = factory.user("admin", email="admin@city.example", name="市管理员")
    manager = factory.user("manager", "wujin", email="manager@city.example")
    officer = factory.user("officer", "wujin", email="officer@city.example")
    for days in (365, 365 + 50):
        company = factory.company(officer=officer)
        db.session.add(Visit(company_id=company.id, officer_id=officer.id, summary="走访",
                             visited_on=TODAY - dt.timedelta(days=days)))
    db.session.commit()
    return admin, manager, officer


def emailed() -> dict[int, str]:
    """Every notification that wants an email, with its status, as the workers left it."""
    db.session.rollback()  # a fresh snapshot: other processes wrote these
    rows = db.session.execute(select(Notification.id, Notification.status)
                              .where(Notification.email_wanted.is_(True))).all()
    return dict(rows)


def import_confirmed_on_the_other_process(browser: Browser, access_log) -> tuple[int, int]:
    """Dry-run a company file on one app process and confirm it on the other (steered,
    on_two_processes); their pids, as the access log says."""
    for n in range(STEERED_ROUNDS):
        status, _, page = browser.request("GET", f"/imports/?round={n}")
        assert status == 200, page[:500]
        data = csv_file(COMPANY_HEADER, company_rows(2, start=100 + 2 * n))
        dry_path, confirm_path = f"/imports/?dry={n}", f"/imports/commit?round={n}"
        token = CSRF_INPUT.search(page).group(1)
        answers: dict = {}

        def dry_run():
            status, _, report = browser.request("POST", dry_path, {"csrf_token": token, "kind": "companies"},
                                                files={"file": ("companies.csv", data)})
            assert status == 200 and "试导入" in report and TOKEN_INPUT.search(report), report[-2000:]
            answers["report"] = report

        def confirm():
            report = answers["report"]
            return browser.request("POST", confirm_path, {
                "csrf_token": CSRF_INPUT.search(report).group(1), "token": TOKEN_INPUT.search(report).group(1),
                "mode": "all"})

        _, (status, _, result) = on_two_processes(browser, dry_run, confirm, tag=f"-import-{n}")
        assert status == 200 and "已导入" in result, f"round {n}: {status} {result[-2000:]}"
        db.session.rollback()  # a fresh snapshot: the app processes wrote these
        assert db.session.scalar(select(func.count()).select_from(Company)) == 2 + 2 * (n + 1)
        pids = served_by(access_log, "POST", dry_path), served_by(access_log, "POST", confirm_path)
        if pids[0] != pids[1]:
            return pids
    raise AssertionError(f"{STEERED_ROUNDS} dry runs each confirmed on the same process")


def task_lines(log: str, task: str, outcome: str) -> list[str]:
    return [line for line in log.splitlines() if f"workers.tasks.{task}[" in line and outcome in line]


def test_two_app_processes_two_workers_and_one_beat(app, factory, shape, smtp, tmp_path):
    admin, _, _ = seed_city(factory)
    schedule_file = tmp_path / "celerybeat-schedule"
    heartbeat = beat_schedule()["heartbeat"]
    # Beat restarted after a downtime: the heartbeat due meanwhile is sent at once.
    backdate_beat_entry(schedule_file, "heartbeat", heartbeat["task"], heartbeat["schedule"],
                        app.extensions["celery"].conf.timezone, dt.timedelta(hours=1))

    # Separate machines: the web host, each worker host and the beat host have their own folder.
    web_instance = tmp_path / "web-host"
    port, access_log = start_app_servers(shape, tmp_path, INSTANCE_PATH=web_instance)
    sweeper = shape("worker-a", celery_worker_argv("a", queues=SWEEP_QUEUE), INSTANCE_PATH=tmp_path / "worker-host-a")
    sender = shape("worker-b", celery_worker_argv("b"), INSTANCE_PATH=tmp_path / "worker-host-b")
    sweeper.wait_for_log(" ready.")
    sender.wait_for_log(" ready.")
    beat = shape("beat", celery_beat_argv(schedule_file), INSTANCE_PATH=tmp_path / "beat-host")

    # One sign-in, the same session on both app processes.
    browser = Browser(port)
    assert browser.login(admin.email, Factory.PASSWORD) == 302
    assert len(page_on_both_processes(browser, access_log, "/admin/users", admin.email)) == 2

    # The sweep on worker a; its send tasks go to the default queue, i.e. to worker b.
    sweep_reminders.apply_async(args=[TODAY.isoformat()], queue=SWEEP_QUEUE)
    sweeper.wait_for_log("workers.tasks.sweep_reminders[", count=2, timeout=30)  # received, succeeded
    wait_until(lambda: (rows := emailed()) and all(s == SENT for s in rows.values()), timeout=30,
               message="every email sent")
    ids = set(emailed())
    assert len(ids) >= 3  # the officer's reminders, the manager's escalation, digest and report
    wait_until(lambda: len(smtp.handler.messages) >= len(ids), timeout=5, message="the messages at the server")
    assert smtp.handler.copies() == {f"<notification-{i}@localhost>": 1 for i in ids}

    [swept] = task_lines(sweeper.log(), "sweep_reminders", "succeeded")
    assert re.search(r"'created': [1-9]", swept), swept
    assert not task_lines(sender.log(), "sweep_reminders", "received")
    assert not task_lines(sweeper.log(), "send_notification", "received")
    assert len(task_lines(sender.log(), "send_notification", "succeeded")) >= len(ids)

    # Beat is alive: it sent the heartbeat, a worker recorded it, the app shows it.
    beat.wait_for_log("Sending due task heartbeat (workers.tasks.heartbeat)", timeout=20)
    sender.wait_for_log("workers.tasks.heartbeat[", count=2, timeout=20)
    status, _, page = browser.request("GET", "/admin/users")
    assert status == 200 and "后台任务运行正常" in page
    assert re.search(r"<code>b@[^<]+</code>：最近一次心跳", page), "worker b's own row on the page"

    # An import's file waits in the database: a dry run on one app process, confirmed on the other.
    dry_run_pid, confirm_pid = import_confirmed_on_the_other_process(browser, access_log)
    assert dry_run_pid != confirm_pid
    assert not (web_instance / "uploads").exists()


def test_the_login_throttle_is_shared_by_the_app_processes(app, factory, shape, tmp_path):
    """Failures spread over both processes lock the account: the counters live in Redis."""
    limit = 4
    port, access_log = start_app_servers(shape, tmp_path, LOGIN_FAILURES_PER_ACCOUNT=limit,
                                         LOGIN_FAILURES_PER_IP=1000)
    for round_ in range(STEERED_ROUNDS):  # until one account's failures landed on both processes
        user = factory.user("officer", "wujin", email=f"locked{round_}@city.example")
        browser = Browser(port)
        paths = [f"/login?round={round_}&attempt={attempt}" for attempt in range(limit)]
        statuses = []
        for pair in range(0, limit, 2):  # each pair of failures steered onto the two processes
            statuses += on_two_processes(browser, lambda: browser.login(user.email, "wrong-password-1", paths[pair]),
                                         lambda: browser.login(user.email, "wrong-password-1", paths[pair + 1]),
                                         tag=f"-login-{round_}-{pair}")
        pids = {served_by(access_log, "POST", path) for path in paths}
        # The failure that reaches the limit locks the account (429) on whichever process took it,
        # and then even the right password is refused (302 would be signed in).
        right = browser.login(user.email, Factory.PASSWORD, f"/login?round={round_}")
        assert statuses + [right] == [200] * (limit - 1) + [429, 429], \
            f"failures on processes {pids} answered {statuses}, then {right}: a process counted alone"
        if len(pids) == 2:
            return
    pytest.fail(f"{STEERED_ROUNDS} rounds of failures each served by one process only")
