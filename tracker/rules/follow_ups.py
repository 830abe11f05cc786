"""Follow-ups (诉求办理): the status machine, referral, deadlines, chasing and escalation.

open 待办 → in_progress 办理中 → resolved 已办结 (needs a resolution note) → closed 已销号 (needs
the company's satisfaction: 满意 / 基本满意 / 不满意). A resolved follow-up the company is not
content with can go back to in_progress; closed is final. While open or in progress a follow-up
may be referred (交办) to a responsible unit with a contact and a deadline.

Where the district (or the city) asks for a manager's review before 销号 (办结审核), an officer's
办结 goes to reviewing 待审核 instead: a manager approves (→ resolved) or sends it back with a
note (→ in_progress). A reviewing follow-up is still unfinished (its deadline still runs). After
销号 a satisfaction call-back (满意度回访) may be recorded. Every step is an event on the case's
timeline (EVENT_NAMES).

Overdue handling: once past its due date an unfinished follow-up is overdue and may be chased
(催办); when it is still unfinished `escalate_after_workdays` working days after the chase, it is
escalated (督办) to the district manager. Managers and administrators may escalate any overdue
follow-up at once. Pure Python: the services and the reminder sweep both ask this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.rules import workdays

OPEN, IN_PROGRESS, REVIEWING, RESOLVED, CLOSED = "open", "in_progress", "reviewing", "resolved", "closed"
STATUSES: tuple[str, ...] = (OPEN, IN_PROGRESS, REVIEWING, RESOLVED, CLOSED)
STATUS_NAMES: dict[str, str] = {
    OPEN: "待办", IN_PROGRESS: "办理中", REVIEWING: "待审核", RESOLVED: "已办结", CLOSED: "已销号",
}
ACTIVE_STATUSES: frozenset[str] = frozenset({OPEN, IN_PROGRESS, REVIEWING})  # still to be handled
SATISFACTION_NAMES: dict[str, str] = {"satisfied": "满意", "basically": "基本满意", "unsatisfied": "不满意"}
CATEGORY_NAMES: dict[str, str] = {
    "policy": "政策咨询", "funding": "融资需求", "talent": "人才引进", "land": "用地用房",
    "tech": "技术合作", "ip": "知识产权", "qualification": "资质申报", "other": "其他",
}

ALLOWED: dict[str, frozenset[str]] = {
    OPEN: frozenset({IN_PROGRESS, RESOLVED}),
    IN_PROGRESS: frozenset({RESOLVED}),
    REVIEWING: frozenset({RESOLVED, IN_PROGRESS}),  # the manager approves, or sends it back
    RESOLVED: frozenset({CLOSED, IN_PROGRESS}),  # back to handling when the company is not content
    CLOSED: frozenset(),
}

# The case's timeline (诉求办理记录): one event per step, with who and when.
EVENT_NAMES: dict[str, str] = {
    "status": "状态变更", "note": "办理进展", "refer": "交办", "reply": "承办单位反馈", "chase": "催办",
    "escalate": "督办", "reassign": "更换承办人", "review_request": "提交办结审核", "approve": "审核通过",
    "send_back": "退回重办", "callback": "满意度回访",
}
MAX_NOTE = 2000


def resolve_target(to_status: str, *, review_required: bool, by_manager: bool) -> str:
    """The status an 办结 really enters: 待审核 when a review is required and an officer asks."""
    if to_status == RESOLVED and review_required and not by_manager:
        return REVIEWING
    return to_status


def check_review(status: str, approve: bool, note: str | None, *, by_manager: bool) -> str:
    """办结审核: only a manager decides, only on a reviewing follow-up; sending back needs a note.

    Returns the status the follow-up enters."""
    if not by_manager:
        raise FollowUpRefused("只有管理员可以审核办结")
    if status != REVIEWING:
        raise FollowUpRefused(f"该诉求为“{STATUS_NAMES.get(status, status)}”，不在待审核状态", "status")
    if not approve and not (note or "").strip():
        raise FollowUpRefused("退回重办时请填写退回意见", "note")
    return RESOLVED if approve else IN_PROGRESS


def check_reply(status: str, referred: bool, replied_on: dt.date | None, text: str | None, today: dt.date) -> None:
    """A department's reply (反馈) to a referral: a date not in the future and its content."""
    if not referred:
        raise FollowUpRefused("该诉求尚未交办，无需登记反馈", "text")
    if status == CLOSED:
        raise FollowUpRefused("该诉求已销号，不能再登记反馈", "text")
    if replied_on is None:
        raise FollowUpRefused("请填写反馈日期", "replied_on")
    if replied_on > today:
        raise FollowUpRefused("反馈日期不能晚于今天", "replied_on")
    if not (text or "").strip():
        raise FollowUpRefused("请填写反馈内容", "text")


def check_callback(status: str, called_on: dt.date | None, result: str | None, closed_on: dt.date | None,
                   today: dt.date) -> None:
    """满意度回访 after 销号: a date between the closing and today, and the company's answer."""
    if status != CLOSED:
        raise FollowUpRefused("销号后才能登记满意度回访", "result")
    if called_on is None:
        raise FollowUpRefused("请填写回访日期", "called_on")
    if called_on > today:
        raise FollowUpRefused("回访日期不能晚于今天", "called_on")
    if closed_on is not None and called_on < closed_on:
        raise FollowUpRefused(f"回访日期不能早于销号日期（{closed_on.isoformat()}）", "called_on")
    if result not in SATISFACTION_NAMES:
        raise FollowUpRefused("请选择回访结果（满意 / 基本满意 / 不满意）", "result")

# Deadline states shown in lists (and used by My work).
NO_DUE, OK, DUE_SOON, OVERDUE, DONE = "no_due", "ok", "due_soon", "overdue", "done"
DEADLINE_NAMES = {NO_DUE: "未设期限", OK: "正常", DUE_SOON: "即将到期", OVERDUE: "已逾期", DONE: "已办结"}


class FollowUpRefused(ValueError):
    """A change the rules do not allow; `message` says why in Chinese, `field` names the input."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class FollowUpPolicy:
    """Thresholds (docs/DOMAIN.md §7, [A]: configurable)."""

    due_soon_days: int = 7  # shown on My work this many days ahead of the due date
    escalate_after_workdays: int = 3  # chased, still unfinished this many working days later → 督办
    max_deadline_days: int = 730  # a due date further out than this is a typing error


DEFAULT_POLICY = FollowUpPolicy()


def check_transition(
    from_status: str, to_status: str, *, resolution: str | None = None, satisfaction: str | None = None
) -> None:
    """Refuse (FollowUpRefused) a status change the machine does not allow or that lacks its data."""
    if to_status not in STATUSES:
        raise FollowUpRefused(f"未知的办理状态：{to_status}", "status")
    if from_status == to_status:
        raise FollowUpRefused(f"该诉求已处于“{STATUS_NAMES[to_status]}”状态", "status")
    if from_status == CLOSED:
        raise FollowUpRefused("该诉求已销号，不能再变更", "status")
    if to_status not in ALLOWED.get(from_status, frozenset()):
        allowed = "、".join(STATUS_NAMES[s] for s in STATUSES if s in ALLOWED[from_status])
        raise FollowUpRefused(
            f"不能从“{STATUS_NAMES[from_status]}”直接变更为“{STATUS_NAMES[to_status]}”；可变更为：{allowed}", "status",
        )
    if to_status == RESOLVED and not (resolution or "").strip():
        raise FollowUpRefused("办结时请填写办理结果", "resolution")
    if to_status == CLOSED and satisfaction not in SATISFACTION_NAMES:
        raise FollowUpRefused("销号时请选择企业满意度（满意 / 基本满意 / 不满意）", "satisfaction")


def check_referral(status: str, unit: str | None, contact: str | None, deadline: dt.date | None, today: dt.date) -> None:
    """A referral (交办) needs a unit and a deadline not in the past, while the follow-up is active."""
    if status not in (OPEN, IN_PROGRESS):
        raise FollowUpRefused(f"“{STATUS_NAMES.get(status, status)}”的诉求不能再交办", "status")
    if not (unit or "").strip():
        raise FollowUpRefused("请填写承办单位", "unit")
    if deadline is None:
        raise FollowUpRefused("请填写交办期限", "deadline")
    if deadline < today:
        raise FollowUpRefused("交办期限不能早于今天", "deadline")


def deadline_from(
    start: dt.date, *, due_on: dt.date | None = None, workdays_count: int | None = None,
    policy: FollowUpPolicy = DEFAULT_POLICY, calendar: workdays.Calendar = workdays.DEFAULT,
) -> dt.date:
    """The due date entered either as a date or as N working days after `start` (not both).

    Working days are counted on `calendar` (the service passes the one with the loaded notices).
    """
    if due_on is not None and workdays_count is not None:
        raise FollowUpRefused("办理期限请只填写日期或工作日数其中一项", "due_on")
    if workdays_count is not None:
        if not 1 <= workdays_count <= workdays.MAX_WORKDAYS:
            raise FollowUpRefused(f"工作日数应在 1 到 {workdays.MAX_WORKDAYS} 之间", "due_workdays")
        return calendar.add_workdays(start, workdays_count)
    if due_on is None:
        raise FollowUpRefused("请填写办理期限（日期或工作日数）", "due_on")
    if due_on < start:
        raise FollowUpRefused("办理期限不能早于诉求提出日期", "due_on")
    if (due_on - start).days > policy.max_deadline_days:
        raise FollowUpRefused("办理期限过远，请检查日期", "due_on")
    return due_on


def counted_without_notice(
    start: dt.date, due_on: dt.date, workdays_count: int | None, calendar: workdays.Calendar = workdays.DEFAULT,
) -> bool:
    """True when `due_on` was counted in working days through a year without its official notice.

    Such a deadline is provisional: the year's 调休 may move it once the notice is published.
    A date typed in is never provisional.
    """
    return workdays_count is not None and bool(calendar.unofficial_years(start, due_on))


def provisional_deadline_note(
    due_on: dt.date | None, provisional: bool, calendar: workdays.Calendar = workdays.DEFAULT,
) -> str:
    """The note shown beside a deadline counted without the year's notice ('' for any other).

    While the notice is still missing: "（2027年调休安排尚未公布，暂按法定节假日计算）"; once it is
    loaded the deadline stays as it was set, and the note says on what it was counted.
    """
    if not provisional or due_on is None:
        return ""
    if calendar.has_official_notice(due_on.year):
        return f"（该期限按法定节假日计算，计算时{due_on.year}年调休安排尚未公布）"
    return workdays.provisional_note((due_on.year,))


def effective_due_on(due_on: dt.date | None, referred_deadline: dt.date | None) -> dt.date | None:
    """The date that decides lateness: the follow-up's own due date (a referral's deadline is the unit's)."""
    return due_on if due_on is not None else referred_deadline


def deadline_state(status: str, due_on: dt.date | None, today: dt.date, policy: FollowUpPolicy = DEFAULT_POLICY) -> str:
    """done / no_due / overdue / due_soon / ok for lists and highlights."""
    if status not in ACTIVE_STATUSES:
        return DONE
    if due_on is None:
        return NO_DUE
    if today > due_on:
        return OVERDUE
    if (due_on - today).days <= policy.due_soon_days:
        return DUE_SOON
    return OK


def is_overdue(status: str, due_on: dt.date | None, today: dt.date) -> bool:
    """Unfinished and past its due date."""
    return status in ACTIVE_STATUSES and due_on is not None and today > due_on


def check_chase(status: str, due_on: dt.date | None, today: dt.date) -> None:
    """Chasing (催办) is for unfinished follow-ups past their due date."""
    if status not in ACTIVE_STATUSES:
        raise FollowUpRefused("已办结的诉求无需催办")
    if not is_overdue(status, due_on, today):
        raise FollowUpRefused("该诉求尚未逾期，无需催办")


def escalation_due_on(
    chased_on: dt.date, policy: FollowUpPolicy = DEFAULT_POLICY, calendar: workdays.Calendar = workdays.DEFAULT,
) -> dt.date:
    """The day a chased follow-up that is still unfinished goes to the manager (督办)."""
    return calendar.add_workdays(chased_on, policy.escalate_after_workdays)


def check_escalate(
    status: str, due_on: dt.date | None, chased_on: dt.date | None, escalated: bool, today: dt.date,
    *, by_manager: bool = False, policy: FollowUpPolicy = DEFAULT_POLICY,
    calendar: workdays.Calendar = workdays.DEFAULT,
) -> None:
    """Escalation (督办): overdue, chased, and still unfinished some working days after the chase.

    A manager or administrator may escalate any overdue follow-up at once (by_manager=True).
    """
    if status not in ACTIVE_STATUSES:
        raise FollowUpRefused("已办结的诉求无需督办")
    if escalated:
        raise FollowUpRefused("该诉求已在督办中")
    if not is_overdue(status, due_on, today):
        raise FollowUpRefused("该诉求尚未逾期，不能督办")
    if by_manager:
        return
    if chased_on is None:
        raise FollowUpRefused("请先催办；催办后仍未办结的诉求才能提请督办")
    when = escalation_due_on(chased_on, policy, calendar)
    if today < when:
        raise FollowUpRefused(f"催办后{policy.escalate_after_workdays}个工作日仍未办结才能提请督办（{when.isoformat()} 起）")


def needs_escalation(
    status: str, due_on: dt.date | None, chased_on: dt.date | None, escalated: bool, today: dt.date,
    policy: FollowUpPolicy = DEFAULT_POLICY, calendar: workdays.Calendar = workdays.DEFAULT,
) -> bool:
    """True when the follow-up should now be escalated (for the reminder sweep and highlights)."""
    try:
        check_escalate(status, due_on, chased_on, escalated, today, policy=policy, calendar=calendar)
    except FollowUpRefused:
        return False
    return True
