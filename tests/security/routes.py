"""Walking every route of the app with real ids, shared by the CSRF and the bad-input tests.

Routes are read from app.url_map, so a route another feature adds later is covered too. URL
arguments named `<thing>_id` are filled with the id of a real row of the table `thing` (or
`*_thing`, e.g. track_id -> cultivation_track); a demo city gives every table some rows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, inspect, select, table, text

from tracker.extensions import db
from tracker.services.ops import demo_city

SKIP_ENDPOINTS = {"static", "bootstrap.static"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "changzhou2027"


def build_world() -> None:
    """Fill the database with a small deterministic demo city (users, companies, visits ...)."""
    demo_city.generate(companies=12, seed=7, reference=dt.date(2026, 6, 30))
    if db.engine.dialect.name == "postgresql":
        # The demo inserts explicit ids; move each sequence past them so later inserts work.
        for name in inspect(db.engine).get_table_names():
            columns = {c["name"] for c in inspect(db.engine).get_columns(name)}
            if "id" in columns:
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"
                ))
        db.session.commit()


def table_for(arg: str) -> str | None:
    """The table an URL argument such as `follow_up_id` points into, if one matches."""
    if not arg.endswith("_id"):
        return None
    base = arg[: -len("_id")]
    names = inspect(db.engine).get_table_names()
    if base in names:
        return base
    matches = sorted(n for n in names if n.endswith("_" + base))
    return matches[0] if matches else None


def real_id(arg: str, exclude: set[int] | None = None) -> int:
    """The id of an existing row for `arg` (1 when the table is empty or unknown: a 404 then)."""
    name = table_for(arg)
    if name is None:
        return 1
    query = select(func.min(table(name, db.column("id")).c.id))
    if exclude:
        query = query.where(table(name, db.column("id")).c.id.not_in(exclude))
    return db.session.scalar(query) or 1


def url_for_rule(rule, overrides: dict[str, int] | None = None) -> str:
    """The rule's path with every argument filled in."""
    values = dict(overrides or {})
    url = rule.rule
    for arg in rule.arguments:
        value = values.get(arg)
        if value is None:
            value = real_id(arg)
        url = url.replace(f"<int:{arg}>", str(value)).replace(f"<{arg}>", str(value))
    return url


def routes(app, methods: set[str]):
    """(rule, method) for every rule of the app answering one of `methods`, in a stable order."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) & methods):
            found.append((rule, method))
    return sorted(found, key=lambda pair: (pair[0].rule, pair[1]))


def row_counts() -> dict[str, int]:
    """Rows per table, to prove a refused request wrote nothing."""
    db.session.rollback()
    names = inspect(db.engine).get_table_names()
    return {name: db.session.scalar(select(func.count()).select_from(table(name))) for name in names}
