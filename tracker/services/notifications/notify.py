"""Immediate notifications (即时提醒): a use case tells the people concerned at once.

The follow-up and visit services call these with the acting user, inside their own unit of work:
the rows commit with the change (a rolled-back visit notifies nobody) and their emails are
published after that commit. A view, the CLI and a task therefore notify the same people. Nobody
is told about their own action.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select

from tracker import clock
from tracker.extensions import db
from tracker.models import Company, FollowUp, User
from tracker.rules import follow_ups as follow_up_rules
from tracker.rules import reminders as rules
from tracker.services.notifications import robots
from tracker.services.notifications.rows import active_users, add_notifications, new_row, path_for
from tracker.services.unit_of_work import use_case


@use_case
def notify(user_ids: list[int], kind: str, subject_key: str, period: str, title: str, *, body: str = "",
           link: str | None = None, urgent: bool = False, company_id: int | None = None,
           payload: dict | None = None) -> list[int]:
    """Add one notification for each of these (active) users; returns the ids of the rows added.

    Joins the caller's unit of work, or is one on its own. An existing key adds nothing; the
    emails are published after the commit.
    """
    wanted = set(user_ids)
    users = active_users(User.id.in_(wanted)) if wanted else {}
    created = clock.now()
    rows = [
        new_row(users[i], kind, subject_key, period, title, body=body, link=link, urgent=urgent,
                company_id=company_id, payload=payload, created=created)
        for i in sorted(wanted) if i in users
    ]
    return add_notifications(rows)


def _companies(company_ids: set[int]) -> dict[int, tuple[str, str]]:
    """(name, district) of these companies, in one query."""
    if not company_ids:
        return {}
    rows = db.session.execute(select(Company.id, Company.name, Company.district).where(Company.id.in_(company_ids)))
    return {r.id: (r.name, r.district) for r in rows}


def _follow_up_link(follow_up: FollowUp) -> str:
    return path_for("visits.follow_up", path_for("companies.show", company_id=follow_up.company_id),
                    follow_up_id=follow_up.id)


@use_case
def follow_ups_assigned(actor: User, follow_ups: Iterable[FollowUp]) -> list[int]:
    """Tell each new owner of these follow-ups (raised on a visit, or reassigned) that one is theirs.

    The actor's own follow-ups notify nobody; inactive owners get nothing. Two queries for any
    number of follow-ups. Returns the ids of the rows added.
    """
    handed = [f for f in follow_ups if f.owner_id is not None and f.owner_id != actor.id]
    if not handed:
        return []
    db.session.flush()  # new follow-ups need their ids for the notification's subject and link
    owners = active_users(User.id.in_({f.owner_id for f in handed}))
    companies = _companies({f.company_id for f in handed})
    created = clock.now()
    rows = []
    for f in handed:
        if f.owner_id not in owners or f.company_id not in companies:
            continue
        name, _ = companies[f.company_id]
        due = follow_up_rules.effective_due_on(f.due_on, f.referred_deadline)
        body = f"{name}的诉求“{rules._short(f.description)}”已交由您办理" + (f"，期限 {due.isoformat()}。" if due else "。")
        rows.append(new_row(owners[f.owner_id], rules.FOLLOW_UP_ASSIGNED, f"follow_up:{f.id}", f"owner:{f.owner_id}",
                            f"新诉求待办理：{name}", body=body, link=_follow_up_link(f), company_id=f.company_id,
                            created=created))
    return add_notifications(rows)


@use_case
def follow_up_escalated(actor: User, follow_up: FollowUp) -> list[int]:
    """Tell the district's managers (except the actor) that an overdue follow-up was escalated (督办).

    Urgent, so it is emailed even to managers in digest mode. The key is the sweep's escalation
    key (follow-up, deadline): the next morning's sweep adds no second notice. Returns the ids of
    the rows added.
    """
    due = follow_up_rules.effective_due_on(follow_up.due_on, follow_up.referred_deadline)
    company = _companies({follow_up.company_id}).get(follow_up.company_id)
    if due is None or company is None:
        return []
    name, district = company
    managers = active_users(User.role == "manager", User.district == district, User.id != actor.id)
    created = clock.now()
    body = f"{name}的诉求“{rules._short(follow_up.description)}”已逾期并提请督办，期限 {due.isoformat()}。"
    rows = [
        new_row(manager, rules.FOLLOW_UP_ESCALATED, f"follow_up:{follow_up.id}", due.isoformat(), f"诉求逾期督办：{name}",
                body=body, link=_follow_up_link(follow_up), urgent=True, company_id=follow_up.company_id,
                created=created)
        for manager in sorted(managers.values(), key=lambda u: u.id)
    ]
    # The district's group robots too, once per (follow-up, deadline).
    robots.escalation(district, f"follow_up:{follow_up.id}", due.isoformat(), f"诉求逾期督办：{name}", body,
                      _follow_up_link(follow_up))
    return add_notifications(rows)
