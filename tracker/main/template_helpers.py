"""Jinja filters and globals: Chinese names for codes, dates in Asia/Shanghai.

Templates show a code's Chinese label through these filters, never by spelling the label again,
so each vocabulary (rungs, stages, statuses, registry levels and kinds, roles) is defined once.
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app, request, url_for

from tracker.clock import local, today
from tracker.rules.cultivation import STATUS_NAMES
from tracker.rules.districts import DISTRICT_NAMES, DISTRICTS, INDUSTRIES
from tracker.rules.ladder import RUNG_BY_CODE, RUNGS, STAGE_NAMES
from tracker.models.registry import CARRIER_KINDS, LEVELS
from tracker.models.user import ROLE_NAMES


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _url_with(**changes) -> str:
    """The current URL with some query arguments changed (for pagination and sorting links)."""
    args = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


# Menu entries of feature blueprints: shown when the endpoint exists and the role may use it.
NAV_ITEMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("work.my_work", "我的工作", ("officer", "manager")),
    ("visits.follow_ups", "诉求办理", ("officer", "manager", "admin")),
    ("cultivation.board", "培育看板", ("manager", "admin", "officer")),
    ("candidates.index", "精准挖掘", ("manager", "admin")),
    ("certificates.index", "高企资质维护", ("manager", "admin")),
    ("indicators.dashboard", "指标完成情况", ("manager", "admin")),
    ("indicators.gap_plan", "缺口分析", ("manager", "admin")),
    ("cultivation.workload", "专员工作量", ("manager", "admin")),
    ("notifications.index", "消息", ("officer", "manager", "admin")),
    ("registries.index", "人才载体平台", ("manager", "admin")),
    ("imports.index", "数据导入", ("admin",)),
    ("calendar.index", "节假日与评价窗口", ("admin",)),
)


def _nav_extra(user) -> list[dict]:
    return [
        {"url": url_for(endpoint), "label": label}
        for endpoint, label, roles in NAV_ITEMS
        if endpoint in current_app.view_functions and user.role in roles
    ]


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
    app.jinja_env.filters["district_name"] = _label(DISTRICT_NAMES)
    app.jinja_env.filters["stage_name"] = _label(STAGE_NAMES)
    app.jinja_env.filters["rung_name"] = lambda c: RUNG_BY_CODE[c].name if c in RUNG_BY_CODE else (c or "")
    app.jinja_env.filters["track_status_name"] = _label(STATUS_NAMES)
    app.jinja_env.filters["role_name"] = _label(ROLE_NAMES)
    app.jinja_env.filters["registry_level_name"] = _label(LEVELS)
    app.jinja_env.filters["carrier_kind_name"] = _label(CARRIER_KINDS)
    app.jinja_env.globals.update(
        DISTRICTS=DISTRICTS, INDUSTRIES=INDUSTRIES, RUNGS=RUNGS, STAGE_NAMES=STAGE_NAMES,
        url_with=_url_with, today=today, nav_extra=_nav_extra,
        company_actions=_company_actions, company_sections=_company_sections,
    )
