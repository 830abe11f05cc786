"""One definition per term (术语表): the Chinese label every screen shows for a counted thing, and
what it counts, shown as its tooltip.

A number that appears on more than one screen (the home page, 我的工作, 专员工作量, the indicator
dashboard, the monthly report) is labelled from here, and counted by the one query named in
`source` (docs/DOMAIN.md §4 and §7), so "高新技术企业" or "已逾期" never means two things.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    label: str  # what the screen shows
    counts: str  # what it counts (the tooltip), in Chinese
    source: str  # the query that counts it (for developers)


TERMS: tuple[Term, ...] = (
    Term("hnte_holders", "高新技术企业",
         "截至当日持有有效期内高新技术企业证书的企业数（同时是瞪羚、独角兽的企业也计入），与指标1“高新技术企业数”同一口径",
         "tracker.services.indicators.definitions.companies_counted('hnte_count')"),
    Term("stage", "当前阶段",
         "按企业截至当日有效的最高一级资质归类，每家企业只计一次（例如瞪羚企业不再计入“高新技术企业”阶段）",
         "tracker.services.stages.stage_rank_counts"),
    Term("visits_overdue", "已逾期",
         "应走访日期已过 14 天（宽限期）仍未走访的企业，含逾期督办；从未走访的企业自开始负责之日起计算",
         "tracker.services.visits.due.due_visits(min_state=overdue)"),
    Term("visits_escalated", "逾期督办",
         "已逾期企业中，超过应走访日期 44 天、已提请辖区管理员督办的部分（包含在“已逾期”之内）",
         "tracker.rules.cadence.visit_state == escalated"),
    Term("visits_today", "今天",
         "今天应走访、或应走访日期已过但仍在 14 天宽限期内的企业",
         "tracker.rules.cadence.visit_state == due"),
    Term("visits_week", "本周",
         "未来 7 天内到应走访日期的企业",
         "tracker.rules.cadence.visit_state == upcoming"),
    Term("visits_never", "从未走访",
         "新近开始负责、尚无任何走访记录且尚未逾期的企业（从未走访且已超过宽限期的企业计入“已逾期”）",
         "tracker.services.visits.my_work.group_of"),
    Term("follow_ups_overdue", "逾期诉求",
         "未办结且办理期限已过的诉求",
         "tracker.rules.follow_ups.deadline_state == overdue"),
    Term("unread", "未读消息",
         "发给您、尚未打开或标为已读的站内消息",
         "tracker.services.notifications.inbox.unread_count"),
)

TERM_BY_CODE: dict[str, Term] = {t.code: t for t in TERMS}


def label(code: str) -> str:
    """The Chinese label of a term."""
    return TERM_BY_CODE[code].label


def counts(code: str) -> str:
    """What a term counts, in Chinese (the tooltip)."""
    return TERM_BY_CODE[code].counts
