"""The production shape as real processes: gunicorn with several workers, Celery workers, one beat.

Each process runs in its own session (so stopping it kills its children too: gunicorn's and
Celery's pool workers), writes one log file the test reads, and is configured only through the
environment, as an operator would (README "Deploying on PostgreSQL + Redis with several workers").
A small HTTP client over fresh connections keeps its own cookie jar, so every request may land on
either gunicorn worker.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import re
import secrets
import shelve
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

from celery import __version__ as celery_version
from celery.beat import ScheduleEntry

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USER_AGENT = "tracker-production-smoke"  # one client: "strong" session protection hashes it
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Service:
    """One long-running process of the shape, its output in `log_path`."""

    def __init__(self, name: str, argv: list[str], env: dict, log_path: Path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 40) -> None:
        """Until `text` appears `count` times in the log; fail (with the log) if the process dies first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log().count(text) >= count:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: no {text!r} ×{count} in its log:\n{self.log()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group (the process and its pool or gunicorn workers) at once.

        The end of a test needs no graceful shutdown: the tables are emptied and Redis flushed after."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def stop(self) -> None:
        """Kill (if still running), reap and close the log."""
        self.kill()
        self.process.wait(10)
        self._log.close()


def gunicorn_argv(port: int, workers: int, access_log: Path) -> list[str]:
    """`gunicorn app:app` on loopback; the access log names the worker pid (%(p)s) of each request."""
    return [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--timeout", "30",
            "--access-logfile", str(access_log), "--access-logformat", '%(p)s "%(r)s" %(s)s', "app:app"]


def celery_worker_argv(name: str, queues: str | None = None) -> list[str]:
    argv = [str(BIN / "celery"), "-A", "workers.celery_app", "worker", "--loglevel=INFO", "--concurrency=1",
            "--pool=prefork", "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return argv + (["-Q", queues] if queues else [])


def celery_beat_argv(schedule_file: Path) -> list[str]:
    return [str(BIN / "celery"), "-A", "workers.celery_app", "beat", "--loglevel=INFO",
            "--schedule", str(schedule_file), "--pidfile", str(schedule_file.with_suffix(".pid"))]


def backdate_beat_entry(schedule_file: Path, name: str, task: str, schedule, timezone: str, ago: dt.timedelta) -> None:
    """Write beat's schedule file as if `name` last ran `ago` (a beat restarted after downtime).

    Beat keeps each entry's last run in this file and, on start, sends at once an entry whose due
    time passed meanwhile: the production schedule itself stays as it is.
    """
    last_run = dt.datetime.now(dt.timezone.utc) - ago
    with shelve.open(str(schedule_file)) as store:
        store["entries"] = {name: ScheduleEntry(name=name, task=task, schedule=schedule, last_run_at=last_run)}
        store["__version__"] = celery_version
        store["tz"] = timezone
        store["utc_enabled"] = True


class Browser:
    """Requests to one address, each over a new TCP connection, with a cookie jar."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None,
                files: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, dict, str]:
        """One request; `files` (field → (filename, bytes)) sends `form` and them as multipart/form-data."""
        headers = {"User-Agent": USER_AGENT, "Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if files is not None:
            body, headers["Content-Type"] = multipart(form or {}, files)
        elif form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for key, morsel in SimpleCookie(header).items():
                    self.cookies[key] = morsel.value
            return response.status, dict(response.headers), text
        finally:
            connection.close()

    def occupy(self, path: str) -> "Occupant":
        """Keep one app process busy: a request whose headers are not finished yet, which the sync
        gunicorn worker that accepted it waits on (so the next connections go to the others)."""
        return Occupant(self.port, path)

    def login(self, email: str, password: str, path: str = "/login") -> int:
        """GET the login form for its CSRF token, POST it; the status of the POST (302: signed in)."""
        status, _, page = self.request("GET", path)
        assert status == 200, page[:500]
        token = CSRF_INPUT.search(page)
        assert token, "no CSRF token on the login page"
        status, _, _ = self.request("POST", path, {"csrf_token": token.group(1), "email": email,
                                                       "password": password})
        return status


def on_two_processes(browser: "Browser", first, second, tag: str = "") -> tuple:
    """Run `first()` and then `second()` on the two different gunicorn workers of a two-worker server.

    Which sync worker accepts a connection is the kernel's choice, so the requests are steered:
    while worker X is held by an unfinished request, `first` can only go to Y; then Y, back at
    accept(), takes a second hold and X is released, so `second` can only go to X. The callers
    check the access log all the same (served_by). Returns both results.
    """
    held = browser.occupy(f"/healthz?hold=first{tag}")
    first_result = first()
    other = browser.occupy(f"/healthz?hold=second{tag}")
    time.sleep(0.5)  # the worker that ran `first` accepts the second hold before X is let go
    assert held.release() == 200
    second_result = second()
    assert other.release() == 200
    return first_result, second_result


class Occupant:
    """A GET sent up to its last header line; `release()` finishes it and reads the answer."""

    def __init__(self, port: int, path: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {USER_AGENT}\r\n".encode())

    def release(self) -> int:
        """Finish the request; its status."""
        try:
            self.sock.sendall(b"Connection: close\r\n\r\n")
            answer = b""
            while chunk := self.sock.recv(65536):
                answer += chunk
            return int(answer.split(b" ", 2)[1])
        finally:
            self.sock.close()


def multipart(form: dict, files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body (as a browser sends a file input) and its Content-Type."""
    boundary = f"tracker-smoke-{secrets.token_hex(8)}"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in form.items()]
    for name, (filename, data) in files.items():
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n")
        parts.append(head.encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def served_by(access_log: Path, method: str, path: str, timeout: float = 5) -> int:
    """The gunicorn worker pid that served `method path` (its line in the access log)."""
    pattern = re.compile(r"^<(\d+)> \"" + method + " " + re.escape(path) + r" HTTP/1\.[01]\" \d+$", re.MULTILINE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = pattern.search(access_log.read_text(encoding="utf-8", errors="replace")) if access_log.exists() else None
        if match:
            return int(match.group(1))
        time.sleep(0.05)
    raise AssertionError(f"no access log line for {method} {path}")
