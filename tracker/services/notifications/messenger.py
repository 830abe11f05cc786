"""Delivering the outbox to 企业微信 / 政务微信 and 钉钉 (消息推送): the second sender beside SMTP.

The claim, the lease, the claim token, the database clock and recording the outcome are
tracker.services.notifications.claims, exactly as for email; this module talks HTTP (httpx, with
explicit connect/read/write/pool timeouts) to:

- 企业微信 / 政务微信 application messages (`wecom_app`, 应用消息, a text card with a link to the
  record): `WECOM_API_BASE` (a 政务微信 deployment sets its own address), `WECOM_CORP_ID`,
  `WECOM_AGENT_ID`, `WECOM_SECRET`. The access token from `gettoken` is cached **in the database**
  (table channel_access_token, encrypted, one row per API base + corp + agent), shared by every
  worker, until shortly before it expires; on errcode 40014 / 42001 / 40001 the cached token is
  dropped (only if it is still the one used), a new one fetched, and the message sent again once.
- group robots (`wecom_robot`, `dingtalk_robot`): markdown to the robot's webhook; 钉钉 signed with
  `timestamp` + `sign` = Base64(HMAC-SHA256(secret, "timestamp\\nsecret")). At most
  CHANNEL_ROBOT_PER_MINUTE (20) messages in any CHANNEL_ROBOT_WINDOW_SECONDS (60) per robot: a send
  reserves a slot in the robot's sliding window (an optimistic-locked row, database clock); without
  a free slot the row goes back to pending until the oldest send leaves the window — queued, never
  dropped. A platform rate limit anyway (45009, 钉钉 130101) retries after a window.

Outcomes: errcode 0 → sent. A wrong secret, an unknown userid, a bad signature or any other
platform refusal → failed, with the errcode and errmsg and their meaning in Chinese, shown in the
administrators' outbox with a retry button. HTTP 5xx / 429, timeouts, refused connections and busy
codes → pending with the same exponential, jittered backoff as email (MAIL_MAX_ATTEMPTS bounds it).
A read timeout after the request was sent may mean the platform got it; the retry can then show
the message twice (the platforms offer no idempotency key).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from urllib.parse import urlencode

import httpx
# Delivery needs the app config (WECOM_*, APP_BASE_URL, the pacing limits).
from flask import current_app
from sqlalchemy import delete, select, update

from tracker.extensions import db
from tracker.models import ChannelAccessToken, ChannelRobot, Notification, User
from tracker.models.channel import DINGTALK
from tracker.models.notification import DINGTALK_ROBOT, FAILED, PENDING, SENT, SKIPPED, WECOM_APP, WECOM_ROBOT
from tracker.rules import channels as channel_rules
from tracker.rules import reminders as reminder_rules
from tracker.services.errors import ServiceError
from tracker.services.notifications import claims, secretbox
from tracker.services.notifications.claims import db_now
from tracker.services.notifications.mailer import Outcome, backoff_cap
from tracker.services.notifications.rows import path_for
from tracker.services.unit_of_work import unit_of_work
from tracker.services.upsert import dialect_insert

log = logging.getLogger("tracker.messenger")

MESSENGER_CHANNELS = (WECOM_APP, WECOM_ROBOT, DINGTALK_ROBOT)
DEFAULT_WECOM_API_BASE = "https://qyapi.weixin.qq.com"
# The drain's stopwatch and the DingTalk timestamp clock (tests replace them).
monotonic = time.monotonic


def now_ms() -> int:
    return int(time.time() * 1000)


class TemporaryFailure(Exception):
    """Worth retrying later: the platform is busy, limited or unreachable."""

    def __init__(self, message: str, wait: float | None = None):
        super().__init__(message)
        self.wait = wait


class PermanentFailure(Exception):
    """Retrying will not help until a setting is fixed (secret, userid, signature, URL)."""


class Paced(Exception):
    """The robot's minute is full: wait this many seconds."""

    def __init__(self, wait: float):
        super().__init__(f"机器人发送排队中（每分钟最多 {robot_limit()} 条），约 {wait:.0f} 秒后发送")
        self.wait = wait


# --------------------------------------------------------------------------------------------
# Configuration and HTTP
# --------------------------------------------------------------------------------------------

def lease_seconds() -> float:
    return float(current_app.config.get("CHANNEL_SEND_LEASE_SECONDS", 120))


def robot_limit() -> int:
    return int(current_app.config.get("CHANNEL_ROBOT_PER_MINUTE", channel_rules.ROBOT_LIMIT_PER_MINUTE))


def robot_window() -> float:
    return float(current_app.config.get("CHANNEL_ROBOT_WINDOW_SECONDS", channel_rules.WINDOW_SECONDS))


def api_base() -> str:
    return (current_app.config.get("WECOM_API_BASE") or DEFAULT_WECOM_API_BASE).rstrip("/")


def timeouts() -> httpx.Timeout:
    config = current_app.config
    connect = float(config.get("CHANNEL_CONNECT_TIMEOUT_SECONDS", 5))
    read = float(config.get("CHANNEL_READ_TIMEOUT_SECONDS", 10))
    return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)


_CLIENT: ContextVar[httpx.Client | None] = ContextVar("tracker_channel_client", default=None)


@contextmanager
def reused_client():
    """One HTTP client (keep-alive connections) for the messages of a drain."""
    if _CLIENT.get() is not None:
        yield _CLIENT.get()
        return
    client = httpx.Client(timeout=timeouts(), follow_redirects=False)
    token = _CLIENT.set(client)
    try:
        yield client
    finally:
        _CLIENT.reset(token)
        client.close()


def _json(method: str, url: str, payload: dict | None = None) -> dict:
    """One request; the platform's JSON answer, or TemporaryFailure / PermanentFailure."""
    client = _CLIENT.get()
    assert client is not None, "call inside reused_client()"
    try:
        response = client.request(method, url, json=payload)
    except httpx.TimeoutException as exc:
        raise TemporaryFailure(f"连接平台超时：{type(exc).__name__}") from exc
    except httpx.HTTPError as exc:
        raise TemporaryFailure(f"无法连接平台：{type(exc).__name__} {exc}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TemporaryFailure(f"平台暂时不可用（HTTP {response.status_code}）")
    if response.status_code >= 400:
        raise PermanentFailure(f"平台拒绝了请求（HTTP {response.status_code}），请检查接口地址")
    try:
        data = response.json()
    except ValueError as exc:
        raise TemporaryFailure(f"平台返回的不是 JSON（HTTP {response.status_code}）") from exc
    return data if isinstance(data, dict) else {"errcode": -1, "errmsg": "unexpected answer"}


def _platform_error(errcode: int, errmsg: str | None) -> Exception:
    text = channel_rules.errcode_text(errcode, errmsg)
    if errcode in channel_rules.RATE_LIMIT_ERRCODES:
        return TemporaryFailure(text, wait=robot_window())
    if channel_rules.is_temporary(errcode):
        return TemporaryFailure(text)
    return PermanentFailure(text)


def _errcode(data: dict) -> tuple[int, str]:
    try:
        return int(data.get("errcode", 0) or 0), str(data.get("errmsg", ""))
    except (TypeError, ValueError):
        return -1, str(data.get("errmsg", ""))


# --------------------------------------------------------------------------------------------
# 企业微信 access token, cached in the database for every worker
# --------------------------------------------------------------------------------------------

def _account() -> str:
    config = current_app.config
    return f"{api_base()}|{config.get('WECOM_CORP_ID')}|{config.get('WECOM_AGENT_ID')}"[:255]


def _cached_token() -> tuple[str, str] | None:
    with unit_of_work():
        sealed = db.session.scalar(
            select(ChannelAccessToken.token_encrypted)
            .where(ChannelAccessToken.account == _account(), ChannelAccessToken.expires_at > db_now())
        )
    if sealed is None:
        return None
    try:
        return secretbox.unseal(sealed), sealed
    except ServiceError:
        return None  # SECRET_KEY rotated: fetch a new token


def _fetch_token() -> tuple[str, str]:
    config = current_app.config
    if not (config.get("WECOM_CORP_ID") and config.get("WECOM_SECRET") and config.get("WECOM_AGENT_ID")):
        raise PermanentFailure("未配置企业微信应用（WECOM_CORP_ID、WECOM_AGENT_ID、WECOM_SECRET）")
    query = urlencode({"corpid": config["WECOM_CORP_ID"], "corpsecret": config["WECOM_SECRET"]})
    data = _json("GET", f"{api_base()}/cgi-bin/gettoken?{query}")
    errcode, errmsg = _errcode(data)
    if errcode or not data.get("access_token"):
        error = _platform_error(errcode or -1, errmsg)
        if isinstance(error, PermanentFailure):
            raise PermanentFailure(f"获取 access_token 失败：{error}（请检查 WECOM_CORP_ID 和 WECOM_SECRET）")
        raise error
    token = str(data["access_token"])
    # Kept until shortly before it expires (企业微信: 7200 s), on the database clock.
    life = max(60.0, float(data.get("expires_in") or 7200) - 300.0)
    sealed = secretbox.seal(token)
    with unit_of_work():
        statement = dialect_insert(ChannelAccessToken).values(
            account=_account(), token_encrypted=sealed, expires_at=db_now(life), created_at=dt.datetime.now(dt.timezone.utc))
        db.session.execute(statement.on_conflict_do_update(
            index_elements=["account"], set_={"token_encrypted": sealed, "expires_at": db_now(life)}))
    return token, sealed


def _drop_token(sealed: str) -> None:
    """Forget the cached token, only if it is still the one that failed (another worker may have a new one)."""
    with unit_of_work():
        db.session.execute(delete(ChannelAccessToken).where(
            ChannelAccessToken.account == _account(), ChannelAccessToken.token_encrypted == sealed))


def access_token() -> tuple[str, str]:
    """(token, its sealed form as stored): the cached one while valid, else a fresh one from gettoken."""
    return _cached_token() or _fetch_token()


# --------------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------------

def _link(row) -> str:
    return current_app.config["APP_BASE_URL"].rstrip("/") + (row.link or path_for("notifications.index"))


def _card(row, userid: str) -> dict:
    kind = reminder_rules.KIND_NAMES.get(row.kind, "提醒")
    description = f"<div class=\"gray\">{kind}</div><div class=\"normal\">{(row.body or row.title)[:400]}</div>"
    return {"touser": userid, "msgtype": "textcard", "agentid": int(current_app.config["WECOM_AGENT_ID"]),
            "textcard": {"title": row.title[:128], "description": description, "url": _link(row), "btntxt": "查看详情"},
            "enable_duplicate_check": 1, "duplicate_check_interval": 1800}


def send_wecom_app(row, userid: str, still_mine) -> None:
    """An application message to one person; a rejected token is refreshed once."""
    for attempt in range(2):
        token, sealed = access_token()
        if not still_mine():
            raise ClaimLost("认领已失效（租约到期，已由其他进程处理）")
        data = _json("POST", f"{api_base()}/cgi-bin/message/send?{urlencode({'access_token': token})}", _card(row, userid))
        errcode, errmsg = _errcode(data)
        if errcode in channel_rules.TOKEN_ERRCODES and attempt == 0:
            log.info("wecom token rejected (%s), fetching a new one", errcode)
            _drop_token(sealed)
            continue
        if errcode:
            raise _platform_error(errcode, errmsg)
        if data.get("invaliduser"):
            raise PermanentFailure(channel_rules.errcode_text(81013, f"invaliduser {data.get('invaliduser')}"))
        return
    raise TemporaryFailure("企业微信连续拒绝新获取的 access_token")  # pragma: no cover


def reserve_slot(robot_id: int) -> float:
    """Take a slot in the robot's sliding window: 0 when taken, else the seconds to wait."""
    limit, window = robot_limit(), robot_window()
    for _ in range(8):
        with unit_of_work():
            found = db.session.execute(
                select(ChannelRobot.recent_sends, ChannelRobot.version, db_now().label("now"))
                .where(ChannelRobot.id == robot_id)
            ).one()
            now = _epoch(found.now)
            kept, wait = channel_rules.pace(found.recent_sends or [], now, limit, window)
            if wait:
                return wait
            result = db.session.execute(
                update(ChannelRobot).where(ChannelRobot.id == robot_id, ChannelRobot.version == found.version)
                .values(recent_sends=kept + [now], version=found.version + 1).execution_options(synchronize_session=False)
            )
        if result.rowcount == 1:
            return 0.0
    return 1.0  # much contention: try again shortly


def _epoch(value) -> float:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.timestamp()


def send_robot(row, robot, still_mine) -> None:
    """Post a markdown message to a group robot, inside its pacing window."""
    wait = reserve_slot(robot.id)
    if wait:
        raise Paced(wait)
    if not still_mine():
        raise ClaimLost("认领已失效（租约到期，已由其他进程处理）")
    try:
        url = secretbox.unseal(robot.url_encrypted)
        secret = secretbox.unseal(robot.secret_encrypted) if robot.secret_encrypted else None
    except ServiceError as exc:
        raise PermanentFailure(str(exc)) from exc
    text = (row.body or row.title)
    if robot.kind == DINGTALK:
        if secret:
            stamp = now_ms()
            url += ("&" if "?" in url else "?") + urlencode({"timestamp": stamp, "sign": channel_rules.dingtalk_sign(secret, stamp)})
        elif current_app.config.get("DINGTALK_ROBOT_SIGN_REQUIRED", True):
            raise PermanentFailure("钉钉机器人未配置加签密钥（DINGTALK_ROBOT_SIGN_REQUIRED 已开启），请重新添加机器人并填写 --secret")
        payload = {"msgtype": "markdown", "markdown": {"title": row.title[:64], "text": text[:5000]}}
    else:
        payload = {"msgtype": "markdown", "markdown": {"content": text.encode("utf-8")[:4000].decode("utf-8", "ignore")}}
    errcode, errmsg = _errcode(_json("POST", url, payload))
    if errcode:
        raise _platform_error(errcode, errmsg)


class ClaimLost(Exception):
    """Right before the request the claim was no longer ours."""


# --------------------------------------------------------------------------------------------
# Claim, deliver, record
# --------------------------------------------------------------------------------------------

def _finish(notification_id: int, token: str, **values) -> claims.Finished:
    return claims.finish(notification_id, token, tries=int(current_app.config.get("MAIL_FINISH_TRIES", 3)),
                         claim_token=None, **values)


def _prepare(notification_id: int, token: str):
    """(row, userid or robot, attempts) of a claimed row, or the Outcome when there is nothing to send."""
    row = db.session.get(Notification, notification_id, populate_existing=True)
    if row is None:
        return Outcome("not_claimed")
    if row.channel == WECOM_APP:
        user = db.session.get(User, row.recipient_id) if row.recipient_id else None
        if user is None or not user.active:
            _finish(notification_id, token, status=SKIPPED, last_error="收件人账号已停用")
            return Outcome("skipped")
        if not user.wecom_userid:
            _finish(notification_id, token, status=FAILED, last_error="收件人没有设置企业微信账号（userid），请在用户管理中填写后重试")
            return Outcome("failed")
        return _snapshot(row), user.wecom_userid, row.attempts
    robot = db.session.get(ChannelRobot, row.robot_id) if row.robot_id else None
    if robot is None or not robot.active:
        _finish(notification_id, token, status=SKIPPED, last_error="群机器人已删除或停用")
        return Outcome("skipped")
    # Plain copies: the HTTP conversation happens after this unit of work has ended.
    return _snapshot(row), SimpleNamespace(id=robot.id, kind=robot.kind, url_encrypted=robot.url_encrypted,
                                           secret_encrypted=robot.secret_encrypted), row.attempts


def _snapshot(row: Notification) -> SimpleNamespace:
    return SimpleNamespace(id=row.id, channel=row.channel, kind=row.kind, title=row.title, body=row.body, link=row.link)


def send_one(notification_id: int) -> Outcome:
    """Claim, deliver and record one row of a messaging channel. Never raises for a delivery problem."""
    with reused_client():
        return _send_one(notification_id)


def _send_one(notification_id: int) -> Outcome:
    token = claims.claim(notification_id, lease_seconds(), MESSENGER_CHANNELS)
    if token is None:
        return Outcome("not_claimed")
    with unit_of_work():
        prepared = _prepare(notification_id, token)
    if isinstance(prepared, Outcome):
        return prepared
    row, target, attempts = prepared
    config = current_app.config
    read = float(config.get("CHANNEL_READ_TIMEOUT_SECONDS", 10)) + float(config.get("CHANNEL_CONNECT_TIMEOUT_SECONDS", 5))

    def still_mine() -> bool:
        return claims.holds(notification_id, token, read)

    try:
        try:
            if row.channel == WECOM_APP:
                send_wecom_app(row, target, still_mine)
            else:
                send_robot(row, target, still_mine)
        except (TemporaryFailure, PermanentFailure, Paced, ClaimLost):
            raise
        except Exception as exc:  # noqa: BLE001  (unexpected: retried, and failed after MAIL_MAX_ATTEMPTS)
            log.exception("delivering notification %s failed unexpectedly", notification_id)
            raise TemporaryFailure(f"发送时出错：{exc!r}") from exc
    except ClaimLost as exc:
        log.warning("notification %s: %s; nothing sent", notification_id, exc)
        return Outcome("claim_lost", error=str(exc))
    except Paced as exc:
        # Not an attempt: the row waits for its slot (the claim's attempt is given back).
        _finish(notification_id, token, status=PENDING, attempts=Notification.attempts - 1,
                next_attempt_at=db_now(exc.wait), last_error=str(exc))
        return Outcome("paced", retry_in=exc.wait)
    except TemporaryFailure as exc:
        if attempts >= int(config["MAIL_MAX_ATTEMPTS"]):
            _finish(notification_id, token, status=FAILED, last_error=f"重试 {attempts} 次后仍失败：{exc}")
            return Outcome("failed", error=str(exc))
        delay = exc.wait or reminder_rules.backoff_seconds(attempts, float(config["MAIL_BACKOFF_BASE_SECONDS"]), backoff_cap())
        _finish(notification_id, token, status=PENDING, last_error=str(exc), next_attempt_at=db_now(delay))
        log.warning("notification %s: temporary failure (attempt %d), retry in %.1fs: %s", notification_id, attempts, delay, exc)
        return Outcome("retry", retry_in=delay, error=str(exc))
    except PermanentFailure as exc:
        _finish(notification_id, token, status=FAILED, last_error=str(exc))
        log.warning("notification %s: permanent failure: %s", notification_id, exc)
        return Outcome("failed", error=str(exc))
    _finish(notification_id, token, status=SENT, sent_at=db_now(), next_attempt_at=None, last_error=None)
    return Outcome("sent")


def drain(time_budget: float | None = None, batch: int = 100) -> dict[str, int]:
    """Send every messaging-channel row that can be claimed now; rows waiting for a robot slot stay queued."""
    with reused_client():
        return claims.drain(_OneByOne(batch), time_budget, monotonic, log)


class _OneByOne:
    """The messaging side of a drain (claims.drain): due rows listed, each claimed as it is sent."""

    def __init__(self, batch: int):
        self.batch = batch

    def take(self, tried: set[int]) -> list[int]:
        with unit_of_work():
            return [i for i in claims.due_ids(self.batch, MESSENGER_CHANNELS) if i not in tried]

    def send(self, notification_id: int) -> str:
        return _send_one(notification_id).status

    def give_back(self, ids: list[int]) -> None:
        """Nothing to give back: these rows were listed, not claimed."""

    def close(self) -> None:
        """Every outcome is recorded as it is known."""
