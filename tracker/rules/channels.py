"""Channel rules (发送渠道规则): who gets which channel, robot signing and pacing, platform errors.

Pure Python: no Flask, SQLAlchemy, Celery or HTTP here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Iterable, Mapping

# A user's choice per kind of notification.
MODE_EMAIL, MODE_WECOM, MODE_BOTH, MODE_APP = "email", "wecom", "both", "app"
MODES = (MODE_EMAIL, MODE_WECOM, MODE_BOTH, MODE_APP)
MODE_NAMES = {MODE_EMAIL: "邮件", MODE_WECOM: "企业微信", MODE_BOTH: "邮件和企业微信", MODE_APP: "仅在系统内查看"}
ANY_KIND = "*"  # a role default for every kind without its own

CHANNEL_NAMES = {"email": "邮件", "wecom_app": "企业微信应用消息", "wecom_robot": "企业微信群机器人",
                 "dingtalk_robot": "钉钉群机器人"}

# 企业微信 access token errors: fetch a new token and send again.
TOKEN_ERRCODES = frozenset({40014, 42001, 40001})
# Temporary platform errors: retry with backoff (system busy, rate limits).
BUSY_ERRCODES = frozenset({-1, 45009, 45033, 45011, 130101})
RATE_LIMIT_ERRCODES = frozenset({45009, 130101, 45033})

# What the platforms' error codes mean, in Chinese (企业微信 global codes; 钉钉 robot codes).
ERRCODE_NAMES: dict[int, str] = {
    -1: "平台系统繁忙",
    40001: "access_token 无效（应用 Secret 可能有误）",
    40013: "企业 ID（corpid）无效",
    40014: "access_token 不合法",
    40056: "应用 ID（agentid）不合法",
    42001: "access_token 已过期",
    40003: "接收人的企业微信账号（userid）无效",
    81013: "接收人的企业微信账号（userid）不存在或不在应用可见范围内",
    60020: "服务器 IP 不在企业微信应用的可信 IP 名单内",
    41001: "缺少 access_token 参数",
    40091: "应用 Secret 不正确",
    45009: "调用频率超过平台限制，稍后重试",
    45033: "接口并发调用超过限制，稍后重试",
    93000: "机器人 Webhook 地址无效",
    93004: "机器人已被停用",
    310000: "钉钉机器人签名校验失败或关键词、IP 不匹配（请检查加签密钥）",
    300001: "钉钉机器人 access_token 无效",
    130101: "钉钉机器人发送过快（每分钟最多 20 条），稍后重试",
    400101: "钉钉机器人 access_token 不存在",
    43004: "接收人未关注或无权接收该应用消息",
}

ROBOT_LIMIT_PER_MINUTE = 20
WINDOW_SECONDS = 60.0


def errcode_text(errcode: int, errmsg: str | None) -> str:
    """A platform error for administrators: the Chinese meaning, then the raw code and message."""
    meaning = ERRCODE_NAMES.get(int(errcode), "平台返回错误")
    return f"{meaning}（errcode {errcode}：{(errmsg or '').strip()[:200]}）"


def is_temporary(errcode: int) -> bool:
    return int(errcode) in BUSY_ERRCODES


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉加签: Base64(HMAC-SHA256(secret, "timestamp\\nsecret")), before URL-encoding."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def mode_for(kind: str, role: str, preferences: Mapping[str, str] | None, defaults: Mapping[tuple[str, str], str]) -> str:
    """The user's mode for a kind: their own choice, else the role's default for the kind, for any kind, else email."""
    for key in (kind, ANY_KIND):
        if (preferences or {}).get(key) in MODES:
            return preferences[key]
    for key in ((role, kind), (role, ANY_KIND)):
        if defaults.get(key) in MODES:
            return defaults[key]
    return MODE_EMAIL


@dataclass(frozen=True)
class Delivery:
    """How one notification reaches one user: by email (the row is also the in-app one), by 企业微信."""

    email: bool
    wecom: bool
    note: str | None = None  # why the email row is not emailed although delivery is wanted


def delivery(mode: str, wanted: bool, *, has_email: bool, wecom_ready: bool) -> Delivery:
    """Channels for a notification whose delivery is `wanted` (tracker.rules.reminders.email_wanted).

    企业微信 without a userid (or without the app configured) falls back to email, so a reminder
    the user wants pushed is never silently kept in the app only.
    """
    if not wanted or mode == MODE_APP:
        return Delivery(False, False)
    wecom = mode in (MODE_WECOM, MODE_BOTH) and wecom_ready
    email = mode in (MODE_EMAIL, MODE_BOTH) or not wecom
    if not email:
        return Delivery(False, True, note="按用户偏好只通过企业微信发送")
    return Delivery(has_email or not wecom, wecom)


def pace(recent: Iterable[float], now: float, limit: int = ROBOT_LIMIT_PER_MINUTE,
         window: float = WINDOW_SECONDS) -> tuple[list[float], float]:
    """A robot's sliding window: (the sends still inside it, seconds to wait before the next send; 0: now).

    At most `limit` sends in any `window` seconds; a send waits until the oldest one leaves.
    """
    kept = sorted(t for t in recent if now - t < window)
    if len(kept) < limit:
        return kept, 0.0
    return kept, max(0.01, kept[-limit] + window - now)


def mask_url(url: str) -> str:
    """A webhook URL as shown after saving: the host and the last four characters of its key."""
    text = (url or "").strip()
    host = text.split("://", 1)[-1].split("/", 1)[0]
    tail = text[-4:] if len(text) > 8 else ""
    return f"{host}/…{tail}"[:64]


def district_summary(label: str, day_iso: str, items: Iterable[tuple[str, str, bool]],
                     kind_names: Mapping[str, str], link: str, list_limit: int = 10) -> tuple[str, str]:
    """The (title, markdown text) of a robot's daily summary (每日提醒汇总) from (kind, title, urgent) items.

    Counts per kind, then the urgent ones (escalations, last certificate window) by title.
    """
    items = list(items)
    counts: dict[str, int] = {}
    for kind, _, _ in items:
        counts[kind] = counts.get(kind, 0) + 1
    urgent = [title for _, title, is_urgent in items if is_urgent]
    title = f"{label}今日提醒汇总（{day_iso}）"
    lines = [f"### {title}", f"今日到期提醒 **{len(items)}** 条，其中紧急 **{len(urgent)}** 条。", ""]
    lines += [f"- {kind_names.get(kind, '其他提醒')}：{count} 条" for kind, count in sorted(counts.items(), key=lambda kv: -kv[1])]
    if urgent:
        lines += ["", "**紧急事项：**"] + [f"- {t}" for t in urgent[:list_limit]]
        if len(urgent) > list_limit:
            lines.append(f"- ……另有 {len(urgent) - list_limit} 条")
    lines += ["", f"[打开科技企业培育系统查看]({link})"]
    return title, "\n".join(lines)
