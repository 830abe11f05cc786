"""Group robots (群机器人) per district: configuring them, and the messages they post.

An administrator adds a 企业微信 or 钉钉 robot for a district or for the city (`flask channels
add-robot`); its URL and secret are stored encrypted (tracker.services.notifications.secretbox)
and never shown again in full. Each robot posts the daily summary of its district's reminders
(created by the sweep, one per robot and day: the robot key makes a second sweep add nothing)
and the district's escalations. Its rows go through the same outbox as email and are paced to
20 a minute (tracker.services.notifications.messenger).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

# Whether a DingTalk robot must be signed is app config (DINGTALK_ROBOT_SIGN_REQUIRED).
from flask import current_app
from sqlalchemy import select

from tracker import clock
from tracker.extensions import db
from tracker.models import ChannelRobot, User
from tracker.models.channel import CITY, DINGTALK, ROBOT_KINDS, WECOM
from tracker.models.notification import DINGTALK_ROBOT, PENDING, WECOM_ROBOT
from tracker.rules import channels as channel_rules
from tracker.rules import reminders as reminder_rules
from tracker.rules.districts import DISTRICT_CODES, DISTRICT_NAMES
from tracker.services import audit
from tracker.services.errors import Forbidden, NotFound, ServiceError
from tracker.services.notifications import secretbox
from tracker.services.notifications.rows import insert_robot_rows, path_for
from tracker.services.unit_of_work import publish_after_commit, use_case

KIND_NAMES = {WECOM: "企业微信群机器人", DINGTALK: "钉钉群机器人"}
CHANNEL_OF = {WECOM: WECOM_ROBOT, DINGTALK: DINGTALK_ROBOT}
DAILY_SUMMARY = "district_summary"
ESCALATION = "robot_escalation"


def scope_name(scope: str) -> str:
    return "全市" if scope == CITY else DISTRICT_NAMES.get(scope, scope)


def sign_required() -> bool:
    return bool(current_app.config.get("DINGTALK_ROBOT_SIGN_REQUIRED", True))


@dataclass(frozen=True)
class RobotView:
    """What an administrator sees of a robot: never the URL or the secret in full."""

    id: int
    kind: str
    kind_name: str
    scope: str
    scope_name: str
    url_hint: str
    has_secret: bool
    active: bool


@use_case
def add_robot(actor: User | None, kind: str, scope: str, url: str, secret: str | None = None) -> ChannelRobot:
    """Add (or replace) the robot of a kind for a district code or "city"; URL and secret encrypted."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("只有市级管理员可以配置群机器人")
    kind, scope, url, secret = (kind or "").strip(), (scope or "").strip(), (url or "").strip(), (secret or "").strip() or None
    if kind not in ROBOT_KINDS:
        raise ServiceError("机器人类型应为 wecom（企业微信）或 dingtalk（钉钉）")
    if scope != CITY and scope not in DISTRICT_CODES:
        raise ServiceError(f"辖区代码“{scope}”不存在；可用：{'、'.join(DISTRICT_CODES)} 或 city（全市）")
    if not url.startswith(("https://", "http://")) or len(url) > 1000:
        raise ServiceError("机器人 Webhook 地址应以 https:// 开头")
    if kind == DINGTALK and sign_required() and not secret:
        raise ServiceError("钉钉机器人须开启“加签”并填写密钥（--secret SEC…）；如确不加签，请设置 DINGTALK_ROBOT_SIGN_REQUIRED=0")
    if kind == WECOM and secret:
        raise ServiceError("企业微信群机器人没有加签密钥，请不要填写 --secret")
    robot = db.session.scalar(select(ChannelRobot).where(ChannelRobot.kind == kind, ChannelRobot.scope == scope))
    replaced = robot is not None
    if robot is None:
        robot = ChannelRobot(kind=kind, scope=scope, recent_sends=[], version=0, created_by_id=actor.id if actor else None)
        db.session.add(robot)
    robot.url_encrypted = secretbox.seal(url)
    robot.secret_encrypted = secretbox.seal(secret) if secret else None
    robot.url_hint = channel_rules.mask_url(url)
    robot.active = True
    db.session.flush()
    audit.record(actor.id if actor else None, "channel_robot.replace" if replaced else "channel_robot.add",
                 entity_type="channel_robot", entity_id=robot.id,
                 after={"kind": kind, "scope": scope, "url": robot.url_hint, "secret": "已设置" if secret else "无"})
    return robot


@use_case
def remove_robot(actor: User, robot_id: int) -> ChannelRobot:
    """Stop a robot (soft: it posts nothing more; adding one for the kind and district replaces it)."""
    if not actor.is_admin:
        raise Forbidden("只有市级管理员可以配置群机器人")
    robot = db.session.get(ChannelRobot, robot_id)
    if robot is None or not robot.active:
        raise NotFound("群机器人不存在或已移除")
    robot.active = False
    audit.record(actor.id, "channel_robot.remove", entity_type="channel_robot", entity_id=robot.id,
                 before={"kind": robot.kind, "scope": robot.scope, "url": robot.url_hint})
    return robot


def robots() -> list[RobotView]:
    """Every robot, as administrators see it (masked)."""
    rows = db.session.scalars(select(ChannelRobot).order_by(ChannelRobot.scope, ChannelRobot.kind)).all()
    return [RobotView(r.id, r.kind, KIND_NAMES.get(r.kind, r.kind), r.scope, scope_name(r.scope), r.url_hint,
                      r.secret_encrypted is not None, bool(r.active)) for r in rows]


def _active_robots() -> dict[str, list[ChannelRobot]]:
    found: dict[str, list[ChannelRobot]] = defaultdict(list)
    for robot in db.session.scalars(select(ChannelRobot).where(ChannelRobot.active.is_(True)).order_by(ChannelRobot.id)):
        found[robot.scope].append(robot)
    return found


def robot_row(robot: ChannelRobot, kind: str, subject_key: str, period: str, title: str, body: str, *,
              link: str | None = None, urgent: bool = False, payload: dict | None = None,
              created: dt.datetime | None = None) -> dict:
    """The values of one outbox row posted by a robot (no recipient)."""
    return dict(
        recipient_id=None, robot_id=robot.id, channel=CHANNEL_OF[robot.kind], kind=kind, subject_key=subject_key,
        period=period, company_id=None, title=title[:255], body=body, link=link, payload=payload, urgent=urgent,
        email_wanted=True, status=PENDING, attempts=0, created_at=created or clock.now(), last_error=None,
    )


def daily_summaries(today: dt.date, reminders: list[reminder_rules.Reminder]) -> list[int]:
    """Queue today's summary for every robot whose district (or the city) has reminders due.

    Runs inside the sweep's unit of work; the robot key (robot, kind, district, day) makes a second
    sweep of the same day add nothing. Returns the ids added (published after the commit).
    """
    by_scope = _active_robots()
    if not by_scope:
        return []
    items: dict[str, list[tuple[str, str, bool]]] = defaultdict(list)
    for r in reminders:
        entry = (r.kind, r.title, bool(r.urgent))
        if r.recipient.district:
            items[r.recipient.district].append(entry)
        items[CITY].append(entry)
    link = current_app.config["APP_BASE_URL"].rstrip("/") + path_for("notifications.index")
    created = clock.now()
    rows = []
    for scope, scope_robots in by_scope.items():
        if not items.get(scope):
            continue
        title, body = channel_rules.district_summary(scope_name(scope), today.isoformat(), items[scope],
                                                     reminder_rules.KIND_NAMES, link)
        payload = {"due": len(items[scope]), "scope": scope}
        rows += [robot_row(robot, DAILY_SUMMARY, f"district:{scope}", today.isoformat(), title, body, link=link,
                           payload=payload, created=created) for robot in scope_robots]
    added = insert_robot_rows(rows)
    publish_after_commit(added)
    return added


def escalation(district: str | None, subject_key: str, period: str, title: str, body: str, link: str | None) -> list[int]:
    """Post an escalation (督办) to the robots of its district, once per (subject, period)."""
    scope_robots = _active_robots().get(district or "", [])
    if not scope_robots:
        return []
    url = current_app.config["APP_BASE_URL"].rstrip("/") + (link or "/")
    text = f"### {title}\n{body}\n\n[打开查看]({url})"
    added = insert_robot_rows([robot_row(robot, ESCALATION, subject_key, period, title, text, link=link, urgent=True)
                               for robot in scope_robots])
    publish_after_commit(added)
    return added


@use_case
def queue_message(robot_id: int, subject_key: str, period: str, title: str, text: str) -> list[int]:
    """Queue one message for a robot (tests, and administrators' test posts); existing keys add nothing."""
    robot = db.session.get(ChannelRobot, robot_id)
    if robot is None:
        raise ServiceError("机器人不存在")
    added = insert_robot_rows([robot_row(robot, "robot_message", subject_key, period, title, text)])
    publish_after_commit(added)
    return added
