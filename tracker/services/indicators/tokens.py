"""API tokens (接口令牌) for GET /api/v1/indicators: issue, revoke, authenticate.

A token acts as its owner: it sees exactly what the owner may see, and stops working when the
owner is deactivated. Only a SHA-256 of the secret is stored (a token is 256 random bits, so a
fast hash is enough; nothing to brute-force), and the secret is shown once, when issued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select

from tracker.clock import now
from tracker.extensions import db
from tracker.models import ApiToken, User
from tracker.services import audit
from tracker.services.errors import Forbidden, NotFound, ServiceError
from tracker.services.unit_of_work import unit_of_work, use_case

TOKEN_PREFIX = "czk_"
# Writing last_used_at on every call would turn each read into a write; once in a while is enough.
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def _valid_id(value) -> bool:
    # Ids beyond a 64-bit integer would make the database driver raise instead of finding nothing.
    return isinstance(value, int) and 0 < value < 2**63


def hash_token(raw: str) -> str:
    """The stored form of a token secret."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def list_tokens() -> list[ApiToken]:
    """Every token, newest first (for the administrators' page)."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def token_owners() -> list[User]:
    """Users a token may be issued to: active administrators and district managers."""
    return list(db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(("admin", "manager"))).order_by(User.role, User.district, User.name)
    ))


@use_case
def issue_token(actor: User, owner_id: int, name: str) -> tuple[ApiToken, str]:
    """Create a token for `owner_id`; returns the row and the secret (shown once, never stored)."""
    if not actor.is_admin:
        raise Forbidden("只有管理员可以签发接口令牌")
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写令牌用途", field="name")
    if len(name) > 80:
        raise ServiceError("令牌用途不超过80字", field="name")
    owner = db.session.get(User, owner_id) if _valid_id(owner_id) else None
    if owner is None or not owner.active:
        raise ServiceError("请选择一个启用中的用户", field="owner_id")
    if not (owner.is_admin or owner.is_manager):
        raise ServiceError("服务专员无权查看指标汇总，不能为其签发令牌", field="owner_id")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=owner.id, name=name, token_hash=hash_token(raw), prefix=raw[:10], created_by_id=actor.id)
    db.session.add(token)
    audit.record(actor.id, "api_token.issue", token, after={"owner": owner.email, "name": name, "prefix": token.prefix})
    return token, raw


@use_case
def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Stop a token from working at once (administrators only); revoking twice is harmless."""
    if not actor.is_admin:
        raise Forbidden("只有管理员可以吊销接口令牌")
    token = db.session.get(ApiToken, token_id) if _valid_id(token_id) else None
    if token is None:
        raise NotFound("令牌不存在")
    if token.revoked_at is None:
        token.revoked_at = now()
        audit.record(actor.id, "api_token.revoke", token, after={"prefix": token.prefix, "name": token.name})
    return token


def authenticate_token(raw: str | None) -> User | None:
    """The active owner of an active token, or None (unknown, revoked, or owner deactivated)."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None))
    )
    if token is None or token.user is None or not token.user.active:
        return None
    moment = now()
    last = token.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.timezone.utc)
    if last is None or moment - last > LAST_USED_RESOLUTION:
        with unit_of_work():
            token.last_used_at = moment
    return token.user
