"""Attraction projects (招引项目, plan §1 "周跟进、月调度"): record, edit, move through the status
machine, weekly follow-up notes, settle into a company, soft delete, the list and the weekly view.

Who: an officer sees and works the projects they lead (notes, edits, status moves); a district
manager everything of their district, including settling and deleting; a city administrator
all. Reads go through `scoping.project_scope_clause`. Every change writes one audit row.
Settling links the project to the company with its credit code (matched, else created) and sets
that company's 招引落户日期 and 招引渠道 in the same unit of work, which is what indicator 5 counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import AttractionNote, AttractionProject, Company, User
from tracker.models.user import MANAGER, OFFICER
from tracker.rules import attraction as rules
from tracker.rules import uscc as uscc_rules
from tracker.rules.districts import DISTRICT_CODES, INDUSTRIES
from tracker.services import audit
from tracker.services.attractions.channels import check_channel
from tracker.services.companies.records import create_company
from tracker.services.errors import Conflict, Forbidden, NotFound, ServiceError
from tracker.services.pagination import Page, page_count
from tracker.services.scoping import company_scope_clause, project_scope_clause
from tracker.services.unit_of_work import DEFAULT_CONFLICT, use_case

_MAX_ID = 2**63
_EDITED_MEANWHILE = DEFAULT_CONFLICT  # the app-wide wording (tracker.services.unit_of_work)
MISSING = "招引项目不存在或您无权查看"
FIELDS = ("name", "channel", "source", "district", "lead_officer_id", "lead_on", "expected_capital",
          "industry", "description")
STEP_FIELDS = ("status", "talking_on", "signed_on", "settled_on", "dropped_on", "drop_reason")
NAME_MAX, SOURCE_MAX, TEXT_MAX = 200, 64, 4000
MONEY_MAX = Decimal("99999999999999")


# --- access ------------------------------------------------------------------------------------

def get_project(actor: User, project_id: int) -> AttractionProject:
    """A live project the actor may see, else NotFound (never revealing that it exists)."""
    if not 0 < project_id < _MAX_ID:
        raise NotFound(MISSING)
    project = db.session.scalar(
        select(AttractionProject).where(AttractionProject.id == project_id, project_scope_clause(actor))
    )
    if project is None:
        raise NotFound(MISSING)
    return project


def may_manage(actor: User, project: AttractionProject) -> bool:
    """Settle and delete: administrators, and the managers of the project's district."""
    return actor.is_admin or (actor.is_manager and actor.district == project.district)


def _check_manage(actor: User, project: AttractionProject, what: str) -> None:
    if not may_manage(actor, project):
        raise Forbidden(f"只有辖区管理员或市级管理员可以{what}")


def lead_officer_choices(actor: User, district: str | None = None) -> list[User]:
    """People who may lead a project of `district` (its officers and managers, active)."""
    query = select(User).where(User.active.is_(True), User.role.in_((OFFICER, MANAGER)))
    district = district if actor.is_admin else actor.district
    if district:
        query = query.where(User.district == district)
    if actor.is_officer:
        query = query.where(User.id == actor.id)
    return list(db.session.scalars(query.order_by(User.district, User.role, User.name)))


# --- validation --------------------------------------------------------------------------------

def _text(data: dict, name: str, limit: int, label: str) -> str | None:
    value = data.get(name)
    value = value.strip() if isinstance(value, str) else value
    if value and len(value) > limit:
        raise ServiceError(f"{label}不超过{limit}个字", field=name)
    return value or None


def _money(value: Any, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except Exception:  # noqa: BLE001 — any unreadable amount is the same refusal
        raise ServiceError("请填写金额（万元）", field=name) from None
    if amount < 0 or amount > MONEY_MAX:
        raise ServiceError("金额应在 0 到 99999999999999 万元之间", field=name)
    return amount


def _check_officer(actor: User, officer_id: int | None, district: str) -> int | None:
    if actor.is_officer:
        return actor.id  # an officer records the projects they lead themselves
    if not officer_id:
        return None
    officer = db.session.get(User, officer_id) if 0 < officer_id < _MAX_ID else None
    if officer is None or not officer.active or officer.role not in (OFFICER, MANAGER) or officer.district != district:
        raise ServiceError("负责人须为该辖区的服务专员或辖区管理员", field="lead_officer_id")
    return officer.id


def _clean(actor: User, data: dict, project: AttractionProject | None) -> dict[str, Any]:
    name = _text(data, "name", NAME_MAX, "项目名称")
    if not name:
        raise ServiceError("请填写项目名称", field="name")
    district = data.get("district") or (project.district if project else None)
    if district not in DISTRICT_CODES:
        raise ServiceError("请选择所属辖区", field="district")
    if not actor.is_admin and district != actor.district:
        raise Forbidden("只能登记本辖区的招引项目")
    lead_on = data.get("lead_on") or (project.lead_on if project else today())
    if lead_on > today():
        raise ServiceError("线索日期不能晚于今天", field="lead_on")
    if project is not None:
        later = rules.last_step_date({f: getattr(project, f) for f in ("talking_on", "signed_on", "settled_on", "dropped_on")})
        if later is not None and lead_on > later:
            raise ServiceError(f"线索日期不能晚于后续步骤的日期（{later.isoformat()}）", field="lead_on")
    industry = data.get("industry") or None
    if industry is not None and industry not in INDUSTRIES:
        raise ServiceError("请选择产业领域", field="industry")
    values = {
        "name": name,
        "channel": check_channel(data.get("channel"), current=project.channel if project else None),
        "source": _text(data, "source", SOURCE_MAX, "来源"),
        "district": district,
        "lead_officer_id": _check_officer(actor, data.get("lead_officer_id"), district),
        "lead_on": lead_on,
        "expected_capital": _money(data.get("expected_capital"), "expected_capital"),
        "industry": industry,
        "description": _text(data, "description", TEXT_MAX, "项目情况"),
    }
    clash = db.session.scalar(select(AttractionProject.id).where(
        AttractionProject.deleted_at.is_(None), AttractionProject.district == district,
        AttractionProject.name == name, AttractionProject.id != (project.id if project else 0)))
    if clash:
        raise ServiceError("本辖区已有同名招引项目", field="name")
    return values


def _check_version(project: AttractionProject, version: int | None) -> None:
    if version is not None and project.version != version:
        raise Conflict(_EDITED_MEANWHILE)


# --- use cases ---------------------------------------------------------------------------------

@use_case(conflict=_EDITED_MEANWHILE)
def create_project(actor: User, data: dict) -> AttractionProject:
    """Record a new project as a lead (线索)."""
    values = _clean(actor, data, None)
    project = AttractionProject(status=rules.LEAD, **values)
    db.session.add(project)
    audit.record(actor.id, "attraction.create", project, after=audit.snapshot(project, FIELDS + ("status",)))
    return project


@use_case(conflict=_EDITED_MEANWHILE)
def update_project(actor: User, project: AttractionProject, data: dict, *, version: int | None) -> AttractionProject:
    """Save edits of a project's record (not its status: that is `move_project` / `settle_project`)."""
    _check_version(project, version)
    if actor.is_officer and data.get("district", project.district) != project.district:
        raise Forbidden("服务专员不能修改项目所属辖区")
    values = _clean(actor, {**data, "lead_officer_id": data.get("lead_officer_id", project.lead_officer_id)}, project)
    if actor.is_officer:
        values["lead_officer_id"] = project.lead_officer_id
    before = audit.snapshot(project, FIELDS)
    for name, value in values.items():
        setattr(project, name, value)
    after = audit.snapshot(project, FIELDS)
    changed = [k for k in FIELDS if before[k] != after[k]]
    if changed:
        audit.record(actor.id, "attraction.update", project,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return project


def _step_dates(project: AttractionProject) -> dict[str, dt.date | None]:
    return {f: getattr(project, f) for f in rules.STEP_DATE_FIELDS.values()}


@use_case(conflict=_EDITED_MEANWHILE)
def move_project(actor: User, project: AttractionProject, wanted: str, on: dt.date | None, *,
                 reason: str | None = None, version: int | None = None) -> AttractionProject:
    """Move a project to 在谈, 签约 or 终止 (with a reason) on a date; refusals say why in Chinese."""
    _check_version(project, version)
    try:
        rules.check_move(project.status, wanted, on, last_step_on=rules.last_step_date(_step_dates(project)),
                         today=today(), reason=reason)
    except rules.MoveRefused as exc:
        raise ServiceError(exc.message, field=exc.field) from exc
    before = audit.snapshot(project, STEP_FIELDS)
    project.status = wanted
    setattr(project, rules.STEP_DATE_FIELDS[wanted], on)
    if wanted == rules.DROPPED:
        project.drop_reason = reason.strip()
    after = audit.snapshot(project, STEP_FIELDS)
    changed = [k for k in STEP_FIELDS if before[k] != after[k]]
    audit.record(actor.id, "attraction.move", project,
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return project


def _settle_company(actor: User | None, project: AttractionProject, code: str, name: str,
                    on: dt.date) -> tuple[Company, dict, dict]:
    """The company the project settles into: matched on its credit code, else created. Returns
    the company and its attraction fields before and after (they change in this unit of work)."""
    company = db.session.scalar(select(Company).where(Company.uscc == code, Company.deleted_at.is_(None)))
    if company is None:
        company = create_company(actor, {
            "uscc": code, "name": name, "district": project.district, "industry": project.industry,
            "attracted_on": on, "attraction_channel": project.channel,
        })
        return company, {"attracted_on": None, "attraction_channel": None}, \
            {"attracted_on": on, "attraction_channel": project.channel}
    if actor is not None and db.session.scalar(
            select(Company.id).where(Company.id == company.id, company_scope_clause(actor))) is None:
        raise Forbidden("该统一社会信用代码的企业已在其他辖区登记，请联系市级管理员办理落户")
    other = db.session.scalar(select(AttractionProject.name).where(
        AttractionProject.company_id == company.id, AttractionProject.deleted_at.is_(None),
        AttractionProject.status == rules.SETTLED, AttractionProject.id != (project.id or 0)))
    if other:
        raise ServiceError(f"该企业已由招引项目“{other}”落户", field="uscc")
    if company.founded_on and on < company.founded_on:
        raise ServiceError(f"落户日期不能早于企业成立日期（{company.founded_on.isoformat()}）", field="settled_on")
    before = {"attracted_on": company.attracted_on, "attraction_channel": company.attraction_channel}
    company.attracted_on, company.attraction_channel = on, project.channel
    return company, before, {"attracted_on": on, "attraction_channel": project.channel}


def normalise_code(raw: str | None, field: str = "uscc") -> str:
    """A credit code checked by tracker.rules.uscc, or ServiceError with its Chinese reason."""
    try:
        return uscc_rules.validate(raw or "")
    except uscc_rules.InvalidCreditCode as exc:
        raise ServiceError(exc.message, field=field) from exc


@use_case(conflict=_EDITED_MEANWHILE)
def settle_project(actor: User, project: AttractionProject, data: dict, *, version: int | None = None) -> Company:
    """落户: link the project to its company (matched by credit code, else created in the project's
    district) and set the company's attraction date and channel, all in one unit of work."""
    _check_version(project, version)
    _check_manage(actor, project, "确认项目落户")
    on = data.get("settled_on")
    try:
        rules.check_settle(project.status, on, last_step_on=rules.last_step_date(_step_dates(project)), today=today())
    except rules.MoveRefused as exc:
        raise ServiceError(exc.message, field=exc.field) from exc
    code = normalise_code(data.get("uscc"))
    name = (data.get("company_name") or "").strip()
    if not name:
        raise ServiceError("请填写企业名称", field="company_name")
    capital = _money(data.get("actual_capital"), "actual_capital")
    company, company_before, company_after = _settle_company(actor, project, code, name, on)
    before = audit.snapshot(project, STEP_FIELDS + ("company_id", "actual_capital"))
    project.status, project.settled_on, project.company_id = rules.SETTLED, on, company.id
    if capital is not None:
        project.actual_capital = capital
    after = audit.snapshot(project, STEP_FIELDS + ("company_id", "actual_capital"))
    changed = [k for k in before if before[k] != after[k]]
    audit.record(
        actor.id, "attraction.settle", project, company_id=company.id,
        before={**{k: before[k] for k in changed}, **company_before},
        after={**{k: after[k] for k in changed}, **company_after},
    )
    return company


@use_case
def add_note(actor: User, project: AttractionProject, data: dict) -> AttractionNote:
    """A weekly follow-up note (周跟进): date, what happened, the next step."""
    noted_on = data.get("noted_on") or today()
    if noted_on > today():
        raise ServiceError("跟进日期不能晚于今天", field="noted_on")
    if noted_on < project.lead_on:
        raise ServiceError(f"跟进日期不能早于线索日期（{project.lead_on.isoformat()}）", field="noted_on")
    content = _text(data, "content", TEXT_MAX, "跟进情况")
    if not content:
        raise ServiceError("请填写跟进情况", field="content")
    note = AttractionNote(project_id=project.id, noted_on=noted_on, author_id=actor.id, content=content,
                          next_step=_text(data, "next_step", TEXT_MAX, "下一步计划"))
    db.session.add(note)
    audit.record(actor.id, "attraction.note", note, entity_type="attraction_project", entity_id=project.id,
                 after={"noted_on": noted_on, "content": content, "next_step": note.next_step})
    return note


@use_case
def delete_project(actor: User, project: AttractionProject, reason: str | None = None) -> None:
    """Soft delete (managers of the district, administrators): hidden everywhere, history kept.
    A settled project's company keeps its attraction date and channel."""
    _check_manage(actor, project, "删除招引项目")
    project.deleted_at = now()
    audit.record(actor.id, "attraction.delete", project, after={"name": project.name, "reason": (reason or "")[:500]})


# --- lists -------------------------------------------------------------------------------------

@dataclass
class ProjectFilters:
    """List filters: channel, status, district, only the projects without a note this week, name."""

    channel: str | None = None
    status: str | None = None
    district: str | None = None
    stalled: bool = False
    q: str | None = None


@dataclass
class ProjectRow:
    """A project in a list, with its latest note date and whether it needs a follow-up this week."""

    project: AttractionProject
    last_note_on: dt.date | None
    stalled: bool


def _last_note():
    return (select(AttractionNote.project_id, func.max(AttractionNote.noted_on).label("last_on"))
            .group_by(AttractionNote.project_id).subquery())


def list_query(actor: User, filters: ProjectFilters, day: dt.date):
    """The SELECT (project, last note date) of the projects `actor` may see, filtered."""
    last = _last_note()
    query = (select(AttractionProject, last.c.last_on)
             .outerjoin(last, last.c.project_id == AttractionProject.id)
             .where(project_scope_clause(actor)))
    if filters.channel:
        query = query.where(AttractionProject.channel == filters.channel)
    if filters.status:
        query = query.where(AttractionProject.status == filters.status)
    if filters.district:
        query = query.where(AttractionProject.district == filters.district)
    if filters.q:
        query = query.where(AttractionProject.name.contains(filters.q.strip(), autoescape=True))
    if filters.stalled:
        query = query.where(AttractionProject.status.in_(rules.OPEN_STATUSES),
                            or_(last.c.last_on.is_(None), last.c.last_on < rules.week_start(day)))
    return query


def list_projects(actor: User, filters: ProjectFilters, page: int, per_page: int, day: dt.date | None = None) -> Page:
    """One page of ProjectRow, newest lead first."""
    day = day or today()
    query = list_query(actor, filters, day)
    total = int(db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    page = min(max(1, page), page_count(total, per_page))
    rows = db.session.execute(
        query.order_by(AttractionProject.lead_on.desc(), AttractionProject.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(rows=[ProjectRow(p, last_on, rules.needs_follow_up(p.status, last_on, day)) for p, last_on in rows],
                total=total, page=page, per_page=per_page)


@dataclass
class WeeklyDistrict:
    """One district's open projects this week, flagged where no note was written."""

    district: str
    rows: list[ProjectRow] = field(default_factory=list)
    notes_this_week: int = 0

    @property
    def flagged(self) -> int:
        """Open projects without a follow-up note this ISO week."""
        return sum(1 for r in self.rows if r.stalled)


@dataclass
class WeeklyView:
    """周跟进: open projects by district for the ISO week of a day."""

    day: dt.date
    week_start: dt.date
    week_end: dt.date
    districts: list[WeeklyDistrict]


def weekly_view(actor: User, day: dt.date, district: str | None = None) -> WeeklyView:
    """Every open project the actor may see, by district, flagged where no note was written in
    `day`'s ISO week (Monday to Sunday); the week's notes are counted per district."""
    start = rules.week_start(day)
    end = start + dt.timedelta(days=6)
    query = list_query(actor, ProjectFilters(district=district), day).where(
        AttractionProject.status.in_(rules.OPEN_STATUSES))
    rows = db.session.execute(query.order_by(AttractionProject.district, AttractionProject.name)).all()
    notes = dict(db.session.execute(
        select(AttractionProject.district, func.count(AttractionNote.id))
        .join(AttractionProject, AttractionProject.id == AttractionNote.project_id)
        .where(project_scope_clause(actor), AttractionNote.noted_on.between(start, end))
        .group_by(AttractionProject.district)).all())
    by_district: dict[str, WeeklyDistrict] = {}
    for project, last_on in rows:
        entry = by_district.setdefault(project.district, WeeklyDistrict(project.district))
        entry.rows.append(ProjectRow(project, last_on, rules.needs_follow_up(project.status, last_on, day)))
    for code in DISTRICT_CODES:
        if code in by_district:
            by_district[code].notes_this_week = int(notes.get(code, 0))
            by_district[code].rows.sort(key=lambda r: (not r.stalled, r.project.name))
    ordered = [by_district[c] for c in DISTRICT_CODES if c in by_district]
    return WeeklyView(day, start, end, ordered)


def notes_of(project: AttractionProject) -> list[AttractionNote]:
    """The project's follow-up notes, newest first."""
    return list(db.session.scalars(
        select(AttractionNote).where(AttractionNote.project_id == project.id)
        .order_by(AttractionNote.noted_on.desc(), AttractionNote.id.desc())))


def projects_of_company(actor: User, company_id: int) -> list[AttractionProject]:
    """The live projects linked to a company that the actor may see (the company page's card)."""
    return list(db.session.scalars(select(AttractionProject).where(
        AttractionProject.company_id == company_id, project_scope_clause(actor))
        .order_by(AttractionProject.id.desc())))
