"""The session signing key (SECRET_KEY): from the environment, else one kept in the instance folder.

There is no default key in the code: a published constant would let anyone sign a session or
remember-me cookie for any account of any instance started with the defaults. So:

- `SECRET_KEY` set in the environment (or the test configuration) is used as is; outside
  development and test it must be at least 16 characters and not a value ever published.
- Without it, in development (and test), the first start writes a random key to
  `instance/secret_key` (mode 0600) and every later start (the web process, `flask` commands,
  the Celery worker of `./scripts/run.sh`) reads it back, so sessions survive a restart.
- That instance key is only for one machine: the app refuses to serve with it on anything but a
  loopback address. `flask run --host 0.0.0.0` (any non-loopback host) and gunicorn stop at start
  with a message saying to set SECRET_KEY; any other server bound to a non-loopback address
  answers every request with 503 and the same message.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import tempfile
from pathlib import Path

import click
from flask import Flask, Response, request

KEY_FILE = "secret_key"
MIN_LENGTH = 16
# Development keys earlier versions shipped in their source: public, so never accepted anywhere.
PUBLISHED_KEYS = frozenset({"dev-only-not-secret"})
GENERATE_HINT = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
REFUSAL = (
    "未设置 SECRET_KEY：实例目录中自动生成的开发密钥只能在本机回环地址（127.0.0.1 / localhost）上使用。"
    f"对外提供服务前请设置环境变量 SECRET_KEY（例如 {GENERATE_HINT}）。"
    " SECRET_KEY is not set: the development key kept in instance/secret_key only serves on a loopback"
    " address; set SECRET_KEY to serve on another address or under gunicorn."
)

log = logging.getLogger("tracker.security")


def configure(app: Flask) -> None:
    """Settle app.config["SECRET_KEY"] and refuse to serve a development key publicly."""
    key = app.config.get("SECRET_KEY")
    development = app.config["APP_ENV"] in ("development", "test")
    if key:
        if key in PUBLISHED_KEYS or (not development and len(key) < MIN_LENGTH):
            raise RuntimeError(
                f"SECRET_KEY is missing or unsafe: set a long random SECRET_KEY (e.g. {GENERATE_HINT})"
            )
        app.config["SECRET_KEY_FROM_INSTANCE"] = False
        return
    if not development:
        raise RuntimeError(f"SECRET_KEY is missing or unsafe: set a long random SECRET_KEY outside development "
                           f"(e.g. {GENERATE_HINT})")
    app.config["SECRET_KEY"] = instance_key(Path(app.instance_path))
    app.config["SECRET_KEY_FROM_INSTANCE"] = True
    _refuse_public_start()
    app.before_request(_refuse_public_request)


def instance_key(folder: Path) -> str:
    """The key kept in `folder/secret_key`, created (random, mode 0600) when missing.

    Two processes starting at once agree: the key is written to a private temporary file and
    hard-linked into place, which fails for the second one, who then reads the first one's key.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE
    if not path.exists():
        descriptor, temporary = tempfile.mkstemp(prefix=".secret_key-", dir=folder)  # mode 0600
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # readable by others: the key is as good as published
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} does not hold a usable key: delete it (a new one is generated) or set SECRET_KEY")
    return key


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; False for 0.0.0.0, :: and every other address or name."""
    host = (host or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refuse_public_start() -> None:
    # gunicorn's arbiter sets SERVER_SOFTWARE before it loads the app: a production server, and
    # behind a proxy a loopback bind is public too.
    if os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        raise RuntimeError(REFUSAL)
    # `flask run` loads the app inside its click command, whose parameters say where it will listen.
    context = click.get_current_context(silent=True)
    if context is not None and context.command.name == "run" and "host" in context.params:
        if not is_loopback(context.params["host"]):
            raise click.UsageError(REFUSAL)


def _refuse_public_request():
    # Any other server: werkzeug and gunicorn put the bound address in SERVER_NAME.
    if not is_loopback(request.environ.get("SERVER_NAME")):
        log.error("refused a request: %s", REFUSAL)
        return Response(REFUSAL, 503, mimetype="text/plain")
    return None
