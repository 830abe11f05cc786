"""The administrators' outbox (发件箱管理): rows by delivery status, and putting failed rows back."""

from __future__ import annotations

from sqlalchemy import func, select, update

from tracker.extensions import db
from tracker.models import Notification, User
from tracker.models.notification import FAILED, PENDING, SENDING, SENT, SKIPPED, UNCERTAIN
from tracker.services import audit
from tracker.services.errors import NotFound, ServiceError
from tracker.services.pagination import Page
from tracker.services.unit_of_work import publish_after_commit, use_case

STATUS_NAMES = {PENDING: "待发送", SENDING: "发送中", UNCERTAIN: "结果待确认", SENT: "已发送", FAILED: "发送失败", SKIPPED: "不单独发送"}


def outbox_counts() -> dict[str, int]:
    """Rows per delivery status."""
    return {status: count for status, count in db.session.execute(
        select(Notification.status, func.count(Notification.id)).group_by(Notification.status)
    ).all()}


def outbox_rows(status: str | None, *, page: int = 1, per_page: int = 50) -> Page:
    """One page of outbox rows (all users; administrators only), newest first, as
    (notification, recipient email, recipient name)."""
    where = [Notification.status == status] if status else []
    total = db.session.scalar(select(func.count(Notification.id)).where(*where)) or 0
    page = max(1, page)
    rows = db.session.execute(
        select(Notification, User.email, User.name).outerjoin(User, User.id == Notification.recipient_id).where(*where)
        .order_by(Notification.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(rows=list(rows), total=total, page=page, per_page=per_page)


@use_case
def retry(actor: User, notification_id: int) -> Notification:
    """Put a failed row back in the queue (the administrator's retry button)."""
    row = db.session.get(Notification, notification_id)
    if row is None:
        raise NotFound("消息不存在")
    if row.status != FAILED:
        raise ServiceError(f"只有发送失败的消息可以重试（当前状态：{STATUS_NAMES.get(row.status, row.status)}）")
    before = {"status": row.status, "attempts": row.attempts, "last_error": row.last_error}
    row.status, row.attempts, row.next_attempt_at = PENDING, 0, None
    audit.record(actor.id, "notification.retry", entity_type="notification", entity_id=row.id, before=before,
                 after={"status": PENDING})
    publish_after_commit([row.id])
    return row


@use_case
def retry_all_failed(actor: User) -> int:
    """Put every failed row back in the queue; returns how many."""
    ids = list(db.session.scalars(select(Notification.id).where(Notification.status == FAILED)).all())
    if not ids:
        return 0
    db.session.execute(
        update(Notification).where(Notification.id.in_(ids), Notification.status == FAILED)
        .values(status=PENDING, attempts=0, next_attempt_at=None).execution_options(synchronize_session=False)
    )
    audit.record(actor.id, "notification.retry_all", entity_type="notification", after={"count": len(ids)})
    publish_after_commit(ids)
    return len(ids)
