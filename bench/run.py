"""Benchmark of the tracker at scale (issue 7), against PostgreSQL on 127.0.0.1.

    .venv/bin/python bench/run.py --companies 100000          # build (or --reuse) and measure
    .venv/bin/python bench/run.py --companies 2000 --seconds 3  # a quick smoke run

Prints one table: indicator roll-up beside the hand-written SQL floor, page latency under
concurrent load through gunicorn, the reminder sweep and SMTP delivery, imports, peak memory.
Results are also written to bench/results/latest.json. Nothing here asserts a time: the figures
are for reading, and docs/benchmarks.md records them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import http.cookiejar
import json
import os
import re
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
os.environ.pop("MAIL_SERVER", None)

from sqlalchemy import create_engine, func, select, text  # noqa: E402

RESULTS: list[tuple[str, str, str]] = []


def report(section: str, metric: str, value: str) -> None:
    RESULTS.append((section, metric, value))
    print(f"  {section:<18} {metric:<48} {value}", flush=True)


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
def build_city(app, companies: int, seed: int, as_of: dt.date, reuse: bool) -> None:
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
            report("generate", f"reusing {BENCH_DB}", f"{existing} companies")
            return
    with app.app_context():
        db.engine.dispose()
    recreate_database(BENCH_DB)
    with app.app_context():
        upgrade()
        targets.seed_plan()
        start = time.perf_counter()
        counts = demo_city.generate(companies=companies, seed=seed, reference=as_of)
        elapsed = time.perf_counter() - start
    report("generate", f"{counts.companies} companies, {counts.visits} visits", f"{elapsed:.1f} s")
    report("generate", f"{counts.designations} designations, {counts.follow_ups} follow-ups, {counts.tracks} tracks", f"{counts.users} users")


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


class Client:
    """One logged-in browser-like client (cookies, CSRF token from the login form)."""

    def __init__(self, base: str, email: str, password: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = self.opener.open(f"{base}/login").read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        data = {"email": email, "password": password}
        if token:
            data["csrf_token"] = token.group(1)
        self.opener.open(f"{base}/login", urllib.parse.urlencode(data).encode()).read()

    def get(self, path: str) -> tuple[int, float]:
        start = time.perf_counter()
        try:
            with self.opener.open(f"{self.base}{path}") as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status, time.perf_counter() - start


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


def bench_pages(app, clients: int, seconds: float, workers: int) -> None:
    from flask import url_for

    from tracker.extensions import db
    from tracker.models import Company, User
    from tracker.services.ops.demo_city import DEMO_PASSWORD

    with app.app_context():
        company_ids = list(db.session.scalars(select(Company.id).where(Company.district == "wujin").limit(500)))
        officer_email = db.session.scalar(
            select(User.email).where(User.role == "officer", User.district == "wujin").order_by(User.id)
        )
        with app.test_request_context():
            def maybe(endpoint, **values):
                return url_for(endpoint, **values) if endpoint in app.view_functions else None

            pages = [
                ("company list + filters (admin)", "admin@example.com", maybe("companies.index", district="wujin", stage="hnte", sort="name")),
                ("company list, search (manager)", "manager.wujin@example.com", maybe("companies.index", q="常州恒")),
                ("company page (manager)", "manager.wujin@example.com", "COMPANY"),
                ("My work (officer)", officer_email, maybe("work.my_work")),
                ("cultivation board (manager)", "manager.wujin@example.com", maybe("cultivation.board", rung="hnte", year=2026)),
                ("dashboard (admin)", "admin@example.com", maybe("indicators.dashboard")),
            ]
    port = free_port()
    env = dict(os.environ, FLASK_APP="app")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:app"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz").read()
                break
            except OSError:
                time.sleep(0.2)
        for label, email, path in pages:
            if path is None:
                report("pages", label, "n/a (page not built)")
                continue
            sessions = [Client(base, email, DEMO_PASSWORD) for _ in range(clients)]
            latencies: list[float] = []
            errors = 0
            lock = threading.Lock()
            deadline = time.perf_counter() + seconds

            def worker(client: Client, n: int) -> None:
                nonlocal errors
                i = n
                while time.perf_counter() < deadline:
                    target = f"/companies/{company_ids[i % len(company_ids)]}" if path == "COMPANY" else path
                    status, elapsed = client.get(target)
                    i += clients
                    with lock:
                        latencies.append(elapsed)
                        if status != 200:
                            errors += 1

            started = time.perf_counter()
            threads = [threading.Thread(target=worker, args=(s, n)) for n, s in enumerate(sessions)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
            latencies.sort()
            p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else 0
            report("pages", label,
                   f"median {ms(statistics.median(latencies))}, p95 {ms(p95)}, {len(latencies) / wall:.0f} req/s"
                   + (f", {errors} non-200" if errors else ""))
        peak = max((proc_status(pid, "VmHWM") for pid in children_of(server.pid)), default=0)
        report("memory", f"gunicorn worker peak RSS (of {workers})", f"{peak / 1024:.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=10)


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
def bench_imports(companies: int, designations: int) -> None:
    """Import fresh files into a separate empty database, through the same CLI users run."""
    from tracker.rules.uscc import make_code

    name = BENCH_DB + "_import"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--as-of", default="2026-11-24")
    parser.add_argument("--reuse", action="store_true", help="keep the bench database if it has N companies")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: rollup,pages,reminders,imports,memory")
    args = parser.parse_args()
    as_of = dt.date.fromisoformat(args.as_of)
    skip = set(filter(None, args.skip.split(",")))

    from tracker import create_app

    app = create_app()
    print(f"tracker benchmark: {args.companies} companies, PostgreSQL {PG_SERVER}/{BENCH_DB}, "
          f"{os.cpu_count()} cores, as of {as_of}")
    build_city(app, args.companies, args.seed, as_of, args.reuse)
    if "rollup" not in skip:
        bench_rollup(app, as_of)
    if "pages" not in skip:
        bench_pages(app, args.clients, args.seconds, args.workers)
    if "reminders" not in skip:
        bench_reminders(app, as_of, args.emails)
    if "imports" not in skip:
        bench_imports(10_000, 30_000)
    if "memory" not in skip:
        bench_worker_memory()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps({"args": vars(args), "results": RESULTS}, ensure_ascii=False, indent=2), encoding="utf-8")
    print("\n| section | metric | value |\n| --- | --- | --- |")
    for row in RESULTS:
        print(f"| {' | '.join(row)} |")


if __name__ == "__main__":
    main()
