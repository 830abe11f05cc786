"""INSERT … ON CONFLICT on either database: the shared kernel's one place for it.

SQLAlchemy offers `on_conflict_do_nothing` / `on_conflict_do_update` only on the dialect-specific
insert constructs; every upsert in the services (outbox rows, reminder runs, worker heartbeats,
messenger access tokens) takes its INSERT from here, so it runs the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from tracker.extensions import db


def dialect_insert(model):
    """An INSERT of this database's dialect, which offers ON CONFLICT DO NOTHING / DO UPDATE."""
    return (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(model)
