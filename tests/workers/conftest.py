"""Real parts for the delivery tests: Redis broker, Celery worker subprocesses, SMTP on loopback.

Workers are `.venv/bin/celery -A workers.celery_app worker` processes in their own session (so a
test can SIGKILL the whole process group, as a crashed machine would), configured through the
environment exactly as in production: DATABASE_URL of the test database, CELERY_BROKER_URL of
the test's Redis database, MAIL_SERVER/MAIL_PORT of the loopback SMTP server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.workers.smtp import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")
SKEWED_CLOCK = Path(__file__).resolve().parent / "skewed_clock"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def broker(app, redis_url):
    """Point the test app's Celery at this run's Redis database, emptied before and after."""
    import redis

    client = redis.Redis.from_url(redis_url)
    claim = client.get("tracker-test-claim")

    def clean():
        client.flushdb()
        if claim:
            client.set("tracker-test-claim", claim, ex=3600)

    clean()
    celery = app.extensions["celery"]
    celery.conf.broker_url = redis_url
    celery.conf.broker_transport_options = {"visibility_timeout": 30}
    yield redis_url
    clean()
    client.close()


class Worker:
    def __init__(self, name: str, env: dict, log_path: Path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [CELERY, "-A", "workers.celery_app", "worker", "--loglevel=INFO", "--concurrency=1", "--pool=prefork",
             "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"worker {self.name} did not start:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once (a crash: no warm shutdown, no ack)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def pause(self) -> None:
        """SIGSTOP the worker and its pool children (a process frozen by the OS, a VM paused)."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.killpg(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        """End of test: no warm shutdown to wait for; Redis is flushed and the tables emptied after."""
        try:
            os.killpg(self.process.pid, signal.SIGCONT)  # a paused one too
            os.killpg(self.process.pid, signal.SIGKILL)  # the worker and any pool children
        except ProcessLookupError:
            pass
        self.process.wait(10)
        self._log.close()

    def received(self, task: str = "send_notification") -> int:
        """How many times this worker received the task (redeliveries included)."""
        return sum(1 for line in self.log().splitlines()
                   if f"workers.tasks.{task}[" in line and line.rstrip().endswith("received"))


@pytest.fixture
def workers(app, broker, database_url, smtp, tmp_path):
    """start(name, **env) → a ready Worker; all are stopped after the test (before the tables are emptied)."""
    started: list[Worker] = []

    def start(name: str = "w1", *, clock_offset: float | None = None, wait: bool = True, **overrides) -> Worker:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "TEST_"))}
        env.update({
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker,
            "CELERY_VISIBILITY_TIMEOUT": "30",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.port),
            "MAIL_CONNECT_TIMEOUT_SECONDS": "2",
            "MAIL_COMMAND_TIMEOUT_SECONDS": "2",
            "MAIL_DATA_TIMEOUT_SECONDS": "5",  # longest send 2 + 5 × 2 + 5 = 17 s; the lease must be ≥ 25.5
            "MAIL_BACKOFF_BASE_SECONDS": "0.3",
            "MAIL_BACKOFF_MAX_SECONDS": "1",
            "MAIL_SEND_LEASE_SECONDS": "30",
            "INSTANCE_PATH": str(tmp_path / f"instance-{name}"),
            "APP_ENV": "test",
            "SECRET_KEY": "worker-test-secret-key-long-enough",
            "APP_BASE_URL": "http://127.0.0.1:5000",
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        if clock_offset:  # this worker's clock runs that many seconds off (tests/workers/skewed_clock)
            env["PYTHONPATH"] = f"{SKEWED_CLOCK}{os.pathsep}{ROOT}"
            env["TRACKER_TEST_CLOCK_OFFSET"] = str(clock_offset)
        env.update({k: str(v) for k, v in overrides.items()})
        worker = Worker(name, env, tmp_path / f"{name}-{len(started)}.log")
        started.append(worker)
        if wait:
            worker.wait_ready()
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll until predicate() is truthy; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")
