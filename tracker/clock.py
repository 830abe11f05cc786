"""Dates and times in Asia/Shanghai, where a calendar day means the bureau's day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    """The current instant, timezone-aware (stored as UTC by the database layer)."""
    return dt.datetime.now(dt.timezone.utc)


def today() -> dt.date:
    """Today's date in Asia/Shanghai."""
    return dt.datetime.now(TZ).date()


def local(moment: dt.datetime | None) -> dt.datetime | None:
    """A stored instant shown in Asia/Shanghai (naive values from SQLite are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(TZ)
