"""The one vocabulary of the audit log (操作日志): a field's Chinese label and its value's name.

Labels come from the dicts in tracker.services.auditlog.events (ACTION_NAMES, ENTITY_NAMES,
FIELD_NAMES, _VALUE_NAMES: features add theirs there); value names come from the modules that
define them (tracker.rules.follow_ups for follow-up statuses and categories, tracker.rules.cultivation,
tracker.rules.ladder, tracker.rules.districts, the roles, visit kinds, registry kinds and levels).
A field means something different on different records (`kind` is a visit's 走访方式 but an old
designation row's 资质类型), so labels and names can be given per (entity type, field).

Ids become names and links (`Ref`): a `Resolver` collects every id of a page of events and looks
each kind of record up in one query, so a page costs a fixed number of queries, never one per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select

from tracker.clock import local
from tracker.extensions import db
from tracker.models import Company, CultivationTrack, Department, FollowUp, User, Visit
from tracker.models.registry import CARRIER_KINDS, LEVELS, TALENT_KINDS
from tracker.models.user import ROLE_NAMES
from tracker.models.visit import VISIT_KINDS
from tracker.rules import attraction as attraction_rules
from tracker.rules import follow_ups as fu_rules
from tracker.rules.figures import FIELD_NAMES as FIGURE_FIELD_NAMES
from tracker.rules.ladder import STAGE_NAMES

# Fields whose label or value names depend on the record they belong to.
ENTITY_FIELD_NAMES: dict[tuple[str, str], str] = {
    ("visit", "kind"): "走访方式", ("visit", "officer_id"): "服务专员",
    ("follow_up", "status"): "办理状态", ("follow_up", "owner_id"): "承办人",
    ("follow_up", "description"): "诉求内容", ("follow_up", "due_on"): "办理期限",
    ("talent_award", "kind"): "人才类别", ("carrier", "kind"): "载体类型", ("platform", "kind"): "平台类型",
}
ENTITY_VALUE_NAMES: dict[tuple[str, str], dict[str, str]] = {
    ("visit", "kind"): VISIT_KINDS,
    ("follow_up", "status"): fu_rules.STATUS_NAMES,
    ("follow_up", "category"): fu_rules.CATEGORY_NAMES,
    ("follow_up", "satisfaction"): fu_rules.SATISFACTION_NAMES,
    ("follow_up", "callback_result"): fu_rules.SATISFACTION_NAMES,
    ("follow_up_event", "kind"): fu_rules.EVENT_NAMES,
    ("talent_award", "kind"): TALENT_KINDS,
    ("carrier", "kind"): CARRIER_KINDS,
    ("designation", "kind"): STAGE_NAMES,
    ("attraction_project", "status"): attraction_rules.STATUS_NAMES,
}
# Value names of fields that mean the same on every record (besides events._VALUE_NAMES).
COMMON_VALUE_NAMES: dict[str, dict[str, str]] = {
    "role": ROLE_NAMES, "level": LEVELS, "satisfaction": fu_rules.SATISFACTION_NAMES,
    "callback_result": fu_rules.SATISFACTION_NAMES, "category": fu_rules.CATEGORY_NAMES,
}

# Fields that hold the id of another record: which kind of record.
ID_FIELDS: dict[str, str] = {
    "owner_id": "user", "officer_id": "user", "officer_ids": "user", "actor_id": "user", "by_id": "user",
    "updated_by_id": "user", "recorded_by_id": "user", "user_id": "user",
    "responsible_id": "user", "company_id": "company", "visit_id": "visit", "follow_up_id": "follow_up",
    "follow_up_ids": "follow_up",
    "track_id": "track", "tracks": "track", "reopened_from": "track", "reopened_from_id": "track",
    "department_id": "department", "referred_department_id": "department",
}
# The record an event is about, by its entity type.
ENTITY_KINDS: dict[str, str] = {
    "user": "user", "company": "company", "visit": "visit", "follow_up": "follow_up",
    "cultivation_track": "track", "department": "department",
}
_LINKS: dict[str, tuple[str, str]] = {  # kind -> (endpoint, its id argument)
    "company": ("companies.show", "company_id"), "visit": ("visits.show", "visit_id"),
    "follow_up": ("visits.follow_up", "follow_up_id"), "track": ("cultivation.track", "track_id"),
}
_KIND_NAMES = {"user": "用户", "company": "企业", "visit": "走访", "follow_up": "诉求", "track": "培育记录",
               "department": "承办单位"}


@dataclass(frozen=True)
class Ref:
    """A record shown by its name, with the page to open it (endpoint and arguments), if any."""

    text: str
    endpoint: str | None = None
    args: dict = field(default_factory=dict, hash=False, compare=False)


def _short(text: str | None, size: int = 24) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"


class Resolver:
    """Names for the ids found in a page of audit events, each kind looked up in one query."""

    def __init__(self, ids: dict[str, set[int]]):
        self.names: dict[str, dict[int, str]] = {}
        loaders = {
            "user": lambda wanted: select(User.id, User.name).where(User.id.in_(wanted)),
            "company": lambda wanted: select(Company.id, Company.name).where(Company.id.in_(wanted)),
            "department": lambda wanted: select(Department.id, Department.name).where(Department.id.in_(wanted)),
        }
        for kind, wanted in ids.items():
            if not wanted:
                continue
            if kind in loaders:
                self.names[kind] = dict(db.session.execute(loaders[kind](sorted(wanted))).all())
            elif kind == "visit":
                rows = db.session.execute(select(Visit.id, Visit.visited_on).where(Visit.id.in_(sorted(wanted))))
                self.names[kind] = {i: f"{on.isoformat()} 走访" for i, on in rows}
            elif kind == "follow_up":
                rows = db.session.execute(
                    select(FollowUp.id, FollowUp.description).where(FollowUp.id.in_(sorted(wanted))))
                self.names[kind] = {i: f"诉求“{_short(text)}”" for i, text in rows}
            elif kind == "track":
                rows = db.session.execute(select(CultivationTrack.id, CultivationTrack.year, CultivationTrack.target_rung)
                                          .where(CultivationTrack.id.in_(sorted(wanted))))
                self.names[kind] = {i: f"{year}年{STAGE_NAMES.get(rung, '')}培育" for i, year, rung in rows}

    @classmethod
    def for_events(cls, events: Iterable[Any]) -> "Resolver":
        """Collect every id the events mention (their subject and their before/after values)."""
        ids: dict[str, set[int]] = {}
        for event in events:
            kind = ENTITY_KINDS.get(event.entity_type)
            if kind and isinstance(event.entity_id, int):
                ids.setdefault(kind, set()).add(event.entity_id)
            for values in (event.before or {}, event.after or {}):
                for key, value in values.items():
                    kind = ID_FIELDS.get(key)
                    if kind is None:
                        continue
                    for one in value if isinstance(value, list) else [value]:
                        if isinstance(one, int) and not isinstance(one, bool):
                            ids.setdefault(kind, set()).add(one)
        return cls(ids)

    def ref(self, kind: str, record_id: int) -> Ref:
        """The record's name and link; a record gone from the database is named by its kind."""
        name = self.names.get(kind, {}).get(record_id)
        endpoint = _LINKS.get(kind)
        if name is None:
            return Ref(f"已删除的{_KIND_NAMES.get(kind, '记录')}")
        if endpoint is None:
            return Ref(name)
        return Ref(name, endpoint[0], {endpoint[1]: record_id})


def field_label(entity_type: str, key: str, field_names: dict[str, str]) -> str:
    """A field's Chinese label: the record's own, else the common one, else a readable fallback."""
    label = ENTITY_FIELD_NAMES.get((entity_type, key)) or field_names.get(key) or FIGURE_FIELD_NAMES.get(key)
    if label:
        return label
    if key.endswith("_id") and key in ID_FIELDS:
        return _KIND_NAMES[ID_FIELDS[key]]
    return "其他信息"  # never a raw key on the page; the label belongs in events.FIELD_NAMES


def _moment(text: str) -> str | None:
    """An ISO timestamp (how audit rows store instants) shown in Asia/Shanghai, else None."""
    if len(text) < 16 or text[4] != "-" or "T" not in text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return local(moment).strftime("%Y-%m-%d %H:%M") if moment.tzinfo else moment.strftime("%Y-%m-%d %H:%M")


def display(entity_type: str, key: str, value: Any, resolver: Resolver, value_names: dict[str, dict],
            field_names: dict[str, str]) -> Any:
    """What the log shows for one value: a name, 是/否, a Ref (or a list of them), a local time, or text."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    kind = ID_FIELDS.get(key)
    if kind is not None:
        items = value if isinstance(value, list) else [value]
        refs = [resolver.ref(kind, v) if isinstance(v, int) else str(v) for v in items]
        return refs if isinstance(value, list) else refs[0]
    names = ENTITY_VALUE_NAMES.get((entity_type, key)) or value_names.get(key) or COMMON_VALUE_NAMES.get(key)
    if isinstance(value, list):
        return "、".join(str(names.get(v, v) if names else v) for v in value)
    if isinstance(value, dict):
        parts = [f"{field_label(entity_type, k, field_names)}：{as_text(display(entity_type, k, v, resolver, value_names, field_names))}"
                 for k, v in value.items() if v not in (None, "", [])]
        return "；".join(parts) or None
    if names and isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, str):
        return _moment(value) or value
    return value


def as_text(value: Any) -> str:
    """A displayed value as plain text (inside a sentence, where no link fits)."""
    if isinstance(value, Ref):
        return value.text
    if isinstance(value, list):
        return "、".join(as_text(v) for v in value)
    return "—" if value is None else str(value)
