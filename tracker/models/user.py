"""Users (admin / manager / officer) and company assignments (服务专员分配)."""

from __future__ import annotations

import datetime as dt
import secrets

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.extensions import db
from tracker.models._base import created_at_column

ADMIN, MANAGER, OFFICER = "admin", "manager", "officer"
ROLES = (ADMIN, MANAGER, OFFICER)
ROLE_NAMES = {ADMIN: "市级管理员", MANAGER: "辖区管理员", OFFICER: "服务专员"}


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A person who signs in. Managers and officers belong to one district."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(16), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    # Flask-Login's alternative id: rotating it ends every session and remember-me cookie.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token, unique=True)
    # Reminder preferences: "immediate" or "digest" for non-urgent reminders.
    notify_mode: Mapped[str] = mapped_column(String(16), default="immediate")
    digest_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # The person's 企业微信 / 政务微信 userid (set by an administrator or imported), and their channel
    # choice per kind of notification ({kind: email|wecom|both|app}; missing kinds: the role's default).
    wecom_userid: Mapped[str | None] = mapped_column(String(64))
    channel_preferences: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = created_at_column()
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == MANAGER

    @property
    def is_officer(self) -> bool:
        return self.role == OFFICER

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role, self.role)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Assignment(db.Model):
    """An officer serving a company over a period (history kept: ending sets assigned_until)."""

    __tablename__ = "assignment"
    __table_args__ = (
        Index("ix_assignment_officer_open", "officer_id", "assigned_until"),
        Index("ix_assignment_company_open", "company_id", "assigned_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    officer_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)
    assigned_from: Mapped[dt.date] = mapped_column(Date)
    assigned_until: Mapped[dt.date | None] = mapped_column(Date)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = created_at_column()

    company = relationship("Company", back_populates="assignments")
    officer = relationship("User", foreign_keys=[officer_id])

    @property
    def is_open(self) -> bool:
        return self.assigned_until is None

