"""Per-request server time: the whole request, and the SQL it ran (statements and their time).

With SERVER_TIMING on, every response carries a `Server-Timing` header (W3C Server Timing):

    Server-Timing: app;dur=12.3, sql;dur=4.5;desc="6 queries"

so a browser's developer tools, `curl -i` or the benchmark (bench/run.py) read where a page's time
goes without a profiler. With SLOW_REQUEST_MS above 0, a request slower than that is logged (method,
path, status, the same figures), which suits production, where the header would tell every client
how long the server worked. Both are off by default: then nothing is listened to and nothing added.

The counts are kept per request in `flask.g` (a context-local: each thread, greenlet or request has
its own), and each statement's start time on its own SQLAlchemy execution context, so concurrent
requests of a threaded server never mix their figures. Statements run outside a request (CLI,
Celery tasks, a test's own queries) are not counted.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import Flask, Response, g, has_app_context, request
from sqlalchemy import event

from tracker.extensions import db

log = logging.getLogger("tracker.timing")


@dataclass
class RequestTiming:
    """What one request spent: since it started, and in SQL statements."""

    started: float
    statements: int = 0
    sql_seconds: float = 0.0

    def app_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000

    def header(self) -> str:
        """The Server-Timing value: `app` is the whole request, `sql` the statements' share of it."""
        noun = "query" if self.statements == 1 else "queries"
        return (f'app;dur={self.app_ms():.1f}, '
                f'sql;dur={self.sql_seconds * 1000:.1f};desc="{self.statements} {noun}"')


def current_timing() -> RequestTiming | None:
    """The running request's figures, or None outside a timed request."""
    return g.get("server_timing") if has_app_context() else None


def init_app(app: Flask) -> None:
    """Listen to the app's engines and time its requests if SERVER_TIMING or SLOW_REQUEST_MS asks."""
    header = bool(app.config.get("SERVER_TIMING"))
    slow_ms = float(app.config.get("SLOW_REQUEST_MS") or 0)
    if not header and slow_ms <= 0:
        return
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "before_cursor_execute", _before_statement)
            event.listen(engine, "after_cursor_execute", _after_statement)

    def start() -> None:
        g.server_timing = RequestTiming(started=time.perf_counter())

    def finish(response: Response) -> Response:
        timing = current_timing()
        if timing is None:
            return response
        if header:
            existing = response.headers.get("Server-Timing")
            response.headers["Server-Timing"] = f"{existing}, {timing.header()}" if existing else timing.header()
        elapsed_ms = timing.app_ms()
        if 0 < slow_ms <= elapsed_ms:
            log.warning("slow request %s %s -> %s: %.1f ms, %d SQL statements in %.1f ms",
                        request.method, request.full_path.rstrip("?"), response.status_code,
                        elapsed_ms, timing.statements, timing.sql_seconds * 1000)
        return response

    # First of the app's before_request functions (the CSRF check and others registered earlier
    # would otherwise run untimed); after_request functions run in reverse order of registration,
    # so `finish` runs after the security headers and the rest registered later.
    app.before_request_funcs.setdefault(None, []).insert(0, start)
    app.after_request(finish)


def _before_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    if context is not None and current_timing() is not None:
        context._server_timing_started = time.perf_counter()


def _after_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    timing = current_timing()
    started = getattr(context, "_server_timing_started", None)
    if timing is None or started is None:
        return
    timing.statements += 1
    timing.sql_seconds += time.perf_counter() - started
