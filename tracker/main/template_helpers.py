"""Jinja filters and globals: Chinese names for codes, dates in Asia/Shanghai.

Templates show a code's Chinese label through these filters, never by spelling the label again,
so each vocabulary (rungs, stages, statuses, registry levels and kinds, roles) is defined once.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

from tracker.clock import local, today
from tracker.rules.cultivation import STATUS_NAMES
from tracker.rules.districts import DISTRICT_NAMES, DISTRICTS, INDUSTRIES
from tracker.rules.ladder import RUNG_BY_CODE, RUNGS, STAGE_NAMES
from tracker.models.registry import CARRIER_KINDS, LEVELS
from tracker.models.user import ROLE_NAMES
from tracker.services.attractions.channels import channel_name
from tracker.rules.glossary import TERM_BY_CODE
from tracker.services.notifications.inbox import unread_count
from tracker.web import nav
from tracker.web.phone import tel_links


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _query_args() -> dict[str, list[str]]:
    """The current query arguments that may be passed on to url_for.

    Left out: names url_for reserves (`_anchor`, `_method`, `_scheme`, `_external` ... any leading
    underscore), which a hostile query string would otherwise hand to url_for (a 500), and names
    of the route's own arguments (a duplicate keyword).
    """
    view_args = request.view_args or {}
    return {k: v for k, v in request.args.to_dict(flat=False).items() if not k.startswith("_") and k not in view_args}


def _url_with(**changes) -> str:
    """The current URL with some query arguments changed (for pagination and sorting links)."""
    args = _query_args()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


# Menu entries of feature blueprints: shown when the endpoint exists and the role may use it.
# The top menu: (group, endpoint, label, roles). Entries of one group share a drop-down (a group
# with one visible entry is shown as a plain link), so the menu fits one line on a desktop and
# stays short on a phone. Groups are named for the work they serve.
NAV_GROUPS: tuple[str, ...] = ("我的工作", "企业服务", "培育推进", "统计分析", "消息", "系统管理")
NAV_ITEMS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("我的工作", "work.my_work", "我的工作", ("officer", "manager")),
    ("企业服务", "visits.follow_ups", "诉求办理", ("officer", "manager", "admin")),
    ("企业服务", "accompaniment.index", "重点陪伴", ("officer", "manager", "admin")),
    ("企业服务", "support.index", "扶持记录", ("officer", "manager", "admin")),
    ("企业服务", "policies.index", "政策直达", ("officer", "manager", "admin")),
    ("培育推进", "cultivation.board", "培育看板", ("manager", "admin", "officer")),
    ("培育推进", "candidates.index", "精准挖掘", ("manager", "admin")),
    ("培育推进", "certificates.index", "高企资质维护", ("manager", "admin")),
    ("培育推进", "attractions.index", "招引项目", ("manager", "admin", "officer")),
    ("统计分析", "indicators.dashboard", "指标完成情况", ("manager", "admin")),
    ("统计分析", "indicators.gap_plan", "缺口分析", ("manager", "admin")),
    ("统计分析", "cultivation.workload", "专员工作量", ("manager", "admin")),
    ("统计分析", "registries.index", "人才载体平台", ("manager", "admin")),
    ("消息", "notifications.index", "消息", ("officer", "manager", "admin")),
    ("系统管理", "admin.users", "用户与权限", ("admin",)),
    ("系统管理", "imports.index", "数据导入", ("admin",)),
    ("系统管理", "calendar.index", "节假日与评价窗口", ("admin",)),
    ("系统管理", "followups.departments", "承办部门", ("admin",)),
    ("系统管理", "followups.review_settings", "办结审核设置", ("admin", "manager")),
)


def _nav_extra(user) -> list[dict]:
    """The menu entries `user` may open, flat (each with its group)."""
    return [
        {"url": url_for(endpoint), "label": label, "endpoint": endpoint, "group": group}
        for group, endpoint, label, roles in NAV_ITEMS
        if endpoint in current_app.view_functions and user.role in roles
    ]


def _nav_groups(user) -> list[dict]:
    """The menu as groups in NAV_GROUPS order: [{label, items}] with only the entries `user` may open."""
    items = _nav_extra(user)
    groups = []
    for name in NAV_GROUPS:
        entries = [i for i in items if i["group"] == name]
        if entries:
            # 系统管理 also lights up on the admin pages reached from its entries (outbox, mail, tokens).
            lit = any(nav.active(i["url"]) for i in entries) or (name == "系统管理" and nav.active("/admin/"))
            groups.append({"label": name, "items": entries, "active": lit})
    return groups


def _unread_messages() -> int:
    """The signed-in user's unread messages for the menu badge: one COUNT per request, kept in `g`."""
    if "unread_messages" not in g:
        g.unread_messages = unread_count(current_user) if current_user.is_authenticated else 0
    return g.unread_messages


def _home_endpoint(user) -> str:
    """The one home of a user: officers' is 我的工作, everyone else's the overview (首页)."""
    return "work.my_work" if user.is_officer and "work.my_work" in current_app.view_functions else "main.home"


def add_company_action(app: Flask, provider) -> None:
    """Let a feature add buttons to the company page: provider(user, company) -> [{url, label, css}]."""
    app.extensions.setdefault("company_actions", []).append(provider)


def add_company_section(app: Flask, provider) -> None:
    """Let a feature add a card to the company page: provider(user, company) -> HTML (Markup) or ''."""
    app.extensions.setdefault("company_sections", []).append(provider)


def _company_actions(user, company) -> list[dict]:
    return [a for provider in current_app.extensions.get("company_actions", []) for a in provider(user, company)]


def _company_sections(user, company) -> list:
    return [s for provider in current_app.extensions.get("company_sections", []) if (s := provider(user, company))]


def _label(names: dict[str, str]):
    """A filter showing a code by its Chinese name (the code itself when unknown, '' for none)."""
    return lambda code: names.get(code, code or "")


def init_app(app: Flask) -> None:
    """Register the filters and globals every template may use."""
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["tel"] = tel_links  # phone numbers as tel: links
    app.jinja_env.filters["district_name"] = _label(DISTRICT_NAMES)
    app.jinja_env.filters["stage_name"] = _label(STAGE_NAMES)
    app.jinja_env.filters["rung_name"] = lambda c: RUNG_BY_CODE[c].name if c in RUNG_BY_CODE else (c or "")
    app.jinja_env.filters["track_status_name"] = _label(STATUS_NAMES)
    app.jinja_env.filters["role_name"] = _label(ROLE_NAMES)
    app.jinja_env.filters["registry_level_name"] = _label(LEVELS)
    app.jinja_env.filters["carrier_kind_name"] = _label(CARRIER_KINDS)
    app.jinja_env.filters["attraction_channel_name"] = channel_name
    app.jinja_env.globals.update(
        DISTRICTS=DISTRICTS, INDUSTRIES=INDUSTRIES, RUNGS=RUNGS, STAGE_NAMES=STAGE_NAMES,
        url_with=_url_with, query_args=_query_args, today=today, nav_extra=_nav_extra, nav_groups=_nav_groups,
        company_actions=_company_actions, company_sections=_company_sections,
        TERMS=TERM_BY_CODE, unread_messages=_unread_messages, home_endpoint=_home_endpoint,
        nav_active=nav.active,
    )
