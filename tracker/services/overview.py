"""The home page's counts for a user, in a few aggregate queries over what the user may see."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Company, User
from tracker.rules.ladder import RANK_STAGE
from tracker.services.scoping import company_scope_clause
from tracker.services.stages import stage_rank_subquery


def stage_counts(user: User, on: dt.date) -> dict[str, int]:
    """Companies the user may see, counted by stage on `on`."""
    rank = stage_rank_subquery(on).label("rank")
    inner = select(rank).select_from(Company).where(company_scope_clause(user)).subquery()
    rows = db.session.execute(select(inner.c.rank, func.count()).group_by(inner.c.rank)).all()
    counts = {stage: 0 for stage in RANK_STAGE.values()}
    for rank_value, count in rows:
        counts[RANK_STAGE[int(rank_value or 0)]] = count
    return counts


def home_summary(user: User) -> dict:
    """What the home page shows: the stage pyramid of the user's companies today."""
    on = today()
    counts = stage_counts(user, on)
    return {"on": on, "stage_counts": counts, "total": sum(counts.values())}
