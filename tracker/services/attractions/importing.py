"""What an attraction-project import row means (`flask import attractions FILE`, docs/DOMAIN.md §8).

The generic importer (tracker.services.imports.importer) reads the file, parses the cells by
tracker.rules.import_formats.ATTRACTION_COLUMNS and runs the dry run / modes; this module plans
each row against the stored projects and applies the plan. A row is matched on 项目名称 + 所属辖区;
an empty cell never erases a stored value; a status only moves forward (tracker.rules.attraction);
a 落户 row needs 落户日期, 统一社会信用代码 and 企业名称, and links the project to the live company
with that code, or creates it, setting its 招引落户日期 and 招引渠道. Planning reads in a few
batched queries, never one per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AttractionProject, Company, User
from tracker.models.user import MANAGER, OFFICER
from tracker.rules import attraction as rules
from tracker.rules import import_formats as fmt
from tracker.rules import uscc as uscc_rules
from tracker.rules.districts import DISTRICTS, parse_district
from tracker.services.attractions.channels import active_channels, channel_names

PROJECT_FIELDS = ("channel", "source", "industry", "lead_officer_id", "signed_on", "settled_on")
_DISTRICT_CHOICES = "、".join(d.name for d in DISTRICTS)
_CHUNK = 500


@dataclass
class RowPlan:
    """What one row does: new / update / unchanged, the changes, or the errors (field, reason)."""

    row: int
    values: dict[str, Any]
    action: str = "unchanged"
    project: AttractionProject | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)
    company: Company | None = None  # the matched company of a 落户 row (None: to be created)

    def error(self, name: str, reason: str) -> None:
        self.errors.append((name, reason))


def channel_choices() -> dict[str, str]:
    """code → Chinese name of the channels an imported row may name (every channel: a company
    file may carry a retired one)."""
    return channel_names()


def read_channel(text: str, channels: dict[str, str]) -> str:
    """The channel code of a cell (its code or Chinese name); ValueError with the choices."""
    return rules.parse_channel(text, channels)


def _chunks(items: list) -> list[list]:
    return [items[i:i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def _read_row(plan: RowPlan, channels: dict[str, str], officers: dict[str, User], day: dt.date) -> None:
    """Turn the parsed cells into codes and ids, reporting each cell that cannot be used."""
    v = plan.values
    raw_district = v.get("district")
    v["district"] = parse_district(raw_district) if raw_district else None
    if raw_district and v["district"] is None:
        plan.error("district", f"未知的辖区：{raw_district}（可选：{_DISTRICT_CHOICES}）")
    try:
        v["channel"] = rules.parse_channel(v.get("channel"), channels)
    except ValueError as exc:
        v["channel"] = None
        plan.error("channel", str(exc))
    try:
        v["status"] = rules.parse_status(v.get("status"))
    except ValueError as exc:
        v["status"] = None
        plan.error("status", str(exc))
    if v.get("industry") is not None:
        try:
            v["industry"] = fmt.parse_industry(v["industry"])
        except fmt.CellError as exc:
            plan.error("industry", exc.reason)
    email = (v.pop("lead_officer", None) or "").strip().lower()
    v["lead_officer_id"] = None
    if email:
        officer = officers.get(email)
        if officer is None:
            plan.error("lead_officer", f"没有该邮箱的服务专员或辖区管理员账号：{email}")
        elif v["district"] and officer.district != v["district"]:
            plan.error("lead_officer", f"负责人 {email} 不属于该辖区")
        else:
            v["lead_officer_id"] = officer.id
    for name, label in (("signed_on", "签约日期"), ("settled_on", "落户日期")):
        if v.get(name) and v[name] > day:
            plan.error(name, f"{label}不能晚于今天")
    if v.get("signed_on") and v.get("settled_on") and v["settled_on"] < v["signed_on"]:
        plan.error("settled_on", "落户日期不能早于签约日期")
    if v.get("status") == rules.SETTLED:
        if v.get("settled_on") is None:
            plan.error("settled_on", "状态为“落户”时须填写落户日期")
        if not v.get("uscc"):
            plan.error("uscc", "状态为“落户”时须填写统一社会信用代码")
        if not v.get("company_name"):
            plan.error("company_name", "状态为“落户”时须填写企业名称")
    if v.get("uscc"):
        try:
            v["uscc"] = uscc_rules.validate(v["uscc"])
        except uscc_rules.InvalidCreditCode as exc:
            plan.error("uscc", exc.message)


def _lookups(plans: list[RowPlan]) -> tuple[dict, dict, dict]:
    keys = sorted({(p.values["district"], p.values["name"]) for p in plans})
    projects: dict[tuple[str, str], AttractionProject] = {}
    for chunk in _chunks(keys):
        for project in db.session.scalars(select(AttractionProject).where(
                AttractionProject.deleted_at.is_(None),
                tuple_(AttractionProject.district, AttractionProject.name).in_(chunk))):
            projects[(project.district, project.name)] = project
    codes = sorted({p.values["uscc"] for p in plans if p.values.get("uscc")})
    companies: dict[str, Company] = {}
    for chunk in _chunks(codes):
        for company in db.session.scalars(select(Company).where(Company.deleted_at.is_(None), Company.uscc.in_(chunk))):
            companies[company.uscc] = company
    linked: dict[int, str] = {}
    ids = [c.id for c in companies.values()]
    for chunk in _chunks(ids):
        for company_id, name, district in db.session.execute(select(
                AttractionProject.company_id, AttractionProject.name, AttractionProject.district).where(
                AttractionProject.deleted_at.is_(None), AttractionProject.status == rules.SETTLED,
                AttractionProject.company_id.in_(chunk))):
            linked[company_id] = f"{district}\x00{name}"
    return projects, companies, linked


def plan(rows: list[tuple[int, dict[str, Any]]], *, drop_reason: str) -> list[RowPlan]:
    """The plan of every row (spreadsheet row number, parsed cell values by field)."""
    day = today()
    channels = {c.code: c.name for c in active_channels()}
    officers = {u.email.lower(): u for u in db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_((OFFICER, MANAGER))))}
    plans = [RowPlan(number, dict(values)) for number, values in rows]
    for p in plans:
        _read_row(p, channels, officers, day)
    seen: dict[tuple, int] = {}
    seen_codes: dict[str, int] = {}
    for p in plans:
        key = (p.values.get("district"), p.values.get("name"))
        if None not in key:
            if key in seen:
                p.error("name", f"与第 {seen[key]} 行的项目名称和辖区重复")
            else:
                seen[key] = p.row
        code = p.values.get("uscc") if p.values.get("status") == rules.SETTLED else None
        if code:
            if code in seen_codes:
                p.error("uscc", f"与第 {seen_codes[code]} 行落户的是同一企业")
            else:
                seen_codes[code] = p.row
    usable = [p for p in plans if not p.errors]
    projects, companies, linked = _lookups(usable)
    for p in usable:
        _plan_row(p, projects.get((p.values["district"], p.values["name"])), companies, linked, day, drop_reason)
    return plans


def _plan_row(p: RowPlan, project: AttractionProject | None, companies: dict[str, Company], linked: dict[int, str],
              day: dt.date, drop_reason: str) -> None:
    v = p.values
    p.project = project
    status = v.get("status") or (project.status if project else rules.LEAD)
    if status == rules.SETTLED:
        company = companies.get(v["uscc"])
        own = f"{v['district']}\x00{v['name']}"
        if company is not None and company.id in linked and linked[company.id] != own:
            p.error("uscc", "该企业已由另一个招引项目落户")
            return
        if company is not None and company.founded_on and v["settled_on"] < company.founded_on:
            p.error("settled_on", f"落户日期不能早于企业成立日期（{company.founded_on.isoformat()}）")
            return
        p.company = company
    changes: dict[str, Any] = {}
    for name in PROJECT_FIELDS:
        value = v.get(name)
        if value is not None and (project is None or getattr(project, name) != value):
            changes[name] = value
    if project is None:
        p.action = "new"
        p.changes = {**changes, "status": status}
        if status == rules.DROPPED:
            p.changes["dropped_on"], p.changes["drop_reason"] = day, drop_reason
        return
    if status != project.status:
        try:
            if status == rules.SETTLED:
                rules.check_settle(project.status, v["settled_on"], last_step_on=None, today=day)
            else:
                on = (v.get("signed_on") if status == rules.SIGNED else None) or day
                rules.check_move(project.status, status, on, last_step_on=None, today=day, reason=drop_reason)
        except rules.MoveRefused as exc:
            p.error("status", exc.message)
            return
        changes["status"] = status
        if status == rules.TALKING:
            changes["talking_on"] = day
        elif status == rules.SIGNED:
            changes.setdefault("signed_on", project.signed_on or day)
        elif status == rules.DROPPED:
            changes["dropped_on"], changes["drop_reason"] = day, drop_reason
    elif project.status == rules.SETTLED and "settled_on" in changes:
        p.error("settled_on", "项目已落户，落户日期请在项目页面更正")
        return
    p.changes = changes
    p.action = "update" if changes else "unchanged"


def apply(plans: list[RowPlan]) -> None:
    """Write the planned rows (new and update); the caller's unit of work commits them."""
    day = today()
    for p in plans:
        if p.action == "unchanged":
            continue
        v = p.values
        project = p.project
        if project is None:
            dates = [d for d in (v.get("signed_on"), v.get("settled_on")) if d]
            project = AttractionProject(name=v["name"], district=v["district"], lead_on=min(dates + [day]),
                                        channel=p.changes.get("channel") or rules.OTHER, status=rules.LEAD)
            db.session.add(project)
        for name, value in p.changes.items():
            setattr(project, name, value)
        if project.status == rules.SETTLED and project.company_id is None:
            company = p.company
            if company is None:
                company = Company(uscc=v["uscc"], name=v["company_name"], district=project.district,
                                  industry=project.industry, uscc_check_override=False)
                db.session.add(company)
            company.attracted_on, company.attraction_channel = project.settled_on, project.channel
            db.session.flush()
            project.company_id = company.id
