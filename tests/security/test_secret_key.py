"""No forged login on the embedded default (issue 12 item 8).

Before: the development SECRET_KEY was a constant in the code and the demo users' session tokens
were `demo-admin-<seed>`, so anyone could sign a remember-me cookie for the demo administrator of
any instance started with the defaults. Now the key is random per instance (kept in
instance/secret_key, mode 0600), demo tokens are random, and a development key is never served on
a non-loopback address (`flask run --host 0.0.0.0` and gunicorn refuse to start).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from flask_login.utils import encode_cookie
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

import tracker
from tests.conftest import base_config
from tests.security.routes import build_world
from tracker import create_app, secret_key
from tracker.config import from_environment
from tracker.extensions import db
from tracker.models import User
from tracker.services.ops import demo_city

ROOT = Path(__file__).resolve().parents[2]
OLD_PUBLISHED_KEY = "dev-only-not-secret"


def _development_app(monkeypatch, instance: Path, database_url: str):
    """An app as `./scripts/run.sh` makes it: development, no SECRET_KEY, this instance folder."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(tracker, "INSTANCE", instance)
    config = dict(base_config(database_url), APP_ENV="development", SECRET_KEY=None)
    return create_app(config)


def test_no_key_in_the_code(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("APP_ENV", "development")
    assert from_environment()["SECRET_KEY"] is None
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tracker").rglob("*.py"))
    assert source.count(OLD_PUBLISHED_KEY) == 1  # only in secret_key.PUBLISHED_KEYS, which refuses it


def test_development_keeps_a_random_key_in_the_instance_folder(monkeypatch, tmp_path, database_url, _schema):
    first = _development_app(monkeypatch, tmp_path / "one", database_url)
    key_file = tmp_path / "one" / "secret_key"
    assert key_file.exists() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.secret_key == key_file.read_text().strip() and len(first.secret_key) >= 32
    assert first.config["SECRET_KEY_FROM_INSTANCE"] is True
    again = _development_app(monkeypatch, tmp_path / "one", database_url)
    assert again.secret_key == first.secret_key  # sessions survive a restart; web and worker agree
    other = _development_app(monkeypatch, tmp_path / "two", database_url)
    assert other.secret_key != first.secret_key  # every instance has its own
    for made in (first, again, other):
        with made.app_context():
            db.engine.dispose()


def test_a_readable_key_file_is_made_private(tmp_path):
    folder = tmp_path / "instance"
    key = secret_key.instance_key(folder)
    os.chmod(folder / "secret_key", 0o644)
    assert secret_key.instance_key(folder) == key
    assert stat.S_IMODE((folder / "secret_key").stat().st_mode) == 0o600


def test_the_old_published_key_is_refused_everywhere(monkeypatch, database_url):
    for env in ("development", "production"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(dict(base_config(database_url), APP_ENV=env, SECRET_KEY=OLD_PUBLISHED_KEY))


def test_demo_session_tokens_are_random(app):
    demo_city.generate(companies=12, seed=7, reference=dt.date(2026, 6, 30))
    tokens = db.session.scalars(select(User.session_token)).all()
    assert len(tokens) > 5 and len(set(tokens)) == len(tokens)
    assert not any(t.startswith("demo") for t in tokens)
    assert all(len(t) >= 24 for t in tokens)


def test_a_cookie_forged_with_the_old_defaults_signs_nobody_in(app, monkeypatch, tmp_path, database_url):
    """The exact attack: remember_token = sign('demo-admin-7', 'dev-only-not-secret'); and a session cookie."""
    build_world()
    admin_token = db.session.scalar(select(User.session_token).where(User.email == "admin@example.com"))
    assert admin_token != "demo-admin-7"
    served = _development_app(monkeypatch, tmp_path / "instance", database_url)
    try:
        for guessed_token in ("demo-admin-7", "demo-admin-2027"):
            browser = served.test_client()
            browser.set_cookie("remember_token", encode_cookie(guessed_token, key=OLD_PUBLISHED_KEY))
            session = URLSafeTimedSerializer(OLD_PUBLISHED_KEY, salt="cookie-session", signer_kwargs={
                "key_derivation": "hmac", "digest_method": hashlib.sha1,
            }).dumps({"_user_id": guessed_token, "_fresh": True})
            browser.set_cookie("session", session)
            assert browser.get("/companies/").status_code == 302  # to the login page
        # The real token with the guessed key is no better: the key is this instance's own.
        browser = served.test_client()
        browser.set_cookie("remember_token", encode_cookie(admin_token, key=OLD_PUBLISHED_KEY))
        assert browser.get("/companies/").status_code == 302
    finally:
        with served.app_context():
            db.engine.dispose()


def test_an_instance_key_is_not_served_off_loopback(monkeypatch, tmp_path, database_url, _schema):
    served = _development_app(monkeypatch, tmp_path / "instance", database_url)
    try:
        client = served.test_client()
        assert client.get("/login").status_code == 200
        refused = client.get("/login", environ_overrides={"SERVER_NAME": "0.0.0.0"})
        assert refused.status_code == 503 and "SECRET_KEY" in refused.get_data(as_text=True)
        # With a SECRET_KEY of its own, any address is fine.
        keyed = create_app(dict(base_config(database_url), APP_ENV="development"))
        assert keyed.test_client().get("/login", environ_overrides={"SERVER_NAME": "0.0.0.0"}).status_code == 200
    finally:
        with served.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("example.gov.cn", False), ("", False),
])
def test_loopback_addresses(host, loopback):
    assert secret_key.is_loopback(host) is loopback


# --- the real servers, as subprocesses -----------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SERVER_SOFTWARE", "FLASK_RUN_FROM_CLI")}
    env.update(APP_ENV="development", INSTANCE_PATH=str(tmp_path / "instance"), FLASK_APP="app",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite'}", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


def _serves(port: int, process: subprocess.Popen, seconds: float = 60) -> bool:
    """Wait for /login to answer 200 on the port (False if the process ended first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.3)
    return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_flask_run_on_a_public_address_refuses_without_a_key(tmp_path):
    port = _free_port()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "run", "--host", "0.0.0.0", "--port", str(port)],
        cwd=ROOT, env=_environment(tmp_path), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "127.0.0.1" in result.stderr
    assert "Traceback" not in result.stderr  # a usage error, not a crash


def test_flask_run_on_loopback_serves_with_the_instance_key(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=_environment(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert _serves(port, process), process.stderr.read() if process.poll() is not None else "not serving"
        assert (tmp_path / "instance" / "secret_key").exists()
    finally:
        _stop(process)


def test_gunicorn_refuses_without_a_key_and_serves_with_one(tmp_path):
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "app:app"]
    refused = subprocess.run(command, cwd=ROOT, env=_environment(tmp_path), capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode != 0
    assert "SECRET_KEY" in refused.stderr
    process = subprocess.Popen(
        command, cwd=ROOT, env=_environment(tmp_path, SECRET_KEY="a-long-random-key-for-this-test-only-123"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert _serves(port, process), process.stderr.read() if process.poll() is not None else "not serving"
    finally:
        _stop(process)
