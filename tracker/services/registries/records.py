"""Registries behind indicators 6–12 (人才载体平台登记): talents and teams, carriers with their level
history, innovation platforms and 规上 science & technology service institutions.

Scoping: every record carries a district. Administrators see and edit all; a district manager
sees and edits the records of their own district only; service officers have no access (the
registries are bureau bookkeeping, not field work). Every change writes one audit row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import (
    Carrier, CarrierLevel, Company, Platform, ServiceInstitution, TalentAward, User,
)
from tracker.models.registry import CARRIER_KINDS, LEVEL_RANK, LEVELS, TALENT_KINDS
from tracker.rules import text as text_rules
from tracker.rules import uscc as uscc_rules
from tracker.rules.districts import DISTRICT_CODES
from tracker.services import audit
from tracker.services.errors import Forbidden, NotFound, ServiceError
from tracker.services.pagination import Page
from tracker.services.scoping import district_scope_clause, scope_companies
from tracker.services.unit_of_work import use_case

PLATFORM_LEVELS = {code: LEVELS[code] for code in ("province", "national")}
EARLIEST = dt.date(2000, 1, 1)
_MAX_ID = 2**63  # ids beyond a BIGINT cannot exist; SQLite would raise OverflowError on them
_MAX_PAGE = 100_000

TALENT_FIELDS = ("kind", "name", "company_id", "district", "recognized_on", "batch", "source")
CARRIER_FIELDS = ("name", "kind", "district", "operator")
LEVEL_FIELDS = ("carrier_id", "level", "recognized_on", "source")
PLATFORM_FIELDS = ("name", "kind", "level", "district", "company_id", "recognized_on", "source")
INSTITUTION_FIELDS = ("name", "uscc", "district", "year", "business", "source")


@dataclass(frozen=True)
class Registry:
    """One registry: its model, Chinese name, audited fields and what its kind filter means."""

    code: str
    name: str
    model: Any
    fields: tuple[str, ...]
    kinds: dict[str, str]


REGISTRIES: dict[str, Registry] = {
    "talents": Registry("talents", "人才与团队", TalentAward, TALENT_FIELDS, TALENT_KINDS),
    "carriers": Registry("carriers", "众创空间与孵化器", Carrier, CARRIER_FIELDS, CARRIER_KINDS),
    "platforms": Registry("platforms", "创新平台", Platform, PLATFORM_FIELDS, PLATFORM_LEVELS),
    "institutions": Registry("institutions", "规上科技服务业机构", ServiceInstitution, INSTITUTION_FIELDS, {}),
}


@dataclass
class RegistryFilters:
    """List filters: year of recognition (or listing), district, kind (platforms: level), name."""

    year: int | None = None
    district: str | None = None
    kind: str | None = None
    q: str | None = None


# --- access ------------------------------------------------------------------------------------

def check_may_view(actor: User) -> None:
    """Administrators and district managers only."""
    if not (actor.is_admin or actor.is_manager):
        raise Forbidden("服务专员无权查看人才、载体和平台登记，请联系辖区管理员")


def check_may_edit(actor: User, district: str | None) -> None:
    """Administrators edit any district; a manager only records of their own district."""
    check_may_view(actor)
    if actor.is_manager and district != actor.district:
        raise Forbidden("只能维护本辖区的记录")


def get_record(actor: User, registry: str, record_id: int):
    """A record the actor may see, else NotFound (never reveal that another district's exists)."""
    check_may_view(actor)
    if not 0 < record_id < _MAX_ID:
        raise NotFound("记录不存在或您无权查看")
    model = REGISTRIES[registry].model
    record = db.session.scalar(
        select(model).where(model.id == record_id, district_scope_clause(actor, model.district))
    )
    if record is None:
        raise NotFound("记录不存在或您无权查看")
    return record


def get_carrier_level(actor: User, level_id: int) -> CarrierLevel:
    """A carrier level row whose carrier the actor may see."""
    check_may_view(actor)
    if not 0 < level_id < _MAX_ID:
        raise NotFound("记录不存在或您无权查看")
    level = db.session.scalar(
        select(CarrierLevel).join(Carrier, Carrier.id == CarrierLevel.carrier_id)
        .where(CarrierLevel.id == level_id, district_scope_clause(actor, Carrier.district))
    )
    if level is None:
        raise NotFound("记录不存在或您无权查看")
    return level


# --- listing -----------------------------------------------------------------------------------

def _year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def list_query(actor: User, registry: str, filters: RegistryFilters):
    """The SELECT of one registry's records that `actor` may see, filtered and ordered newest first."""
    check_may_view(actor)
    model = REGISTRIES[registry].model
    query = select(model).where(district_scope_clause(actor, model.district))
    if filters.district:
        query = query.where(model.district == filters.district)
    if filters.q:
        query = query.where(model.name.contains(filters.q.strip(), autoescape=True))
    if registry == "talents":
        if filters.kind:
            query = query.where(TalentAward.kind == filters.kind)
        if filters.year:
            query = query.where(TalentAward.recognized_on.between(*_year_range(filters.year)))
        return query.order_by(TalentAward.recognized_on.desc(), TalentAward.id.desc())
    if registry == "carriers":
        if filters.kind:
            query = query.where(Carrier.kind == filters.kind)
        if filters.year:
            query = query.where(exists().where(and_(
                CarrierLevel.carrier_id == Carrier.id, CarrierLevel.recognized_on.between(*_year_range(filters.year)),
            )))
        return query.order_by(Carrier.name, Carrier.id)
    if registry == "platforms":
        if filters.kind:
            query = query.where(Platform.level == filters.kind)
        if filters.year:
            query = query.where(Platform.recognized_on.between(*_year_range(filters.year)))
        return query.order_by(Platform.recognized_on.desc(), Platform.id.desc())
    if filters.year:
        query = query.where(ServiceInstitution.year == filters.year)
    return query.order_by(ServiceInstitution.year.desc(), ServiceInstitution.name, ServiceInstitution.id)


def list_records(actor: User, registry: str, filters: RegistryFilters, page: int, per_page: int) -> Page:
    """One page of a registry's records for `actor` (a page past the end is empty)."""
    query = list_query(actor, registry, filters)
    page = min(max(page, 1), _MAX_PAGE)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def carrier_levels(carrier_ids: list[int]) -> dict[int, list[CarrierLevel]]:
    """Level histories of several carriers in one query (for a list page)."""
    result: dict[int, list[CarrierLevel]] = {cid: [] for cid in carrier_ids}
    if carrier_ids:
        for level in db.session.scalars(
            select(CarrierLevel).where(CarrierLevel.carrier_id.in_(carrier_ids)).order_by(CarrierLevel.recognized_on)
        ):
            result[level.carrier_id].append(level)
    return result


def companies_by_id(company_ids: list[int]) -> dict[int, Company]:
    """Linked companies of a page of records, live ones only, in one query."""
    ids = sorted({i for i in company_ids if i})
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Company).where(Company.id.in_(ids), Company.deleted_at.is_(None)))}


# --- checks ------------------------------------------------------------------------------------

def _text(data: dict, name: str, label: str, *, required: bool = False, max_length: int = 128) -> str | None:
    raw = data.get(name)
    value = "" if raw is None else str(raw).strip()
    reason = text_rules.problem(value)  # one line: no line breaks, bidi controls or invisible-only text
    if reason is not None:
        raise ServiceError(f"{label}{reason}", field=name)
    if not value:
        if required:
            raise ServiceError(f"请填写{label}", field=name)
        return None
    if len(value) > max_length:
        raise ServiceError(f"{label}不超过{max_length}个字符", field=name)
    return value


def _district(actor: User, data: dict) -> str:
    district = data.get("district")
    if district not in DISTRICT_CODES:
        raise ServiceError("请选择所属辖区", field="district")
    check_may_edit(actor, district)
    return district


def _choice(data: dict, name: str, choices: dict[str, str], label: str) -> str:
    value = data.get(name)
    if value not in choices:
        raise ServiceError(f"请选择{label}", field=name)
    return value


def _recognition_date(data: dict, name: str = "recognized_on") -> dt.date:
    day = data.get(name)
    if not isinstance(day, dt.date):
        raise ServiceError("请填写认定日期（YYYY-MM-DD）", field=name)
    if day > today():
        raise ServiceError("认定日期不能晚于今天", field=name)
    if day < EARLIEST:
        raise ServiceError("认定日期不能早于 2000 年", field=name)
    return day


def _company_id(actor: User, data: dict) -> int | None:
    raw = (data.get("company_uscc") or "").strip()
    if not raw:
        return None
    code = uscc_rules.normalize(raw)
    company_id = db.session.scalar(scope_companies(actor, select(Company.id)).where(Company.uscc == code))
    if company_id is None:
        raise ServiceError("未找到该统一社会信用代码的企业（或该企业不在您的辖区）", field="company_uscc")
    return company_id


def _save(actor: User, record: Any, values: dict[str, Any], fields: tuple[str, ...], action: str) -> Any:
    """Apply values and write the audit row with what changed (the caller's unit of work commits)."""
    is_new = record.id is None
    before = None if is_new else audit.snapshot(record, fields)
    for name, value in values.items():
        setattr(record, name, value)
    after = audit.snapshot(record, fields)
    if is_new:
        db.session.add(record)
        audit.record(actor.id, f"{action}.create", record, after=after)
    else:
        changed = [k for k in fields if before[k] != after[k]]
        if not changed:
            return record
        audit.record(actor.id, f"{action}.update", record,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return record


# --- talents and teams -------------------------------------------------------------------------

@use_case
def save_talent(actor: User, data: dict, record: TalentAward | None = None) -> TalentAward:
    """Create or edit a talent/team award (indicators 6–8)."""
    if record is not None:
        check_may_edit(actor, record.district)
    values = {
        "kind": _choice(data, "kind", TALENT_KINDS, "人才类别"),
        "name": _text(data, "name", "姓名或团队名称", required=True),
        "district": _district(actor, data),
        "recognized_on": _recognition_date(data),
        "company_id": _company_id(actor, data),
        "batch": _text(data, "batch", "批次", max_length=64),
        "source": _text(data, "source", "来源"),
    }
    return _save(actor, record or TalentAward(), values, TALENT_FIELDS, "registry.talent")


# --- carriers ----------------------------------------------------------------------------------

def _check_level_order(levels: list[CarrierLevel], level: str, day: dt.date) -> None:
    """A carrier climbs city → province → national: a higher level is never dated before a lower one."""
    rank = LEVEL_RANK[level]
    for other in levels:
        if other.level == level:
            raise ServiceError(f"该载体已有{LEVELS[level]}认定记录", field="level")
        other_rank = LEVEL_RANK.get(other.level, 0)
        if other_rank < rank and other.recognized_on > day:
            raise ServiceError(
                f"{LEVELS[level]}认定日期不能早于{LEVELS[other.level]}认定日期（{other.recognized_on.isoformat()}）",
                field="recognized_on",
            )
        if other_rank > rank and other.recognized_on < day:
            raise ServiceError(
                f"{LEVELS[level]}认定日期不能晚于{LEVELS[other.level]}认定日期（{other.recognized_on.isoformat()}）",
                field="recognized_on",
            )


@use_case
def create_carrier(actor: User, data: dict) -> Carrier:
    """Register a maker space or incubator together with its first recognition level."""
    values = {
        "name": _text(data, "name", "载体名称", required=True),
        "kind": _choice(data, "kind", CARRIER_KINDS, "载体类型"),
        "district": _district(actor, data),
        "operator": _text(data, "operator", "运营主体"),
    }
    level = _choice(data, "level", LEVELS, "认定级别")
    day = _recognition_date(data)
    carrier = Carrier(**values)
    db.session.add(carrier)
    audit.record(actor.id, "registry.carrier.create", carrier, after=audit.snapshot(carrier, CARRIER_FIELDS))
    first = CarrierLevel(carrier_id=carrier.id, level=level, recognized_on=day,
                         source=_text(data, "level_source", "来源"))
    db.session.add(first)
    audit.record(actor.id, "registry.carrier_level.create", first, after=audit.snapshot(first, LEVEL_FIELDS))
    return carrier


@use_case
def update_carrier(actor: User, carrier: Carrier, data: dict) -> Carrier:
    """Edit a carrier's name, kind, district or operator (its levels are edited one by one)."""
    check_may_edit(actor, carrier.district)
    values = {
        "name": _text(data, "name", "载体名称", required=True),
        "kind": _choice(data, "kind", CARRIER_KINDS, "载体类型"),
        "district": _district(actor, data),
        "operator": _text(data, "operator", "运营主体"),
    }
    return _save(actor, carrier, values, CARRIER_FIELDS, "registry.carrier")


@use_case
def add_carrier_level(actor: User, carrier: Carrier, data: dict) -> CarrierLevel:
    """Record a recognition at a further level (e.g. the upgrade from city to province)."""
    check_may_edit(actor, carrier.district)
    level = _choice(data, "level", LEVELS, "认定级别")
    day = _recognition_date(data)
    existing = list(db.session.scalars(select(CarrierLevel).where(CarrierLevel.carrier_id == carrier.id)))
    _check_level_order(existing, level, day)
    row = CarrierLevel(carrier_id=carrier.id, level=level, recognized_on=day, source=_text(data, "source", "来源"))
    db.session.add(row)
    audit.record(actor.id, "registry.carrier_level.create", row, after=audit.snapshot(row, LEVEL_FIELDS))
    return row


@use_case
def delete_carrier_level(actor: User, level: CarrierLevel) -> None:
    """Remove a level entered by mistake; a carrier keeps at least one level."""
    carrier = db.session.get(Carrier, level.carrier_id)
    check_may_edit(actor, carrier.district)
    remaining = db.session.scalar(
        select(CarrierLevel.id).where(CarrierLevel.carrier_id == carrier.id, CarrierLevel.id != level.id).limit(1)
    )
    if remaining is None:
        raise ServiceError("载体至少保留一条认定记录；如需删除整个载体，请使用“删除载体”")
    audit.record(actor.id, "registry.carrier_level.delete", level, before=audit.snapshot(level, LEVEL_FIELDS))
    db.session.delete(level)


# --- platforms ---------------------------------------------------------------------------------

@use_case
def save_platform(actor: User, data: dict, record: Platform | None = None) -> Platform:
    """Create or edit a provincial-or-higher innovation platform (indicator 11)."""
    if record is not None:
        check_may_edit(actor, record.district)
    values = {
        "name": _text(data, "name", "平台名称", required=True),
        "kind": _text(data, "kind", "平台类型", max_length=64),
        "level": _choice(data, "level", PLATFORM_LEVELS, "平台级别（省级或国家级）"),
        "district": _district(actor, data),
        "recognized_on": _recognition_date(data),
        "company_id": _company_id(actor, data),
        "source": _text(data, "source", "来源"),
    }
    return _save(actor, record or Platform(), values, PLATFORM_FIELDS, "registry.platform")


# --- service institutions ----------------------------------------------------------------------

@use_case
def save_institution(actor: User, data: dict, record: ServiceInstitution | None = None) -> ServiceInstitution:
    """Create or edit a 规上 S&T service institution listed for a year (indicator 12)."""
    if record is not None:
        check_may_edit(actor, record.district)
    try:
        code = uscc_rules.validate(data.get("uscc"))
    except uscc_rules.InvalidCreditCode as exc:
        raise ServiceError(exc.message, field="uscc") from exc
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= today().year + 1:
        raise ServiceError(f"统计年度应在 2000—{today().year + 1} 之间", field="year")
    clash = db.session.scalar(select(ServiceInstitution.id).where(
        ServiceInstitution.uscc == code, ServiceInstitution.year == year,
        ServiceInstitution.id != (record.id if record is not None else 0),
    ))
    if clash:
        raise ServiceError(f"{year} 年已登记统一社会信用代码为 {code} 的机构", field="uscc")
    values = {
        "name": _text(data, "name", "机构名称", required=True, max_length=200),
        "uscc": code,
        "district": _district(actor, data),
        "year": year,
        "business": _text(data, "business", "服务领域", max_length=64),
        "source": _text(data, "source", "来源", max_length=500),
    }
    return _save(actor, record or ServiceInstitution(), values, INSTITUTION_FIELDS, "registry.institution")


# --- deleting ----------------------------------------------------------------------------------

_AUDIT_NAMES = {"talents": "talent", "carriers": "carrier", "platforms": "platform", "institutions": "institution"}


@use_case
def delete_record(actor: User, registry: str, record: Any) -> None:
    """Delete a record (a carrier with its level history); the audit row keeps what it was."""
    check_may_edit(actor, record.district)
    spec = REGISTRIES[registry]
    if registry == "carriers":
        for level in db.session.scalars(select(CarrierLevel).where(CarrierLevel.carrier_id == record.id)):
            audit.record(actor.id, "registry.carrier_level.delete", level, before=audit.snapshot(level, LEVEL_FIELDS))
            db.session.delete(level)
    audit.record(actor.id, f"registry.{_AUDIT_NAMES[registry]}.delete", record, before=audit.snapshot(record, spec.fields))
    db.session.delete(record)


def counts_by_registry(actor: User) -> dict[str, int]:
    """How many records of each registry the actor may see (for the overview page)."""
    check_may_view(actor)
    return {
        code: db.session.scalar(
            select(func.count(spec.model.id)).where(district_scope_clause(actor, spec.model.district))
        ) or 0
        for code, spec in REGISTRIES.items()
    }
