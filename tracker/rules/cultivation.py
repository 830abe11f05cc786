"""The cultivation (培育) state machine of a track: company × target rung × year.

pool 储备 → key 重点培育 → submitted 已申报 → recognized 已认定 | rejected 未通过, and any open
status → withdrawn 退出. Both the board and the bulk actions ask this module before moving a card.
"""

from __future__ import annotations

from dataclasses import dataclass

POOL, KEY, SUBMITTED, RECOGNIZED, REJECTED, WITHDRAWN = (
    "pool", "key", "submitted", "recognized", "rejected", "withdrawn",
)
STATUSES: tuple[str, ...] = (POOL, KEY, SUBMITTED, RECOGNIZED, REJECTED, WITHDRAWN)
STATUS_NAMES: dict[str, str] = {
    POOL: "储备", KEY: "重点培育", SUBMITTED: "已申报",
    RECOGNIZED: "已认定", REJECTED: "未通过", WITHDRAWN: "退出",
}
OPEN_STATUSES: frozenset[str] = frozenset({POOL, KEY, SUBMITTED})
CLOSED_STATUSES: frozenset[str] = frozenset({RECOGNIZED, REJECTED, WITHDRAWN})

ALLOWED: dict[str, frozenset[str]] = {
    POOL: frozenset({KEY, WITHDRAWN}),
    KEY: frozenset({SUBMITTED, POOL, WITHDRAWN}),
    SUBMITTED: frozenset({RECOGNIZED, REJECTED, WITHDRAWN}),
    RECOGNIZED: frozenset(),
    REJECTED: frozenset(),
    WITHDRAWN: frozenset(),
}


class MoveRefused(ValueError):
    """A move the table does not allow; the message says why, in Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Move:
    from_status: str
    to_status: str


def check_move(from_status: str, to_status: str, *, reason: str | None = None) -> Move:
    """Return the move if the state machine allows it, else raise MoveRefused with the reason."""
    if to_status not in STATUSES:
        raise MoveRefused(f"未知的培育状态：{to_status}")
    if from_status == to_status:
        raise MoveRefused(f"已处于“{STATUS_NAMES[to_status]}”状态")
    if from_status in CLOSED_STATUSES:
        raise MoveRefused(
            f"“{STATUS_NAMES[from_status]}”是终结状态，不能再变更；如需下一年度继续培育，请新建培育记录"
        )
    if to_status not in ALLOWED[from_status]:
        allowed = "、".join(STATUS_NAMES[s] for s in STATUSES if s in ALLOWED[from_status])
        raise MoveRefused(
            f"不能从“{STATUS_NAMES[from_status]}”直接变更为“{STATUS_NAMES[to_status]}”；"
            f"可变更为：{allowed}"
        )
    if to_status in (WITHDRAWN, REJECTED) and not (reason and reason.strip()):
        raise MoveRefused(f"变更为“{STATUS_NAMES[to_status]}”须填写原因")
    return Move(from_status, to_status)


def move_path(current: str, wanted: str, *, reason: str | None = None) -> list[str]:
    """The statuses a track enters on its way from `current` to `wanted`, each step a move the
    table allows (储备 → 已申报 passes through 重点培育), shortest first; MoveRefused when there is
    no way (a closed status, a move back), with the reason of the direct move."""
    paths = {current: [current]}
    queue = [current]
    while queue and wanted not in paths:
        status = queue.pop(0)
        for following in STATUSES:  # in the vocabulary's order: one answer for every file
            if following in ALLOWED.get(status, frozenset()) and following not in paths:
                paths[following] = [*paths[status], following]
                queue.append(following)
    if wanted not in paths:
        check_move(current, wanted, reason=reason)  # raises with the reason of the direct move
        raise MoveRefused("该状态变更不符合培育流程")
    path = paths[wanted]
    for before, after in zip(path, path[1:]):
        check_move(before, after, reason=reason)
    return path[1:]


def can_reopen(status: str) -> bool:
    """A rejected or withdrawn track may be reopened as a new track in a later year."""
    return status in (REJECTED, WITHDRAWN)
