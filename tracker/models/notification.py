"""The notification outbox: one row per reminder or digest and channel, unique per
(recipient, kind, subject, period, channel); a group robot's rows per (robot, kind, subject, period).

The UNIQUE key is what makes a sweep idempotent: a second sweep, a second beat or a redelivered
task inserts nothing new, and the sender marks a row sent before it can be sent again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.models._base import created_at_column

PENDING, SENDING, SENT, FAILED, SKIPPED = "pending", "sending", "sent", "failed", "skipped"
# The server may have the message: the reply to the final "." never came (timeout or a dropped
# connection). Not resent before MAIL_UNCERTAIN_WAIT_SECONDS, then resent with the same Message-ID.
UNCERTAIN = "uncertain"

# Delivery channels (发送渠道). The `email` row of a notification is also the one shown in the app;
# the other channels are extra rows of the same key, delivered by the messenger.
EMAIL, WECOM_APP, WECOM_ROBOT, DINGTALK_ROBOT = "email", "wecom_app", "wecom_robot", "dingtalk_robot"
CHANNELS = (EMAIL, WECOM_APP, WECOM_ROBOT, DINGTALK_ROBOT)
ROBOT_CHANNELS = (WECOM_ROBOT, DINGTALK_ROBOT)


class Notification(db.Model):
    """A message for one user, shown in the app and delivered by email through the outbox."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("recipient_id", "kind", "subject_key", "period", "channel", name="uq_notification_key"),
        # A group robot's rows have no recipient (NULL never collides): their own key.
        UniqueConstraint("robot_id", "kind", "subject_key", "period", name="uq_notification_robot_key"),
        Index("ix_notification_status", "status", "next_attempt_at"),
        Index("ix_notification_recipient_read", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL only on a group robot's rows (robot_id set instead).
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[str] = mapped_column(String(16), default=EMAIL, server_default=EMAIL)
    robot_id: Mapped[int | None] = mapped_column(ForeignKey("channel_robot.id"))
    kind: Mapped[str] = mapped_column(String(48))
    subject_key: Mapped[str] = mapped_column(String(64))  # e.g. "company:12", "follow_up:7", "digest"
    period: Mapped[str] = mapped_column(String(32))  # e.g. "2026-11-24", "2026-W48", "2026-11"
    company_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[dict | None] = mapped_column(JSON)
    urgent: Mapped[bool] = mapped_column(default=False)
    # Whether the row is delivered through its channel at all (on an `email` row: emailed, or in-app only).
    email_wanted: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Pending / uncertain: not before this instant (backoff); sending: the claim's lease ends here.
    # Always written and compared on the database's clock (tracker.services.notifications.claims).
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # A fresh uuid per claim: every later update of the row must match it, so a sender whose lease
    # ran out cannot overwrite the outcome of the row's current claimant.
    claim_token: Mapped[str | None] = mapped_column(String(36))
    # The Message-ID of the first delivery attempt, kept so every resend carries the same one.
    message_id: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = created_at_column()

    recipient = relationship("User")
    robot = relationship("ChannelRobot")


class ReminderRun(db.Model):
    """One completed run of a periodic job (daily sweep, weekly digests, monthly reports) per period.

    Beat may fire twice or not at all; this table tells the next sweep which periods still need
    their run (catch-up) and shows administrators when the sweep last succeeded.
    """

    __tablename__ = "reminder_run"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_reminder_run_job_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))  # daily | digest_weekly | report_monthly
    period: Mapped[str] = mapped_column(String(32))  # 2026-11-24 | 2026-W48 | 2026-11
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[dt.datetime] = created_at_column()
