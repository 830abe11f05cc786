"""Messaging channels beside email (企业微信 / 政务微信 / 钉钉): group robots, the cached access
token, and the administrators' default channel per role and kind."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db
from tracker.models._base import created_at_column, updated_at_column

WECOM, DINGTALK = "wecom", "dingtalk"
ROBOT_KINDS = (WECOM, DINGTALK)
CITY = "city"  # a robot's scope: a district code, or the whole city


class ChannelRobot(db.Model):
    """A group robot (群机器人) of one district or of the city; URL and secret stored encrypted."""

    __tablename__ = "channel_robot"
    __table_args__ = (UniqueConstraint("kind", "scope", name="uq_channel_robot_kind_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # wecom | dingtalk
    scope: Mapped[str] = mapped_column(String(16))  # a district code or "city"
    url_encrypted: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    url_hint: Mapped[str] = mapped_column(String(64))  # the masked URL shown after saving
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Database-clock instants (epoch seconds) of the sends of the last minute: the pacing window.
    recent_sends: Mapped[list | None] = mapped_column(JSON)
    # Optimistic lock of the pacing window: a reservation updates the row only at the version it read.
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()


class ChannelAccessToken(db.Model):
    """The 企业微信 access token, cached in the database so every worker shares one."""

    __tablename__ = "channel_access_token"
    __table_args__ = (UniqueConstraint("account", name="uq_channel_access_token_account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(255))  # api base + corp id + agent id
    token_encrypted: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = created_at_column()


class ChannelDefault(db.Model):
    """An administrator's default channel choice for a role and a kind of notification ("*": any)."""

    __tablename__ = "channel_default"
    __table_args__ = (UniqueConstraint("role", "kind", name="uq_channel_default_role_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(48))
    mode: Mapped[str] = mapped_column(String(16))  # email | wecom | both | app
    updated_at: Mapped[dt.datetime] = updated_at_column()
