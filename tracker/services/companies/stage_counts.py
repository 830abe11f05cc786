"""The home page's counts for a user, in a few aggregate queries over what the user may see."""

from __future__ import annotations

import datetime as dt

from tracker.clock import today
from tracker.models import User
from tracker.rules.ladder import RANK_STAGE
from tracker.services.scoping import company_scope_clause
from tracker.services.stages import stage_rank_counts


def stage_counts(user: User, on: dt.date) -> dict[str, int]:
    """Companies the user may see, counted by stage on `on`."""
    by_rank = stage_rank_counts(company_scope_clause(user), on)
    return {stage: by_rank.get(rank, 0) for rank, stage in RANK_STAGE.items()}


def home_summary(user: User) -> dict:
    """What the home page shows: the stage pyramid of the user's companies today."""
    on = today()
    counts = stage_counts(user, on)
    return {"on": on, "stage_counts": counts, "total": sum(counts.values())}
