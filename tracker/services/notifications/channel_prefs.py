"""Channel preferences (接收方式): each user's choice per kind, and administrators' defaults per role."""

from __future__ import annotations

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import ChannelDefault, User
from tracker.models.user import ROLE_NAMES, ROLES
from tracker.rules import channels as channel_rules
from tracker.rules import reminders as reminder_rules
from tracker.services import audit
from tracker.services.accounts import users as accounts
from tracker.services.errors import Forbidden, ServiceError
from tracker.services.notifications import inbox
from tracker.services.unit_of_work import use_case

# The kinds a person can choose a channel for (the digests and reports have their own switch).
CHOOSABLE_KINDS = [k for k in reminder_rules.KIND_NAMES if k not in (reminder_rules.TEST_EMAIL,)]


def _check(kind: str, mode: str) -> None:
    if kind != channel_rules.ANY_KIND and kind not in reminder_rules.KIND_NAMES:
        raise ServiceError("提醒类型不存在")
    if mode not in channel_rules.MODES:
        raise ServiceError("接收方式应为：邮件、企业微信、邮件和企业微信、仅在系统内查看")


def role_defaults() -> dict[tuple[str, str], str]:
    return {(r.role, r.kind): r.mode for r in db.session.scalars(select(ChannelDefault))}


def effective_modes(user: User) -> dict[str, str]:
    """The mode of every choosable kind for this user (own choice, else the role default, else email)."""
    defaults = role_defaults()
    return {kind: channel_rules.mode_for(kind, user.role, user.channel_preferences, defaults) for kind in CHOOSABLE_KINDS}


@use_case
def set_preferences(actor: User, user_id: int, modes: dict[str, str]) -> User:
    """Set a user's channel per kind (their own, or any user's for an administrator)."""
    if actor.id != user_id and not actor.is_admin:
        raise Forbidden("只能修改自己的接收方式")
    user = db.session.get(User, user_id)
    if user is None:
        raise ServiceError("用户不存在")
    for kind, mode in modes.items():
        if mode:  # empty: follow the role default (the key is removed)
            _check(kind, mode)
    before = dict(user.channel_preferences or {})
    after = {**before, **{k: m for k, m in modes.items() if m}}
    for kind in [k for k, m in modes.items() if not m]:
        after.pop(kind, None)
    if after == before:
        return user
    user.channel_preferences = after
    audit.record(actor.id, "user.channel_preferences", entity_type="user", entity_id=user.id,
                 before={"channel_preferences": before}, after={"channel_preferences": user.channel_preferences})
    return user


@use_case
def save_preferences(user: User, *, notify_mode: str, digest_opt_out: bool, modes: dict[str, str]) -> User:
    """The preferences page in one unit of work: the digest switches and the channel per kind."""
    inbox.update_preferences(user, notify_mode=notify_mode, digest_opt_out=digest_opt_out)
    return set_preferences(user, user.id, modes)


@use_case
def set_role_default(actor: User, role: str, kind: str, mode: str) -> ChannelDefault | None:
    """An administrator's default channel for a role and kind ("*": every kind without its own; mode "": none)."""
    if not actor.is_admin:
        raise Forbidden("只有市级管理员可以设置默认接收方式")
    if role not in ROLES:
        raise ServiceError(f"角色应为：{'、'.join(ROLE_NAMES.values())}")
    if not mode:
        return _clear_role_default(actor, role, kind)
    _check(kind, mode)
    row = db.session.scalar(select(ChannelDefault).where(ChannelDefault.role == role, ChannelDefault.kind == kind))
    before = row.mode if row else None
    if before == mode:
        return row
    if row is None:
        row = ChannelDefault(role=role, kind=kind, mode=mode)
        db.session.add(row)
    row.mode = mode
    db.session.flush()
    audit.record(actor.id, "channel_default.set", entity_type="channel_default", entity_id=row.id,
                 before={"mode": before} if before else None, after={"role": role, "kind": kind, "mode": mode})
    return row


def _clear_role_default(actor: User, role: str, kind: str) -> None:
    """Remove a role's default for a kind (the role's "*" default, else email, applies again)."""
    if kind != channel_rules.ANY_KIND and kind not in reminder_rules.KIND_NAMES:
        raise ServiceError("提醒类型不存在")
    row = db.session.scalar(select(ChannelDefault).where(ChannelDefault.role == role, ChannelDefault.kind == kind))
    if row is None:
        return None
    audit.record(actor.id, "channel_default.clear", entity_type="channel_default", entity_id=row.id,
                 before={"role": role, "kind": kind, "mode": row.mode})
    db.session.delete(row)
    return None


@use_case
def set_role_defaults(actor: User, choices: dict[tuple[str, str], str]) -> int:
    """Save the administrators' default table at once: {(role, kind): mode or "" (none)}; returns changes."""
    current = role_defaults()
    changed = 0
    for (role, kind), mode in choices.items():
        if (mode or None) != current.get((role, kind)):
            set_role_default(actor, role, kind, mode or "")
            changed += 1
    return changed


def own_choices(user: User) -> dict[str, str]:
    """The kinds the user chose themselves (the others follow the role default)."""
    prefs = user.channel_preferences or {}
    return {kind: prefs[kind] for kind in CHOOSABLE_KINDS if prefs.get(kind) in channel_rules.MODES}


def role_default_modes(role: str) -> dict[str, str]:
    """What a kind falls back to for a role when the user has not chosen (role default, else email)."""
    defaults = role_defaults()
    return {kind: channel_rules.mode_for(kind, role, None, defaults) for kind in CHOOSABLE_KINDS}


@use_case
def create_user_with_wecom(actor: User, *, wecom_userid: str | None, **fields) -> User:
    """Create an account and set its 企业微信 userid in the same unit of work (admin user form)."""
    user = accounts.create_user(actor, **fields)
    db.session.flush()
    if (wecom_userid or "").strip():
        set_wecom_userid(actor, user.id, wecom_userid)
    return user


@use_case
def update_user_with_wecom(actor: User, user: User, *, wecom_userid: str | None, **fields) -> None:
    """Edit an account and its 企业微信 userid in the same unit of work (admin user form)."""
    accounts.update_user(actor, user, **fields)
    if ((wecom_userid or "").strip() or None) != user.wecom_userid:
        set_wecom_userid(actor, user.id, wecom_userid)


@use_case
def set_wecom_userid(actor: User, user_id: int, userid: str | None) -> User:
    """An administrator sets a user's 企业微信 / 政务微信 userid (empty: none)."""
    if not actor.is_admin:
        raise Forbidden("只有市级管理员可以设置企业微信账号")
    user = db.session.get(User, user_id)
    if user is None:
        raise ServiceError("用户不存在")
    value = (userid or "").strip() or None
    if value is not None and (len(value) > 64 or any(c.isspace() for c in value)):
        raise ServiceError("企业微信账号（userid）最长 64 个字符，不能含空格", field="wecom_userid")
    before = user.wecom_userid
    user.wecom_userid = value
    audit.record(actor.id, "user.wecom_userid", entity_type="user", entity_id=user.id,
                 before={"wecom_userid": before}, after={"wecom_userid": value})
    return user
