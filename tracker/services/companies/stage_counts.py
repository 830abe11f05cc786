"""The home page's counts for a user, in a few aggregate queries over what the user may see.

Two different questions, each with its own term of tracker.rules.glossary: how many companies
hold a valid HNTE certificate (hnte_holders: indicator 1's own clause, so the home page and the
dashboard show one number), and how the companies spread over the ladder by their highest rung
(stage: each company once, so a gazelle is not in the HNTE stage).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Company, User
from tracker.rules import indicators as indicator_rules
from tracker.rules.ladder import RANK_STAGE
from tracker.services.indicators.definitions import companies_counted
from tracker.services.scoping import company_scope_clause
from tracker.services.stages import stage_rank_counts


def stage_counts(user: User, on: dt.date) -> dict[str, int]:
    """Companies the user may see, counted by stage on `on`."""
    by_rank = stage_rank_counts(company_scope_clause(user), on)
    return {stage: by_rank.get(rank, 0) for rank, stage in RANK_STAGE.items()}


def hnte_holders(user: User, on: dt.date) -> int:
    """Companies the user may see holding a valid HNTE certificate on `on`: indicator 1's clause."""
    return db.session.scalar(
        select(func.count(Company.id)).where(company_scope_clause(user), companies_counted(indicator_rules.HNTE, on))
    ) or 0


def home_summary(user: User) -> dict:
    """What the home page shows: HNTE holders (= indicator 1) and the stage pyramid, today."""
    on = today()
    counts = stage_counts(user, on)
    return {"on": on, "stage_counts": counts, "total": sum(counts.values()), "hnte_holders": hnte_holders(user, on)}
