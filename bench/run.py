"""Benchmark of the tracker at scale (issues 7 and 13), against PostgreSQL on 127.0.0.1.

    .venv/bin/python bench/run.py --companies 100000          # build (or --reuse) and measure
    .venv/bin/python bench/run.py --companies 2000 --seconds 3  # a quick smoke run
    .venv/bin/python bench/run.py --sizes 10000,30000,100000 --reuse   # how each figure grows
    scripts/bench.sh ...                                       # the same, installing wrk first

Prints one table: indicator roll-up beside the hand-written SQL floor; for each page the
single-request server time (median of sequential requests, app and SQL time and query count
from the app's Server-Timing header, tracker/web/timing.py) beside its latency under load (wrk,
a compiled load generator pinned to its own core, signed in through bench/wrk_session.lua); the
reminder sweep and SMTP delivery, imports, peak memory. Results are also written to
bench/results/latest.json; with --sizes, each size runs in its own database and
bench/results/growth.json holds every figure's growth exponent, log(t2/t1) / log(n2/n1).
Nothing here asserts a time: the figures are for reading, and docs/benchmarks.md records them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.cookiejar
import json
import math
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
BENCH_DB = os.environ.get("BENCH_DB", "tracker_bench")
INSTANCE = Path(tempfile.mkdtemp(prefix="tracker-bench-"))
os.environ.update({
    "DATABASE_URL": f"{PG_SERVER}/{BENCH_DB}",
    "INSTANCE_PATH": str(INSTANCE),
    "APP_ENV": "development",
})
# gunicorn refuses the instance folder's development key (tracker/secret_key.py): one per run.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(32))
os.environ.pop("MAIL_SERVER", None)

from sqlalchemy import create_engine, func, select, text  # noqa: E402

RESULTS: list[tuple[str, str, str]] = []
# Numeric figures of the current size ("section: metric [what]" -> value), for the growth table.
FIGURES: dict[str, float] = {}
_TIME = re.compile(r"([\d.]+) (ms|s)\b")


def report(section: str, metric: str, value: str, figures: dict[str, float] | None = None) -> None:
    """One row of the table; `figures` are its numbers by name (else the first time in `value`)."""
    RESULTS.append((section, metric, value))
    print(f"  {section:<18} {metric:<48} {value}", flush=True)
    if figures is None:
        found = _TIME.search(value)
        figures = {found.group(2): float(found.group(1))} if found else {}
    for name, number in figures.items():
        FIGURES[f"{section}: {metric} [{name}]"] = number


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timed(fn, repeat: int = 7) -> tuple[float, object]:
    """Median wall time of `repeat` runs after one warm-up, and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def recreate_database(name: str) -> None:
    engine = create_engine(f"{PG_SERVER.replace('postgresql://', 'postgresql+psycopg://')}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


# ---------------------------------------------------------------------------------------------
def build_city(app, database: str, companies: int, seed: int, as_of: dt.date, reuse: bool) -> None:
    from flask_migrate import upgrade

    from tracker.extensions import db
    from tracker.models import Company
    from tracker.services.indicators import targets
    from tracker.services.ops import demo_city

    if reuse:
        with app.app_context():
            try:
                existing = db.session.scalar(select(func.count(Company.id)))
            except Exception:  # noqa: BLE001 - no schema yet
                existing = None
            db.session.remove()
        if existing == companies:
            report("generate", f"reusing {database}", f"{existing} companies")
            with app.app_context():
                upgrade()  # this checkout's migrations, if the database predates any
            rebuild_derived(app)
            return
    with app.app_context():
        db.engine.dispose()
    recreate_database(database)
    with app.app_context():
        upgrade()
        targets.seed_plan()
        start = time.perf_counter()
        counts = demo_city.generate(companies=companies, seed=seed, reference=as_of)
        elapsed = time.perf_counter() - start
    report("generate", f"{counts.companies} companies, {counts.visits} visits", f"{elapsed:.1f} s")
    report("generate", f"{counts.designations} designations, {counts.follow_ups} follow-ups, {counts.tracks} tracks", f"{counts.users} users")


def rebuild_derived(app) -> None:
    """The nightly rebuilds of the derived tables (a reused database gets this checkout's rules):
    the current-stage table and the candidates page's stored results, each timed."""
    from tracker.clock import today
    from tracker.services.candidates import results
    from tracker.services.stages import rebuild_company_stages
    from tracker.services.unit_of_work import unit_of_work

    with app.app_context():
        start = time.perf_counter()
        with unit_of_work():
            on_ladder = rebuild_company_stages(today())
        report("derived", "current-stage table rebuilt (nightly job)", f"{time.perf_counter() - start:.2f} s, {on_ladder} companies on the ladder")
        start = time.perf_counter()
        sets = results.recompute_all((today().year, today().year + 1))
        report("derived", "candidate results recomputed (every rung, 2 years)", f"{time.perf_counter() - start:.2f} s, {sets} sets")


# ---------------------------------------------------------------------------------------------
def bench_rollup(app, as_of: dt.date) -> None:
    from tracker.extensions import db
    from tracker.services.indicators.rollup import roll_up

    floor_sql = text((ROOT / "bench" / "floor.sql").read_text(encoding="utf-8"))
    params = {"d": as_of, "y0": dt.date(as_of.year, 1, 1), "y1": dt.date(as_of.year + 1, 1, 1), "yr": as_of.year}
    with app.app_context():
        service_time, rolled = timed(lambda: roll_up(as_of))
        floor_time, rows = timed(lambda: db.session.execute(floor_sql, params).all())
        floor_city: dict[str, int] = {}
        for code, _district, n in rows:
            floor_city[code] = floor_city.get(code, 0) + n
        service_city = {item["code"]: item["actual"] for item in rolled.to_dict()["indicators"]}
        same = all(service_city.get(code, 0) == n for code, n in floor_city.items())
    report("roll-up", "service roll_up() (12 indicators, city + districts)", ms(service_time))
    report("roll-up", "hand-written SQL floor (one UNION ALL statement)", ms(floor_time))
    report("roll-up", "ratio service / floor", f"{service_time / floor_time:.2f}x")
    report("roll-up", "service and floor give the same counts", "yes" if same else f"NO: {service_city} vs {floor_city}")


# ---------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_TIMING = re.compile(r"(\w+);dur=([\d.]+)(?:;desc=\"(\d+) quer)?")
# One User-Agent for the Python client and wrk: Flask-Login's strong session protection ties the
# session to it, and would send wrk's requests (another agent) to the login page.
USER_AGENT = "tracker-bench"


class Client:
    """One signed-in user (cookies, CSRF token from the login form), for sequential requests and
    to hand its session cookie to wrk."""

    def __init__(self, base: str, email: str, password: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]
        page = self.opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        data = {"email": email, "password": password}
        if token:
            data["csrf_token"] = token.group(1)
        self.opener.open(f"{base}/login", urllib.parse.urlencode(data).encode()).read()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def get(self, path: str) -> tuple[int, float, dict[str, float]]:
        """(status, wall seconds, Server-Timing figures: app ms, sql ms, queries)."""
        start = time.perf_counter()
        try:
            with self.opener.open(f"{self.base}{path}") as response:
                response.read()
                status, header = response.status, response.headers.get("Server-Timing", "")
        except urllib.error.HTTPError as exc:
            status, header = exc.code, exc.headers.get("Server-Timing", "")
        elapsed = time.perf_counter() - start
        timing: dict[str, float] = {}
        for name, duration, queries in SERVER_TIMING.findall(header):
            timing[f"{name}_ms"] = float(duration)
            if queries:
                timing["queries"] = float(queries)
        return status, elapsed, timing


def proc_status(pid: int, field: str) -> int:
    """A kB field of /proc/<pid>/status (VmHWM = peak resident memory)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def core_placement() -> tuple[list[str], list[str], str]:
    """taskset prefixes for wrk and gunicorn, and a sentence saying where each runs.

    wrk gets the last core alone; gunicorn the others when there are at least two others. On two
    cores gunicorn stays unpinned: pinned to core 0 it would lose the share of core 1 that wrk (one
    thread, mostly waiting) leaves idle. PostgreSQL is never pinned and shares every core.
    """
    cores = sorted(os.sched_getaffinity(0))
    if not shutil.which("taskset") or len(cores) < 2:
        return [], [], f"{len(cores)} core(s), nothing pinned (taskset missing or one core)"
    wrk_core = cores[-1]
    others = cores[:-1]
    wrk_prefix = ["taskset", "-c", str(wrk_core)]
    if len(others) >= 2:
        return (wrk_prefix, ["taskset", "-c", ",".join(map(str, others))],
                f"wrk on core {wrk_core}, gunicorn on cores {','.join(map(str, others))}, PostgreSQL unpinned")
    return (wrk_prefix, [],
            f"wrk on core {wrk_core}; gunicorn and PostgreSQL unpinned, sharing all {len(cores)} cores")


class Page(NamedTuple):
    """One page of the pages section: who asks, for which path(s), and what to do before each
    sequential request (`before`: e.g. change the data the page is computed from)."""

    label: str
    email: str
    paths: list[str]
    before: Callable[[], None] | None = None
    under_load: bool = True


def touch_figures(app, company_id: int) -> Callable[[], None]:
    """A data change as a user makes it: one company's staff count, up and down by one in turn,
    saved through the figures service (so every stamp and stored result sees a real edit)."""
    from tracker.extensions import db
    from tracker.models import Company, CompanyYearFigures, User
    from tracker.rules.figures import FIELDS
    from tracker.services.companies import figures

    turn = [0]

    def change() -> None:
        with app.app_context():
            actor = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
            company = db.session.get(Company, company_id)
            row = db.session.scalar(select(CompanyYearFigures).where(CompanyYearFigures.company_id == company_id)
                                    .order_by(CompanyYearFigures.year.desc()))
            data = {name: getattr(row, name) for name in FIELDS}
            data["staff_count"] = (row.staff_count or 10) + (1 if turn[0] % 2 == 0 else -1)
            turn[0] += 1
            figures.save_year(actor, company, row.year, data, version=row.version)
            db.session.remove()

    return change


def single_requests(client: Client, page: Page, count: int) -> dict[str, float]:
    """Median of `count` sequential requests: server app ms, SQL ms, queries (Server-Timing), wall ms."""
    samples: dict[str, list[float]] = {"app_ms": [], "sql_ms": [], "queries": [], "wall_ms": []}
    non_200 = 0
    for i in range(count):
        if page.before:
            page.before()
        status, elapsed, timing = client.get(page.paths[i % len(page.paths)])
        non_200 += status != 200
        samples["wall_ms"].append(elapsed * 1000)
        for name in ("app_ms", "sql_ms", "queries"):
            if name in timing:
                samples[name].append(timing[name])
    result = {name: statistics.median(values) for name, values in samples.items() if values}
    result["non_200"] = non_200
    return result


def warm_up(client: Client, page: Page, workers: int) -> None:
    """As many requests at once as gunicorn has workers, twice: every worker has served the page
    (its per-process caches filled, templates compiled) before anything is measured."""
    for _ in range(2):
        threads = [threading.Thread(target=client.get, args=(page.paths[n % len(page.paths)],)) for n in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def settle(client: Client, workers: int) -> None:
    """Wait until gunicorn has answered the requests wrk left queued when it stopped (one cheap
    request per worker, queued behind them), so that the next page is measured on an idle server."""
    threads = [threading.Thread(target=client.get, args=("/healthz",)) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def under_load(base: str, client: Client, page: Page, clients: int, seconds: float, wrk_prefix: list[str]) -> dict:
    """wrk with `clients` connections for `seconds` as this user: requests/s and latency percentiles."""
    env = dict(os.environ, WRK_COOKIE=client.cookie_header(), WRK_USER_AGENT=USER_AGENT, WRK_PATHS="")
    paths_file = None
    if len(page.paths) > 1:
        paths_file = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        paths_file.write("\n".join(page.paths) + "\n")
        paths_file.close()
        env["WRK_PATHS"] = paths_file.name
    command = [*wrk_prefix, "wrk", "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "60s",
               "-s", str(ROOT / "bench" / "wrk_session.lua"), f"{base}{page.paths[0]}"]
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)
    finally:
        if paths_file:
            os.unlink(paths_file.name)
    line = next((l for l in done.stdout.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        return {"error": (done.stderr or done.stdout).strip()[-200:] or f"wrk exit {done.returncode}"}
    return json.loads(line[len("WRK_JSON "):])


def bench_pages(app, clients: int, seconds: float, workers: int, single: int) -> None:
    from flask import url_for

    from tracker.extensions import db
    from tracker.models import Company, CompanyYearFigures, User
    from tracker.services.ops.demo_city import DEMO_PASSWORD

    if not shutil.which("wrk"):
        report("pages", "wrk not installed (apt-get install wrk, or scripts/bench.sh)", "skipped")
        return
    with app.app_context():
        company_ids = list(db.session.scalars(select(Company.id).where(Company.district == "wujin").order_by(Company.id).limit(500)))
        changed_company = db.session.scalar(
            select(CompanyYearFigures.company_id).join(Company).where(Company.district == "wujin")
            .order_by(CompanyYearFigures.company_id).limit(1))
        officer_email = db.session.scalar(
            select(User.email).where(User.role == "officer", User.district == "wujin").order_by(User.id)
        )
        with app.test_request_context():
            def maybe(endpoint, **values):
                return [url_for(endpoint, **values)] if endpoint in app.view_functions else []

            company_pages = [f"/companies/{cid}" for cid in company_ids]
            change = touch_figures(app, changed_company) if changed_company else None
            admin, manager = "admin@example.com", "manager.wujin@example.com"
            # One URL: the administrator's ranking is the city's, a manager's is scoped to the district.
            city_candidates = district_candidates = maybe("candidates.index", target="hnte")
            pages = [
                Page("company list + filters (admin)", admin, maybe("companies.index", district="wujin", stage="hnte", sort="name")),
                Page("company list, search (manager)", manager, maybe("companies.index", q="常州恒")),
                Page("company page (manager)", manager, company_pages),
                Page("My work (officer)", officer_email, maybe("work.my_work")),
                Page("cultivation board (manager)", manager, maybe("cultivation.board", rung="hnte", year=2026)),
                Page("dashboard (admin)", admin, maybe("indicators.dashboard")),
                Page("candidates city-wide, after a change (admin)", admin, city_candidates, change, under_load=False),
                Page("candidates city-wide, warm (admin)", admin, city_candidates),
                Page("candidates a district, after a change (manager)", manager, district_candidates, change, under_load=False),
                Page("candidates a district, warm (manager)", manager, district_candidates),
            ]
    wrk_prefix, server_prefix, placement = core_placement()
    # The machine may be shared: its load says how far to trust single-request times.
    report("pages", "placement", f"{placement}; load average {os.getloadavg()[0]:.1f}", {})
    port = free_port()
    # SERVER_TIMING: every response says its app and SQL time (tracker/web/timing.py).
    env = dict(os.environ, FLASK_APP="app", SERVER_TIMING="1")
    server = subprocess.Popen(
        [*server_prefix, str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "120", "--log-level", "warning", "app:app"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    signed_in: dict[str, Client] = {}
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz").read()
                break
            except OSError:
                if server.poll() is not None:
                    report("pages", "gunicorn did not start", f"exit {server.returncode}")
                    return
                time.sleep(0.2)
        for page in pages:
            if not page.paths:
                report("pages", page.label, "n/a (page not built)")
                continue
            if page.before is None and not page.under_load:
                report("pages", page.label, "n/a (no company in the district has figures to change)")
                continue
            if page.email not in signed_in:
                signed_in[page.email] = Client(base, page.email, DEMO_PASSWORD)  # once per user
            client = signed_in[page.email]
            if page.before is None:
                warm_up(client, page, workers)
            one = single_requests(client, page, max(3, single // 2) if page.before else single)
            figures = {f"1 req {name}": value for name, value in one.items() if name != "non_200"}
            text = (f"1 req: app {one.get('app_ms', 0):.1f} ms, sql {one.get('sql_ms', 0):.1f} ms, "
                    f"{one.get('queries', 0):.0f} queries")
            if one["non_200"]:
                text += f" ({one['non_200']:.0f} non-200)"
            if page.under_load:
                load = under_load(base, client, page, clients, seconds, wrk_prefix)
                settle(client, workers)
                if "error" in load:
                    text += f"; wrk failed: {load['error']}"
                else:
                    socket_errors = sum(n for kind, n in load["errors"].items() if kind != "status")
                    text += (f"; {clients} conn: p50 {load['p50_ms']:.0f} ms, p95 {load['p95_ms']:.0f} ms, "
                             f"p99 {load['p99_ms']:.0f} ms, {load['rps']:.1f} req/s"
                             + (f", {load['non_200']} non-200" if load["non_200"] else "")
                             + (f", {socket_errors} socket errors/timeouts" if socket_errors else ""))
                    figures.update({f"{clients} conn p50_ms": load["p50_ms"], f"{clients} conn p95_ms": load["p95_ms"],
                                    f"{clients} conn req/s": load["rps"]})
            report("pages", page.label, text, figures)
        peak = max((proc_status(pid, "VmHWM") for pid in children_of(server.pid)), default=0)
        report("memory", f"gunicorn worker peak RSS (of {workers})", f"{peak / 1024:.0f} MB", {"MB": peak / 1024})
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# ---------------------------------------------------------------------------------------------
def bench_reminders(app, as_of: dt.date, max_emails: int) -> None:
    from tracker.extensions import db
    from tracker.models import Notification
    from tracker.services.notifications import sweep

    with app.app_context():
        db.session.execute(Notification.__table__.delete())
        db.session.commit()
        start = time.perf_counter()
        sweep.sweep(as_of)
        elapsed = time.perf_counter() - start
        rows = db.session.scalar(select(func.count(Notification.id)))
    report("reminders", "sweep over the whole city", f"{elapsed:.2f} s, {rows} outbox rows")
    with app.app_context():
        start = time.perf_counter()
        again = sweep.sweep(as_of)
        elapsed = time.perf_counter() - start
    report("reminders", "later sweep, the same day (every key exists)", f"{elapsed:.2f} s, {again.created} rows added")
    bench_delivery(app, max_emails)


def bench_delivery(app, max_emails: int) -> None:
    """Deliver up to `max_emails` pending rows to an SMTP server on loopback; emails per second."""
    from tracker.services.notifications import mailer
    from aiosmtpd.controller import Controller

    from tracker.extensions import db
    from tracker.models import Notification

    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.received += 1
            return "250 OK"

    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False)
        with app.app_context():
            keep = select(Notification.id).where(Notification.status == "pending").order_by(Notification.id).limit(max_emails)
            db.session.execute(
                Notification.__table__.update().where(Notification.status == "pending", Notification.id.not_in(keep)).values(status="skipped")
            )
            db.session.commit()
            start = time.perf_counter()
            mailer.drain()
            elapsed = time.perf_counter() - start
        rate = Sink.received / elapsed if elapsed else 0
        report("reminders", "SMTP delivery to loopback", f"{Sink.received} emails in {elapsed:.2f} s = {rate:.0f}/s")
    finally:
        controller.stop()
        app.config.update(MAIL_SERVER=None)


# ---------------------------------------------------------------------------------------------
def bench_imports(database: str, companies: int, designations: int) -> None:
    """Import fresh files into a separate empty database, through the same CLI users run."""
    from tracker.rules.uscc import make_code

    name = database + "_import"
    recreate_database(name)
    env = dict(os.environ, DATABASE_URL=f"{PG_SERVER}/{name}", FLASK_APP="app")
    flask = str(ROOT / ".venv/bin/flask")
    subprocess.run([flask, "init-db"], cwd=ROOT, env=env, check=True, capture_output=True)
    folder = Path(tempfile.mkdtemp(prefix="tracker-bench-import-"))
    codes = [make_code(f"9132041200{i:07d}") for i in range(companies)]
    districts = ["溧阳", "金坛", "武进", "新北", "天宁", "钟楼", "常经开"]
    with (folder / "companies.csv").open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "企业名称", "所属辖区", "产业领域", "成立日期", "招引落户日期"])
        for i, code in enumerate(codes):
            writer.writerow([code, f"常州导入测试企业{i:05d}有限公司", districts[i % 7], "新材料", f"20{10 + i % 14}-0{1 + i % 9}-1{i % 9}", ""])
    with (folder / "designations.csv").open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow(["统一社会信用代码", "企业名称", "资质类型", "编号", "认定日期", "有效期起", "有效期至", "批次"])
        for i in range(designations):
            code = codes[i % companies]
            year = 2023 + (i // companies) % 4
            kind = "科技型中小企业" if i % 3 else "高新技术企业"
            writer.writerow([code, "", kind, f"R{i:06d}", f"{year}-0{1 + i % 9}-15", "", "", f"{year}年"])
    for label, kind, rows in (("companies", "companies", companies), ("designations", "designations", designations)):
        start = time.perf_counter()
        done = subprocess.run([flask, "import", kind, str(folder / f"{kind}.csv"), "--mode", "valid"], cwd=ROOT, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        ok = "ok" if done.returncode == 0 else f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
        report("imports", f"{rows} {label} (CLI, commit, incl. start-up)", f"{elapsed:.2f} s ({ok})")


# ---------------------------------------------------------------------------------------------
def bench_worker_memory() -> None:
    """Peak RSS of a Celery worker process that ran the sweep and the send task once."""
    flask = str(ROOT / ".venv/bin/flask")
    env = dict(os.environ, FLASK_APP="app")
    for command in (["reminders", "sweep"], ["reminders", "send"]):
        proc = subprocess.Popen([flask, *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        report("memory", f"`flask {' '.join(command)}` process peak RSS", f"{usage.ru_maxrss / 1024:.0f} MB (exit {os.waitstatus_to_exitcode(status)})")


def growth(runs: list[dict]) -> dict:
    """For every figure present at every size: its values, the exponent between consecutive sizes
    and overall, log(t2/t1) / log(n2/n1) (1 = linear in the city's size, 0 = flat)."""
    sizes = [run["companies"] for run in runs]

    def exponent(t1: float, t2: float, n1: int, n2: int) -> float | None:
        if t1 <= 0 or t2 <= 0 or n1 == n2:
            return None
        return math.log(t2 / t1) / math.log(n2 / n1)

    table = {}
    for key in runs[0]["figures"]:
        values = [run["figures"].get(key) for run in runs]
        if any(v is None for v in values):
            continue
        table[key] = {
            "values": values,
            "exponents": [exponent(values[i], values[i + 1], sizes[i], sizes[i + 1]) for i in range(len(runs) - 1)],
            "overall": exponent(values[0], values[-1], sizes[0], sizes[-1]),
        }
    return {"sizes": sizes, "figures": table}


def print_growth(result: dict) -> None:
    def fmt(x: float | None) -> str:
        return "n/a" if x is None else f"{x:+.2f}"

    sizes = result["sizes"]
    steps = [f"{a}→{b}" for a, b in zip(sizes, sizes[1:])]
    print("\n| figure | " + " | ".join(map(str, sizes)) + " | " + " | ".join(f"exp {s}" for s in steps) + " | exp overall |")
    print("| --- " * (1 + len(sizes) + len(steps) + 1) + "|")
    for key, row in result["figures"].items():
        print(f"| {key} | " + " | ".join(f"{v:.1f}" for v in row["values"]) + " | "
              + " | ".join(fmt(e) for e in row["exponents"]) + f" | {fmt(row['overall'])} |")


def run_size(args, companies: int, database: str, skip: set[str], with_imports: bool) -> dict:
    """The whole benchmark on a city of `companies` in `database`: its rows and figures."""
    RESULTS.clear()
    FIGURES.clear()
    os.environ["DATABASE_URL"] = f"{PG_SERVER}/{database}"  # this app, gunicorn and the CLI runs
    as_of = dt.date.fromisoformat(args.as_of)

    from tracker import create_app  # after DATABASE_URL names this size's database

    app = create_app()
    print(f"tracker benchmark: {companies} companies, PostgreSQL {PG_SERVER}/{database}, "
          f"{os.cpu_count()} cores, as of {as_of}")
    build_city(app, database, companies, args.seed, as_of, args.reuse)
    if "rollup" not in skip:
        bench_rollup(app, as_of)
    if "pages" not in skip:
        bench_pages(app, args.clients, args.seconds, args.workers, args.single)
    if "reminders" not in skip:
        bench_reminders(app, as_of, args.emails)
    if "imports" not in skip and with_imports:
        bench_imports(database, 10_000, 30_000)
    if "memory" not in skip:
        bench_worker_memory()
    with app.app_context():
        from tracker.extensions import db  # the engine of this size's app, closed before the next

        db.engine.dispose()
    print("\n| section | metric | value |\n| --- | --- | --- |")
    for row in RESULTS:
        print(f"| {' | '.join(row)} |")
    return {"companies": companies, "database": database, "results": list(RESULTS), "figures": dict(FIGURES)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--sizes", default="", help="comma-separated city sizes, each in its own database "
                        "(tracker_bench_<n>, or $BENCH_DB_<n>); prints growth exponents")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--as-of", default="2026-11-24")
    parser.add_argument("--reuse", action="store_true", help="keep the bench database if it has N companies")
    parser.add_argument("--clients", type=int, default=20, help="wrk connections")
    parser.add_argument("--seconds", type=float, default=10, help="wrk duration per page")
    parser.add_argument("--single", type=int, default=9, help="sequential requests per page for the single-request median")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: rollup,pages,reminders,imports,memory")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)

    if not args.sizes:
        run = run_size(args, args.companies, BENCH_DB, skip, with_imports=True)
        (out / "latest.json").write_text(json.dumps({"args": vars(args), **run}, ensure_ascii=False, indent=2), encoding="utf-8")
        return
    sizes = sorted(int(n) for n in args.sizes.split(","))
    given = os.environ.get("BENCH_DB")
    runs = []
    for n, companies in enumerate(sizes):
        database = f"{given}_{companies}" if given else f"tracker_bench_{companies}"
        # The imports load fixed files into an empty database: the city's size does not matter.
        runs.append(run_size(args, companies, database, skip, with_imports=n == 0))
        (out / "latest.json").write_text(json.dumps({"args": vars(args), "runs": runs}, ensure_ascii=False, indent=2), encoding="utf-8")
    result = growth(runs)
    (out / "growth.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print_growth(result)


if __name__ == "__main__":
    main()
