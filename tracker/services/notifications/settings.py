"""The reminder thresholds an administrator configures: TRACK_STALE_DAYS, REMINDER_BATCH_THRESHOLD.

The rest of the thresholds are the rules' defaults (tracker.rules.reminders.ReminderPolicy).
"""

from __future__ import annotations

# The thresholds are app config. The sweep, the digests and the reports run from beat, the CLI
# and tests, always inside the app; reading the config here, in one place, keeps each of those
# entry points a one-line call.
from flask import current_app

from tracker.rules.reminders import ReminderPolicy


def policy() -> ReminderPolicy:
    """The reminder thresholds, with the configurable ones taken from the app config."""
    return ReminderPolicy(track_stale_days=int(current_app.config.get("TRACK_STALE_DAYS", 60)))


def batch_threshold() -> int:
    """From how many new emails for one person a sweep sends one summary instead (0: never)."""
    return int(current_app.config.get("REMINDER_BATCH_THRESHOLD", 5))
