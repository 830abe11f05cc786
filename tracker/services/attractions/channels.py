"""Attraction channels (招引渠道): the plan's six (tracker.rules.attraction) merged with the rows
of attraction_channel, where an administrator renames, reorders, retires or adds channels.

Codes are what every record stores (attraction_project.channel, company.attraction_channel);
pages, exports and reports show the Chinese name from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from tracker.extensions import db
from tracker.models import AttractionChannel, AttractionProject, Company, User
from tracker.rules import attraction as rules
from tracker.services import audit
from tracker.services.errors import Forbidden, NotFound, ServiceError
from tracker.services.unit_of_work import use_case

_BUILTIN_SORT = {code: 10 * n for n, code in enumerate(rules.BUILTIN_CHANNELS, start=1)}
_BUILTIN_SORT[rules.OTHER] = 90
FIELDS = ("code", "name", "sort", "active")


@dataclass(frozen=True)
class Channel:
    """One channel as shown and chosen: code, Chinese name, order, whether new records may use it."""

    code: str
    name: str
    sort: int
    active: bool
    builtin: bool
    id: int | None = None


def all_channels() -> list[Channel]:
    """Every channel, active or not, in display order (one query)."""
    found = {
        code: Channel(code, name, _BUILTIN_SORT[code], True, True)
        for code, name in rules.BUILTIN_CHANNELS.items()
    }
    for row in db.session.scalars(select(AttractionChannel)):
        found[row.code] = Channel(row.code, row.name, row.sort, row.active, row.code in rules.BUILTIN_CHANNELS, row.id)
    return sorted(found.values(), key=lambda c: (c.sort, c.code))


def active_channels() -> list[Channel]:
    """The channels a new or edited record may choose."""
    return [c for c in all_channels() if c.active]


def channel_names() -> dict[str, str]:
    """code → Chinese name of every channel, in display order."""
    return {c.code: c.name for c in all_channels()}


def channel_name(code: str | None, names: dict[str, str] | None = None) -> str:
    """The Chinese name of a channel code ('' for none; an unknown code is shown as 其他)."""
    if not code:
        return ""
    names = names if names is not None else channel_names()
    return names.get(code, rules.BUILTIN_CHANNELS[rules.OTHER])


def check_channel(code: str | None, *, current: str | None = None, field: str = "channel") -> str:
    """A channel code a record may take: known and active (a retired one only if already held)."""
    channels = {c.code: c for c in all_channels()}
    channel = channels.get(code or "")
    if channel is None:
        raise ServiceError("请选择招引渠道", field=field)
    if not channel.active and code != current:
        raise ServiceError(f"招引渠道“{channel.name}”已停用", field=field)
    return channel.code


def _check_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("只有市级管理员可以维护招引渠道")


def _check_name(name: str, exclude_code: str | None) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写渠道名称", field="name")
    if len(name) > 32:
        raise ServiceError("渠道名称不超过32个字", field="name")
    if any(c.name == name and c.code != exclude_code for c in all_channels()):
        raise ServiceError(f"已有名为“{name}”的渠道", field="name")
    return name


@use_case
def add_channel(actor: User, data: dict) -> Channel:
    """Add a channel (administrators): a new code with its Chinese name and order."""
    _check_admin(actor)
    code = (data.get("code") or "").strip().lower()
    problem = rules.check_channel_code(code)
    if problem:
        raise ServiceError(problem, field="code")
    if code in {c.code for c in all_channels()}:
        raise ServiceError(f"渠道代码 {code} 已存在", field="code")
    name = _check_name(data.get("name"), None)
    row = AttractionChannel(code=code, name=name, sort=int(data.get("sort") or 100), active=True)
    db.session.add(row)
    audit.record(actor.id, "attraction.channel.create", row, after=audit.snapshot(row, FIELDS))
    return Channel(row.code, row.name, row.sort, row.active, False, row.id)


@use_case
def update_channel(actor: User, code: str, data: dict) -> Channel:
    """Rename, reorder, retire or reactivate a channel (administrators); its code never changes."""
    _check_admin(actor)
    current = {c.code: c for c in all_channels()}.get(code)
    if current is None:
        raise NotFound("渠道不存在")
    name = _check_name(data.get("name"), code)
    active = bool(data.get("active"))
    if code == rules.OTHER and not active:
        raise ServiceError("“其他”渠道不能停用（未注明渠道的企业计入其中）", field="active")
    row = db.session.scalar(select(AttractionChannel).where(AttractionChannel.code == code))
    before = {"name": current.name, "sort": current.sort, "active": current.active}
    if row is None:  # a built-in channel not yet stored: store it with the change
        row = AttractionChannel(code=code, name=current.name, sort=current.sort, active=current.active)
        db.session.add(row)
    row.name, row.sort, row.active = name, int(data.get("sort") if data.get("sort") is not None else current.sort), active
    after = {"name": row.name, "sort": row.sort, "active": row.active}
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit.record(actor.id, "attraction.channel.update", row,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return Channel(row.code, row.name, row.sort, row.active, code in rules.BUILTIN_CHANNELS, row.id)


def usage_counts() -> dict[str, tuple[int, int]]:
    """code → (live projects, live companies) using it, for the administration page."""
    projects = dict(db.session.execute(
        select(AttractionProject.channel, func.count(AttractionProject.id))
        .where(AttractionProject.deleted_at.is_(None)).group_by(AttractionProject.channel)).all())
    companies = dict(db.session.execute(
        select(Company.attraction_channel, func.count(Company.id))
        .where(Company.deleted_at.is_(None), Company.attraction_channel.is_not(None))
        .group_by(Company.attraction_channel)).all())
    return {c.code: (int(projects.get(c.code, 0)), int(companies.get(c.code, 0))) for c in all_channels()}
