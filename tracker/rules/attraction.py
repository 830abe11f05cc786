"""Attraction projects (招引项目, plan §1 "周跟进、月调度"; docs/DOMAIN.md §9): channels, the
status machine and the weekly follow-up rule. Pure Python.

lead 线索 → talking 在谈 → signed 签约 → settled 落户, or dropped 终止 (with a reason) from any
open status. Steps may be skipped forward (a lead signed at the first meeting), never taken back;
settled and dropped are final. Settling links the project to a company, so it is its own action
(the settle form), never a plain status move.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

LEAD, TALKING, SIGNED, SETTLED, DROPPED = "lead", "talking", "signed", "settled", "dropped"
STATUSES: tuple[str, ...] = (LEAD, TALKING, SIGNED, SETTLED, DROPPED)
STATUS_NAMES: dict[str, str] = {LEAD: "线索", TALKING: "在谈", SIGNED: "签约", SETTLED: "落户", DROPPED: "终止"}
OPEN_STATUSES: tuple[str, ...] = (LEAD, TALKING, SIGNED)
FINAL_STATUSES: frozenset[str] = frozenset({SETTLED, DROPPED})
# The date column that records when a project entered each status.
STEP_DATE_FIELDS: dict[str, str] = {
    LEAD: "lead_on", TALKING: "talking_on", SIGNED: "signed_on", SETTLED: "settled_on", DROPPED: "dropped_on",
}
_RANK = {LEAD: 0, TALKING: 1, SIGNED: 2, SETTLED: 3}

# The plan's channels (§1: 载体、平台、大赛、基金、飞地) and 其他. An administrator can add more
# (table attraction_channel); these six always exist, so a code here is never unknown.
CARRIER, PLATFORM, CONTEST, FUND, ENCLAVE, OTHER = "carrier", "platform", "contest", "fund", "enclave", "other"
BUILTIN_CHANNELS: dict[str, str] = {
    CARRIER: "载体招引", PLATFORM: "平台招引", CONTEST: "大赛招引", FUND: "基金招引", ENCLAVE: "飞地孵化", OTHER: "其他",
}
# A company attracted without a recorded channel counts under 其他 in the split of indicator 5.
UNSPECIFIED_CHANNEL = OTHER
CHANNEL_CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,15}$")

# Suggestions for the free-text source (来源); any other text is accepted.
SOURCE_SUGGESTIONS: tuple[str, ...] = ("科技局", "人才办", "商务局", "发改委", "工信局", "辖区", "园区", "投资机构", "高校院所")
DROP_REASON_MAX = 500


class MoveRefused(ValueError):
    """A status move the machine does not allow; `message` says why, in Chinese."""

    def __init__(self, message: str, field: str = "status"):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Move:
    """An allowed move and the day it happens on."""

    from_status: str
    to_status: str
    on: dt.date


def allowed_moves(status: str) -> tuple[str, ...]:
    """The statuses a project in `status` may move to by a plain move (settling is separate)."""
    if status in FINAL_STATUSES:
        return ()
    later = tuple(s for s in (TALKING, SIGNED) if _RANK[s] > _RANK[status])
    return later + (DROPPED,)


def check_move(status: str, wanted: str, on: dt.date, *, last_step_on: dt.date | None, today: dt.date,
               reason: str | None = None) -> Move:
    """The move from `status` to `wanted` on `on`, or MoveRefused with the reason.

    `last_step_on` is the date of the project's latest step: a step cannot be dated before it,
    nor after today. Dropping needs a reason.
    """
    if wanted not in STATUSES:
        raise MoveRefused(f"未知的项目状态：{wanted}")
    if status == wanted:
        raise MoveRefused(f"项目已处于“{STATUS_NAMES[wanted]}”状态")
    if status in FINAL_STATUSES:
        raise MoveRefused(f"项目已{STATUS_NAMES[status]}，不能再变更状态")
    if wanted == SETTLED:
        raise MoveRefused("落户需填写落户企业（统一社会信用代码和企业名称），请使用“确认落户”")
    if wanted not in allowed_moves(status):
        allowed = "、".join(STATUS_NAMES[s] for s in allowed_moves(status))
        raise MoveRefused(f"不能从“{STATUS_NAMES[status]}”退回“{STATUS_NAMES[wanted]}”；可变更为：{allowed}")
    check_step_date(on, last_step_on=last_step_on, today=today, field="on")
    if wanted == DROPPED and not (reason or "").strip():
        raise MoveRefused("终止项目须填写终止原因", field="reason")
    if reason and len(reason.strip()) > DROP_REASON_MAX:
        raise MoveRefused(f"终止原因不超过{DROP_REASON_MAX}个字", field="reason")
    return Move(status, wanted, on)


def check_step_date(on: dt.date | None, *, last_step_on: dt.date | None, today: dt.date, field: str = "on") -> None:
    """A step's date: given, not after today and not before the previous step."""
    if on is None:
        raise MoveRefused("请填写日期", field=field)
    if on > today:
        raise MoveRefused("日期不能晚于今天", field=field)
    if last_step_on is not None and on < last_step_on:
        raise MoveRefused(f"日期不能早于上一步骤的日期（{last_step_on.isoformat()}）", field=field)


def check_settle(status: str, on: dt.date | None, *, last_step_on: dt.date | None, today: dt.date) -> None:
    """Settling (落户) is allowed from any open status, dated on or after the last step."""
    if status == SETTLED:
        raise MoveRefused("项目已落户")
    if status == DROPPED:
        raise MoveRefused("项目已终止，不能落户；如重新洽谈请新建项目")
    check_step_date(on, last_step_on=last_step_on, today=today, field="settled_on")


def last_step_date(dates: dict[str, dt.date | None]) -> dt.date | None:
    """The latest of a project's step dates (field name → date)."""
    found = [d for d in dates.values() if d is not None]
    return max(found) if found else None


def step_dates_error(dates: dict[str, dt.date | None]) -> tuple[str, str] | None:
    """(field, message) when step dates given together (an import row, an edit) run backwards."""
    previous: tuple[str, dt.date] | None = None
    for status in (LEAD, TALKING, SIGNED, SETTLED):
        name = STEP_DATE_FIELDS[status]
        day = dates.get(name)
        if day is None:
            continue
        if previous is not None and day < previous[1]:
            return name, f"{STATUS_NAMES[status]}日期不能早于{STATUS_NAMES[previous[0]]}日期（{previous[1].isoformat()}）"
        previous = (status, day)
    return None


def parse_status(text: str | None) -> str | None:
    """A status from its Chinese name or code (None when empty); ValueError with the choices."""
    if text is None or not str(text).strip():
        return None
    key = _key(text)
    for code, name in STATUS_NAMES.items():
        if key in (code, name):
            return code
    raise ValueError(f"未知的项目状态：{text}（可选：{'、'.join(STATUS_NAMES.values())}）")


def parse_channel(text: str | None, channels: dict[str, str]) -> str | None:
    """A channel code from its code or Chinese name among `channels` (code → name), None when
    empty; ValueError with the choices. "载体" is read as "载体招引" (the name without 招引)."""
    if text is None or not str(text).strip():
        return None
    key = _key(text)
    for code, name in channels.items():
        plain = _key(name)
        if key in (code, plain) or (plain.endswith("招引") and key == plain.removesuffix("招引")):
            return code
    raise ValueError(f"未知的招引渠道：{text}（可选：{'、'.join(channels.values())}）")


def check_channel_code(code: str) -> str | None:
    """Why a new channel code is unusable (None when fine): lower-case letters, digits, _."""
    if not CHANNEL_CODE_PATTERN.match(code or ""):
        return "渠道代码须为 2—16 位小写字母、数字或下划线，并以字母开头（如 incubator_east）"
    return None


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).lower()


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s ISO week (周跟进 counts Monday to Sunday)."""
    return day - dt.timedelta(days=day.weekday())


def needs_follow_up(status: str, last_note_on: dt.date | None, day: dt.date) -> bool:
    """An open project with no follow-up note in `day`'s ISO week is flagged (未跟进)."""
    return status in OPEN_STATUSES and (last_note_on is None or last_note_on < week_start(day))


def conversion_rate(settled: int, leads: int) -> float | None:
    """Share of leads that settled (None without leads)."""
    return None if leads <= 0 else settled / leads
