"""常州市科技型企业“倍增行动”培育跟踪系统: the application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, render_template, request
from sqlalchemy import event
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import models  # noqa: F401  (register every table with the metadata)
from tracker.accompaniment.views import bp as accompaniment_bp
from tracker.activity.views import bp as activity_bp
from tracker.admin.channels import bp as channels_bp
from tracker.admin.views import bp as admin_bp
from tracker.api.views import bp as api_bp
from tracker.attractions.views import bp as attractions_bp
from tracker.auditlog.views import bp as auditlog_bp
from tracker.auth.loader import configure_login
from tracker.auth.views import bp as auth_bp
from tracker.calendar.views import bp as calendar_bp
from tracker.candidates.views import bp as candidates_bp
from tracker.celery_setup import celery_init_app
from tracker.certificates.views import bp as certificates_bp
from tracker.cli import register as register_cli
from tracker.companies.views import bp as companies_bp
from tracker.config import INSTANCE, from_environment
from tracker.cultivation.views import bp as cultivation_bp
from tracker.designations.views import bp as designations_bp
from tracker.extensions import bootstrap, csrf, db, login_manager, migrate
from tracker.followups.views import bp as followups_bp
from tracker.imports.views import bp as imports_bp
from tracker.indicators.views import bp as indicators_bp
from tracker.main import template_helpers
from tracker.main.views import bp as main_bp
from tracker.notifications.views import bp as notifications_bp
from tracker.policies.views import bp as policies_bp
from tracker.registries.views import bp as registries_bp
from tracker import secret_key
from tracker.services.errors import ServiceError
from tracker.support.views import bp as support_bp
from tracker.visits.views import bp as visits_bp
from tracker.web import once, timing
from tracker.web.converters import DatabaseIntConverter
from tracker.work.views import bp as work_bp

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from the environment, then `test_config` on top (tests pass their own)."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "tracker" / "static"),
    )
    app.config.from_mapping(from_environment())
    if test_config:
        app.config.update(test_config)
    secret_key.configure(app)  # SECRET_KEY, else instance/secret_key (never served publicly)
    os.makedirs(app.instance_path, exist_ok=True)
    _trust_proxies(app)

    register_extensions(app)
    timing.init_app(app)  # SERVER_TIMING / SLOW_REQUEST_MS: per-request app and SQL time
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    register_security_headers(app)
    celery_init_app(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_HOPS reverse proxies, take the client's address from X-Forwarded-For.

    Every request then comes from the proxy, so `request.remote_addr` (what the login throttle and
    session protection use) would be the proxy's; ProxyFix takes the entry that many hops from the
    right. With 0 the header is ignored, because a client could write anything in it.
    """
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops)


def register_extensions(app: Flask) -> None:
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and not app.config["POSTGRES_JIT"]:
        _without_jit(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    configure_login(login_manager)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            _tune_sqlite(db.engine)


def _without_jit(app: Flask) -> None:
    """Every PostgreSQL session of the app with `jit = off` (POSTGRES_JIT=1 keeps the server's own).

    Why: the city-wide queries (the reminder sweep's due visits, list counts at 100,000 companies)
    are costed high enough to be JIT-compiled, and compiling took longer than running them: due
    visits of a 30,000-company city, 1.5 s of which 0.85 s JIT, 0.65 s without (docs/benchmarks.md).
    Set through libpq's startup options, so it holds from the first statement of every connection.
    """
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    connect_args = dict(options.get("connect_args") or {})
    connect_args["options"] = " ".join(filter(None, [connect_args.get("options"), "-c jit=off"]))
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _tune_sqlite(engine) -> None:
    # WAL and a busy timeout let the web process and the Celery worker share the file.
    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    """One blueprint per feature."""
    app.url_map.converters["int"] = DatabaseIntConverter  # before any rule: ids past the DB's range are 404s
    for blueprint in (
        auth_bp, main_bp, companies_bp, designations_bp, admin_bp, work_bp, visits_bp, cultivation_bp,
        auditlog_bp, indicators_bp, registries_bp, attractions_bp, api_bp, imports_bp, notifications_bp, candidates_bp,
        certificates_bp, calendar_bp, followups_bp, activity_bp, policies_bp,
        accompaniment_bp, support_bp, channels_bp,
    ):
        app.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    """Error pages in Chinese (JSON under /api/), for HTTP errors and refused service calls."""

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        wants_json = request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"
        messages = {
            400: "请求有误", 403: "您无权访问该页面", 404: "页面不存在或您无权查看",
            405: "不支持的请求方式", 413: "上传的文件过大", 429: "操作过于频繁，请稍后再试",
            500: "服务器内部错误，请稍后再试",
        }
        message = getattr(error, "description", None) if code in (400, 429) else None
        message = message if isinstance(message, str) and not message.isascii() else messages.get(code, "出错了")
        if wants_json:
            return {"error": message, "status": code}, code
        return render_template("errors/error.html", code=code, message=message), code

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)
    once.register(app)  # a replayed create form: "该记录已保存" with a link

    @app.errorhandler(StaleDataError)
    def stale_data(error: StaleDataError):
        # A versioned row changed between our read and our write and no service caught it:
        # refuse clearly rather than answer 500; nothing was written. (Use cases turn this into
        # Conflict inside their unit of work; this is the net for a flush outside one, whose
        # session must be rolled back before it can be used again.)
        db.session.rollback()
        message = "该记录已被修改（可能是您在另一窗口的操作），您的修改未保存，请刷新页面后重试"
        if request.path.startswith("/api/"):
            return {"error": message, "status": 409}, 409
        return render_template("errors/error.html", code=409, message=message), 409

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        if request.path.startswith("/api/"):
            return {"error": error.message, "status": error.status_code}, error.status_code
        return render_template("errors/error.html", code=error.status_code, message=error.message), error.status_code


def register_template_helpers(app: Flask) -> None:
    """Jinja filters and globals (Chinese labels, dates, menu)."""
    template_helpers.init_app(app)


def register_commands(app: Flask) -> None:
    """The `flask` commands."""
    register_cli(app)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


logging.getLogger("tracker").setLevel(logging.INFO)
