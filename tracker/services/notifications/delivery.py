"""Delivering one outbox row by its channel, and draining every channel (`flask reminders send`)."""

from __future__ import annotations

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Notification
from tracker.services.notifications import mailer, messenger
from tracker.services.notifications.mailer import Outcome
from tracker.services.unit_of_work import unit_of_work


def send_one(notification_id: int) -> Outcome:
    """Deliver a row through its channel's sender (SMTP for email, HTTP for 企业微信 / 钉钉)."""
    with unit_of_work():
        channel = db.session.scalar(select(Notification.channel).where(Notification.id == notification_id))
    if channel in messenger.MESSENGER_CHANNELS:
        return messenger.send_one(notification_id)
    return mailer.send_one(notification_id)


def drain(time_budget: float | None = None) -> dict[str, int]:
    """Send everything due on every channel: email first, then the messaging channels in the time left."""
    started = messenger.monotonic()
    counts = mailer.drain(time_budget)
    left = None if time_budget is None else max(0.0, time_budget - (messenger.monotonic() - started))
    for outcome, count in messenger.drain(left).items():
        counts[outcome] = counts.get(outcome, 0) + count
    return counts
