"""A user's own notifications (消息): the in-app list, read marks, preferences, the test email."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update

from tracker import clock
from tracker.extensions import db
from tracker.models import Notification, User
from tracker.models.notification import EMAIL
from tracker.rules import reminders as rules
from tracker.services import audit
from tracker.services.errors import NotFound, ServiceError
from tracker.services.notifications.notify import notify
from tracker.services.notifications.rows import path_for
from tracker.services.pagination import Page
from tracker.services.unit_of_work import use_case

NOTIFY_MODES = {"immediate": "即时提醒", "digest": "仅每周摘要（紧急事项仍即时发送）"}


FLOOD_THRESHOLD = 3  # this many unread messages of one kind show as one line "N 条同类提醒"


@dataclass(frozen=True)
class Flood:
    """Unread messages of one kind, shown collapsed: the kind, how many, the newest title."""

    kind: str
    count: int
    latest_title: str


def floods(user: User, threshold: int = FLOOD_THRESHOLD) -> list[Flood]:
    """Kinds with at least `threshold` unread messages for the user, the largest first (one GROUP BY)."""
    rows = db.session.execute(
        select(Notification.kind, func.count(Notification.id), func.max(Notification.id))
        .where(Notification.recipient_id == user.id, Notification.channel == EMAIL, Notification.read_at.is_(None))
        .group_by(Notification.kind).having(func.count(Notification.id) >= threshold)
    ).all()
    titles = dict(db.session.execute(
        select(Notification.id, Notification.title).where(Notification.id.in_([r[2] for r in rows]))
    ).all()) if rows else {}
    return sorted((Flood(kind, count, titles.get(latest, "")) for kind, count, latest in rows),
                  key=lambda f: (-f.count, f.kind))


def list_for(user: User, *, unread_only: bool = False, page: int = 1, per_page: int = 50,
             kind: str | None = None, collapse_kinds: tuple[str, ...] = ()) -> Page[Notification]:
    """One page of the user's own notifications, newest first: of one `kind` only, or leaving out
    the unread messages of `collapse_kinds` (they are shown as one line each, see `floods`)."""
    where = [Notification.recipient_id == user.id, Notification.channel == EMAIL]  # the in-app copy, once
    if unread_only:
        where.append(Notification.read_at.is_(None))
    if kind:
        where.append(Notification.kind == kind)
    elif collapse_kinds:
        where.append(or_(Notification.kind.not_in(collapse_kinds), Notification.read_at.is_not(None)))
    total = db.session.scalar(select(func.count(Notification.id)).where(*where)) or 0
    page = max(1, page)
    rows = db.session.scalars(
        select(Notification).where(*where).order_by(Notification.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(rows=list(rows), total=total, page=page, per_page=per_page)


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.recipient_id == user.id, Notification.channel == EMAIL,
                                                  Notification.read_at.is_(None))
    ) or 0


def get_own(user: User, notification_id: int) -> Notification:
    """A notification of this user; anyone else's is NotFound (never revealed)."""
    row = db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.recipient_id == user.id)
    )
    if row is None:
        raise NotFound("消息不存在")
    return row


@use_case
def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (idempotent)."""
    row = get_own(user, notification_id)
    if row.read_at is None:
        row.read_at = clock.now()
    return row


@use_case
def mark_all_read(user: User) -> int:
    """Mark all of the user's notifications read; returns how many changed."""
    result = db.session.execute(
        update(Notification).where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now()).execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@use_case
def update_preferences(user: User, *, notify_mode: str, digest_opt_out: bool) -> None:
    """Change how the user receives non-urgent reminders and whether they get digests."""
    if notify_mode not in NOTIFY_MODES:
        raise ServiceError("请选择提醒方式", field="notify_mode")
    before = {"notify_mode": user.notify_mode, "digest_opt_out": user.digest_opt_out}
    user.notify_mode = notify_mode
    user.digest_opt_out = bool(digest_opt_out)
    audit.record(user.id, "user.notify_preferences", entity_type="user", entity_id=user.id, before=before,
                 after={"notify_mode": notify_mode, "digest_opt_out": bool(digest_opt_out)})


@use_case
def send_test_email(user: User) -> int | None:
    """A test message to the user themself (preferences page): proves the whole delivery path."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%S")
    ids = notify([user.id], rules.TEST_EMAIL, f"user:{user.id}", stamp, "测试邮件：提醒邮件可以送达",
                 body="这是一封测试邮件。收到它说明系统的提醒邮件可以送达您的邮箱。",
                 link=path_for("notifications.preferences"), urgent=True)
    audit.record(user.id, "notification.test", entity_type="user", entity_id=user.id)
    return ids[0] if ids else None
