"""Writing audit rows. Callers pass the session's pending change; the row commits with it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tracker.extensions import db
from tracker.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj: Any, fields: tuple[str, ...] | list[str]) -> dict:
    """The named attributes of a record as JSON-friendly values, for before/after."""
    return {f: _plain(getattr(obj, f)) for f in fields}


def record(
    actor_id: int | None,
    action: str,
    entity: Any | None = None,
    *,
    entity_type: str | None = None,
    entity_id: int | None = None,
    company_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Add an audit row to the current transaction (it is committed, or rolled back, with it)."""
    if entity is not None:
        entity_type = entity_type or entity.__tablename__
        db.session.flush()
        entity_id = entity_id or entity.id
        if company_id is None:
            company_id = entity.id if entity_type == "company" else getattr(entity, "company_id", None)
    event = AuditEvent(
        actor_id=actor_id, action=action, entity_type=entity_type or "system", entity_id=entity_id,
        company_id=company_id,
        before={k: _plain(v) for k, v in before.items()} if before else None,
        after={k: _plain(v) for k, v in after.items()} if after else None,
    )
    db.session.add(event)
    return event
