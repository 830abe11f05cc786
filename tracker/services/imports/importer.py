"""Importing companies, designations, yearly figures and cultivation lists from CSV/xlsx (数据导入,
docs/DOMAIN.md §8 and §2).

Every import runs in two steps over the same code path: a dry run that reads and checks every
row and says what would happen (new, updated, unchanged, or the error with row, column, value
and reason), writing nothing; then a commit in one of two modes:
- ``all``: all-or-nothing, any error and nothing is written;
- ``valid``: the valid rows are written, the others reported.
A commit is one transaction with one audit row summarising the batch. Rows are matched on a
natural key (credit code; company + rung + valid_from; company + year; company + target rung +
year), so re-importing the same file finds every row unchanged and writes nothing. An empty cell
never erases a stored value: an import adds and corrects, it does not forget. Planning is
set-based: each importer reads what it needs in a few batched queries, never one per row.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tracker.clock import now, today
from tracker.extensions import db
from tracker.models import (
    Assignment, AuditEvent, Company, CompanyYearFigures, CultivationTrack, Designation, TrackTransition, User,
)
from tracker.rules import cultivation as track_rules
from tracker.rules import figures as figure_rules
from tracker.rules import import_formats as fmt
from tracker.rules import uscc as uscc_rules
from tracker.rules.districts import DISTRICTS, parse_district
from tracker.rules.ladder import RUNG_BY_CODE, RUNGS, default_valid_until, parse_rung
from tracker.rules.phones import phone_problem
from tracker.services import audit
from tracker.services.attractions import importing as attraction_import
from tracker.services.candidates.results import recompute_companies
from tracker.services.cultivation.refusals import HNTE, revoked_hnte_in_year, revoked_this_year_message, still_holding_message
from tracker.services.designations.grants import build_designation
from tracker.services.errors import Conflict, Forbidden, ServiceError
from tracker.services.exports import csv_bytes
from tracker.services.imports.exporter import add_example_sheet
from tracker.services.imports.spreadsheets import Limits, Table, UnreadableFile, read_table
from tracker.services.scoping import company_scope_clause
from tracker.services.support import importing as support_import
from tracker.services.stages import in_force_clause, refresh_company_stages
from tracker.services.unit_of_work import unit_of_work

KINDS = ("companies", "designations", "figures", "tracks", "support", "attractions")
MODES = ("all", "valid")
MODE_NAMES = {"all": "全部正确才导入", "valid": "只导入正确的行"}
ACTION_NAMES = {"new": "新增", "update": "更新", "unchanged": "无变化", "error": "错误"}
_CHUNK = 500  # IN (...) lists stay well under every driver's parameter limit


@dataclass
class Issue:
    """One problem found in a file: spreadsheet row, column header as written, the value and why."""

    row: int
    column: str
    value: str
    reason: str
    code: str | None = None  # a machine-readable cause where a rule gives one (a credit code's `reason`)

    def to_dict(self) -> dict:
        """The issue as JSON-friendly values (the CLI's and API's report format)."""
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason,
                "code": self.code}


@dataclass
class RowOutcome:
    """What happens (or happened) to one row: new, update, unchanged or error."""

    row: int
    key: str
    action: str
    changes: tuple[str, ...] = ()


@dataclass
class ImportReport:
    """The per-row report of a dry run or a commit."""

    kind: str
    filename: str
    dry_run: bool
    mode: str
    total_rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    committed: bool = False
    fatal: str | None = None
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def error_rows(self) -> set[int]:
        """The spreadsheet rows with at least one error."""
        return {issue.row for issue in self.errors}

    @property
    def has_errors(self) -> bool:
        """True when a row has an error or the file could not be read at all."""
        return bool(self.errors) or self.fatal is not None

    @property
    def written(self) -> int:
        """How many rows were written (new + updated), 0 unless committed."""
        return self.new + self.updated if self.committed else 0

    @property
    def kind_name(self) -> str:
        """The import kind in Chinese (企业名录, 资质认定名单, 企业年度数据)."""
        return fmt.KIND_NAMES.get(self.kind, self.kind)

    def summary(self) -> str:
        """One line in Chinese, the same for the CLI and the page."""
        head = "试导入（未写入）" if self.dry_run else ("已导入" if self.committed else "未导入")
        if self.fatal:
            return f"{head}：{self.fatal}"
        verb = "将" if self.dry_run else ""
        return (
            f"{head}：共 {self.total_rows} 行，{verb}新增 {self.new}，{verb}更新 {self.updated}，"
            f"无变化 {self.unchanged}，错误 {len(self.error_rows)} 行"
        )

    def to_dict(self) -> dict:
        """The report as JSON-friendly values (row outcomes left out)."""
        return {
            "kind": self.kind, "filename": self.filename, "dry_run": self.dry_run, "mode": self.mode,
            "total_rows": self.total_rows, "new": self.new, "updated": self.updated,
            "unchanged": self.unchanged, "committed": self.committed, "fatal": self.fatal,
            "errors": [i.to_dict() for i in self.errors], "warnings": [i.to_dict() for i in self.warnings],
        }


@dataclass
class ParsedRow:
    """A data row after cell parsing: values by field, raw cells by field, and whether it is usable."""

    row: int
    values: dict[str, Any]
    raw: dict[str, Any]
    ok: bool = True
    target: Any = None  # the company the row refers to (designations, figures)
    bad_fields: set[str] = field(default_factory=set)  # fields with an error reported


class _Context:
    """What one import run needs: the report, where each field sits in the file, who runs it."""

    def __init__(self, report: ImportReport, columns: Sequence[fmt.Column], hmap: fmt.HeaderMap,
                 actor: User | None):
        self.report = report
        self.columns = {c.field: c for c in columns}
        self.hmap = hmap
        self.actor = actor

    def header(self, field_name: str) -> str:
        """The column header as the file writes it (or the standard one when the column is absent)."""
        return self.hmap.headers.get(field_name) or self.columns[field_name].header

    def error(self, parsed: ParsedRow, field_name: str, reason: str, code: str | None = None) -> None:
        parsed.ok = False
        parsed.bad_fields.add(field_name)
        self.report.errors.append(
            Issue(parsed.row, self.header(field_name), _shown(parsed.raw.get(field_name)), reason, code))

    def warn(self, parsed: ParsedRow, field_name: str, reason: str) -> None:
        self.report.warnings.append(Issue(parsed.row, self.header(field_name), _shown(parsed.raw.get(field_name)), reason))


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and abs(value) >= 1e15:
        return f"{value:.15G}"  # as a spreadsheet shows a long number (9.13204120000001E+17)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if len(text) <= 100 else text[:100] + "…"


def _parse_rows(table: Table, ctx: _Context) -> list[ParsedRow]:
    parsed_rows = []
    for number, cells in table.rows:
        parsed = ParsedRow(number, {}, {})
        for name, index in ctx.hmap.positions.items():
            value = cells[index] if index < len(cells) else None
            parsed.raw[name] = value
            try:
                parsed.values[name] = fmt.parse_cell(ctx.columns[name], value, unit=ctx.hmap.units.get(name))
            except fmt.CellError as exc:
                parsed.values[name] = None
                ctx.error(parsed, name, exc.reason)
        for column in ctx.columns.values():
            if column.required and column.field in ctx.hmap.positions and parsed.values.get(column.field) is None \
                    and fmt.is_blank(parsed.raw.get(column.field)):
                ctx.error(parsed, column.field, f"必填项“{column.header}”为空")
        parsed_rows.append(parsed)
    return parsed_rows


def _plan_upserts(rows: list[ParsedRow], stored: dict, key_of, fields) -> list[tuple[ParsedRow, str, Any]]:
    """(row, "new" | "update" | "unchanged", (record, changes) or None) for each row: the upsert plan
    every importer shows in its dry run and then applies."""
    plan = []
    for parsed in rows:
        record = stored.get(key_of(parsed))
        if record is None:
            plan.append((parsed, "new", None))
            continue
        changes = _changed(record, parsed.values, fields)
        plan.append((parsed, "update" if changes else "unchanged", (record, changes)))
    return plan


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _live_clause(actor: User | None):
    # The CLI runs as the system and sees every live company; a person goes through the scoping rule.
    return company_scope_clause(actor) if actor is not None else Company.deleted_at.is_(None)


def _companies_by_code(codes: Iterable[str], actor: User | None) -> dict[str, Company]:
    unique = sorted(set(codes))
    found: dict[str, Company] = {}
    for chunk in _chunks(unique):
        for company in db.session.scalars(select(Company).where(_live_clause(actor), Company.uscc.in_(chunk))):
            found[company.uscc] = company
    return found


def _code_cell(parsed: ParsedRow) -> Any:
    """The credit-code cell as the file held it: a number stays a number, so the rule can say the
    spreadsheet stored it as one (and lost its last digits) rather than blame a check character."""
    raw = fmt.unescape_cell(parsed.raw.get("uscc"))
    return raw if isinstance(raw, (int, float)) and not isinstance(raw, bool) else parsed.values.get("uscc")


def _check_code(ctx: _Context, parsed: ParsedRow, known: set[str]) -> str | None:
    """The normalised credit code of a row, or None after reporting why it cannot be used.

    A code with only a bad check character is accepted when a live company already holds it:
    an administrator confirmed it when that company was registered.
    """
    if parsed.values.get("uscc") is None:
        return None
    code = uscc_rules.normalize(parsed.values["uscc"])
    try:
        return uscc_rules.validate(_code_cell(parsed))
    except uscc_rules.InvalidCreditCode as exc:
        if exc.bad_check_only and code in known:
            return code
        ctx.error(parsed, "uscc", exc.message, exc.reason)
        return None


def _mark_duplicates(ctx: _Context, rows: list[ParsedRow], key: Callable[[ParsedRow], Any],
                     field_name: str, what: str) -> None:
    # Every row whose key can be read takes part, valid or not, so a duplicate is always named.
    first_seen: dict[Any, int] = {}
    for parsed in rows:
        try:
            k = key(parsed)
        except (AttributeError, KeyError, TypeError):
            continue
        if k is None or (isinstance(k, tuple) and None in k):
            continue
        if k in first_seen:
            ctx.error(parsed, field_name, f"与第 {first_seen[k]} 行{what}重复")
        else:
            first_seen[k] = parsed.row


def _changed(record: Any, values: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Fields whose new value differs; None means 'not given' and never erases a stored value."""
    return {
        f: values[f] for f in fields
        if values.get(f) is not None and getattr(record, f) != values[f]
    }


# --- companies -------------------------------------------------------------------------------

COMPANY_FIELDS = ("name", "district", "industry", "founded_on", "attracted_on", "attraction_channel",
                  "address", "contact_name", "contact_phone", "latitude", "longitude")
_DISTRICT_CHOICES = "、".join(d.name for d in DISTRICTS)


def _plan_companies(ctx: _Context, rows: list[ParsedRow]) -> list[tuple[ParsedRow, str, Any]]:
    existing = _companies_by_code(
        [uscc_rules.normalize(r.values["uscc"]) for r in rows if r.values.get("uscc")], ctx.actor
    )
    day = today()
    known = set(existing)
    channels = attraction_import.channel_choices()  # 招引渠道: a code or Chinese name → the code
    for parsed in rows:
        code = _check_code(ctx, parsed, known)
        if code is not None:
            parsed.values["uscc"] = code
        raw_district = parsed.values.get("district")
        if raw_district is not None:
            district = parse_district(raw_district)
            if district is None:
                ctx.error(parsed, "district", f"未知的辖区：{raw_district}（可选：{_DISTRICT_CHOICES}）")
            parsed.values["district"] = district
        if "industry" in parsed.values and parsed.values["industry"] is not None:
            try:
                parsed.values["industry"] = fmt.parse_industry(parsed.values["industry"])
            except fmt.CellError as exc:
                ctx.error(parsed, "industry", exc.reason)
        phone_issue = phone_problem(parsed.values.get("contact_phone"))
        if phone_issue:  # stored as given (a warning, not an error): the officer checks it with the company
            ctx.warn(parsed, "contact_phone", f"{phone_issue}，请核实")
        if parsed.values.get("attraction_channel") is not None:
            try:
                parsed.values["attraction_channel"] = attraction_import.read_channel(parsed.values["attraction_channel"], channels)
            except ValueError as exc:
                ctx.error(parsed, "attraction_channel", str(exc))
        founded, attracted = parsed.values.get("founded_on"), parsed.values.get("attracted_on")
        if founded and founded > day:
            ctx.error(parsed, "founded_on", "成立日期不能晚于今天")
        if attracted and attracted > day:
            ctx.error(parsed, "attracted_on", "招引落户日期不能晚于今天")
        company = existing.get(code) if code else None
        founded = founded or (company.founded_on if company else None)
        if founded and attracted and attracted < founded:
            ctx.error(parsed, "attracted_on", "招引落户日期不能早于成立日期")
        _check_position(ctx, parsed)
    _mark_duplicates(ctx, rows, lambda r: uscc_rules.normalize(r.values.get("uscc")) or None, "uscc", "的统一社会信用代码")

    return _plan_upserts([p for p in rows if p.ok], existing, lambda p: p.values["uscc"], COMPANY_FIELDS)


def _check_position(ctx: _Context, parsed: ParsedRow) -> None:
    """纬度/经度 come as a pair (the company form's rule, tracker.services.companies.records)."""
    if {"latitude", "longitude"} & parsed.bad_fields:
        return  # a cell that could not be read is reported already
    latitude, longitude = parsed.values.get("latitude"), parsed.values.get("longitude")
    if (latitude is None) != (longitude is None):
        ctx.error(parsed, "latitude" if latitude is None else "longitude", "纬度和经度须同时填写（或都不填）")


def _apply_companies(ctx: _Context, plan: list[tuple[ParsedRow, str, Any]]) -> None:
    for parsed, action, detail in plan:
        if action == "new":
            values = {f: parsed.values.get(f) for f in COMPANY_FIELDS}
            db.session.add(Company(uscc=parsed.values["uscc"], uscc_check_override=False, **values))
        elif action == "update":
            company, changes = detail
            for name, value in changes.items():
                setattr(company, name, value)
    # A new founding date changes the eligibility results (new companies have no figures yet).
    recompute_companies({detail[0].id for _p, action, detail in plan if action == "update" and "founded_on" in detail[1]})


def _company_key(parsed: ParsedRow) -> str:
    return f"{parsed.values.get('uscc') or ''} {parsed.values.get('name') or ''}".strip()


# --- designations ----------------------------------------------------------------------------

DESIGNATION_UPDATE_FIELDS = ("granted_on", "valid_until", "reference", "batch", "revoked_on", "revoke_reason")
_RUNG_CHOICES = "、".join(r.name for r in RUNGS)


def _resolve_companies(ctx: _Context, rows: list[ParsedRow]) -> None:
    """Attach each row's live company by credit code, or report the code as unknown."""
    codes = [uscc_rules.normalize(r.values["uscc"]) for r in rows if r.values.get("uscc")]
    existing = _companies_by_code(codes, ctx.actor)
    for parsed in rows:
        if parsed.values.get("uscc") is None:
            continue
        code = uscc_rules.normalize(parsed.values["uscc"])
        company = existing.get(code)
        if company is None:
            try:
                uscc_rules.validate(_code_cell(parsed))
            except uscc_rules.InvalidCreditCode as exc:
                ctx.error(parsed, "uscc", exc.message, exc.reason)
            else:
                ctx.error(parsed, "uscc", f"系统中没有统一社会信用代码为 {code} 的企业（请先导入企业名录）")
            continue
        parsed.values["uscc"] = code
        parsed.target = company
        name = parsed.values.get("name")
        if name and name != company.name:
            ctx.warn(parsed, "name", f"企业名称与系统中不一致（系统中为：{company.name}），以信用代码为准")


def _read_rung(ctx: _Context, parsed: ParsedRow, field_name: str, label: str) -> None:
    """Turn a rung cell (its Chinese name or code) into the code, or report it as unknown."""
    raw_rung = parsed.values.get(field_name)
    if raw_rung is not None:
        rung = parse_rung(raw_rung)
        if rung is None:
            ctx.error(parsed, field_name, f"未知的{label}：{raw_rung}（可选：{_RUNG_CHOICES}）")
        parsed.values[field_name] = rung


def _plan_designations(ctx: _Context, rows: list[ParsedRow]) -> list[tuple[ParsedRow, str, Any]]:
    _resolve_companies(ctx, rows)
    for parsed in rows:
        values = parsed.values
        _read_rung(ctx, parsed, "rung", "资质类型")
        granted, start = values.get("granted_on"), values.get("valid_from")
        if granted is None and start is None:
            if not parsed.bad_fields & {"granted_on", "valid_from"}:
                ctx.error(parsed, "granted_on", "请填写认定日期或有效期起")
            continue
        values["granted_on"] = granted or start
        values["valid_from"] = start or granted
        if values.get("rung") and values.get("valid_until") is None:
            try:
                values["valid_until"] = default_valid_until(values["rung"], values["valid_from"])
            except (ValueError, OverflowError):  # e.g. 9999-12-31 + 3 years: no such calendar day
                ctx.error(parsed, "valid_from", "有效期起超出可处理的日期范围，请核对")
                continue
        if values.get("valid_until") is not None and values["valid_until"] < values["valid_from"]:
            ctx.error(parsed, "valid_until", "有效期至不能早于有效期起")
        revoked = values.get("revoked_on")
        if revoked is None:
            values["revoke_reason"] = None  # a reason alone revokes nothing
        else:
            if revoked < values["valid_from"]:
                ctx.error(parsed, "revoked_on", "撤销日期不能早于有效期起")
            if not values.get("revoke_reason"):
                ctx.error(parsed, "revoke_reason", "填写了撤销日期时须填写撤销原因")
    _mark_duplicates(
        ctx, rows, lambda r: (r.target.id, r.values["rung"], r.values["valid_from"]), "valid_from",
        "的同一企业、同一资质类型和有效期起",
    )

    usable = [r for r in rows if r.ok]
    company_ids = sorted({r.target.id for r in usable})
    stored: dict[tuple, Designation] = {}
    for chunk in _chunks(company_ids):
        for d in db.session.scalars(
            select(Designation).where(Designation.company_id.in_(chunk)).order_by(Designation.id)
        ):
            stored.setdefault((d.company_id, d.rung, d.valid_from), d)
    return _plan_upserts(
        usable, stored, lambda p: (p.target.id, p.values["rung"], p.values["valid_from"]), DESIGNATION_UPDATE_FIELDS,
    )


def _apply_designations(ctx: _Context, plan: list[tuple[ParsedRow, str, Any]]) -> None:
    source = f"import:{ctx.report.filename}"[:64]
    actor_id = ctx.actor.id if ctx.actor else None
    for parsed, action, detail in plan:
        values = parsed.values
        if action == "new":
            designation = build_designation(
                parsed.target, values["rung"], granted_on=values["granted_on"], valid_from=values["valid_from"],
                valid_until=values["valid_until"], reference=values.get("reference"), batch=values.get("batch"),
                source=source, actor_id=actor_id,
            )
            designation.revoked_on = values.get("revoked_on")
            designation.revoke_reason = values.get("revoke_reason") if values.get("revoked_on") else None
            db.session.add(designation)
        elif action == "update":
            designation, changes = detail
            for name, value in changes.items():
                setattr(designation, name, value)
    # The current-stage table follows the imported rows in the same transaction.
    refresh_company_stages({parsed.target.id for parsed, action, _ in plan if action in ("new", "update")})


def _designation_key(parsed: ParsedRow) -> str:
    rung = parsed.values.get("rung")
    name = next((r.name for r in RUNGS if r.code == rung), rung or "")
    start = parsed.values.get("valid_from")
    return f"{parsed.values.get('uscc') or ''} {name} {start.isoformat() if start else ''}".strip()


# --- yearly figures --------------------------------------------------------------------------

FIGURE_FIELDS = CompanyYearFigures.FIELDS


def _plan_figures(ctx: _Context, rows: list[ParsedRow]) -> list[tuple[ParsedRow, str, Any]]:
    """Check every row with the yearly-figure rule the edit form applies (tracker.rules.figures).

    The relations are checked on the figures as they would be stored: the row's values over the
    stored year's, since an empty cell keeps the stored value.
    """
    _resolve_companies(ctx, rows)
    company_ids = sorted({r.target.id for r in rows if r.target is not None})
    stored: dict[tuple[int, int], CompanyYearFigures] = {}
    for chunk in _chunks(company_ids):
        for f in db.session.scalars(select(CompanyYearFigures).where(CompanyYearFigures.company_id.in_(chunk))):
            stored[(f.company_id, f.year)] = f
    day = today()
    for parsed in rows:
        values, company = parsed.values, parsed.target
        if values.get("year") is not None:
            problem = figure_rules.year_error(values["year"], company.founded_on if company else None, day)
            if problem:
                ctx.error(parsed, "year", problem)
        for name in FIGURE_FIELDS:
            problem = figure_rules.value_error(name, values.get(name))
            if problem:
                ctx.error(parsed, name, problem)
        record = stored.get((company.id, values.get("year"))) if company else None
        merged = {
            name: values.get(name) if values.get(name) is not None else getattr(record, name, None)
            for name in FIGURE_FIELDS if name not in parsed.bad_fields
        }
        for name, message in figure_rules.relation_errors(merged).items():
            ctx.error(parsed, name, message)
        # Defect 15: figures in 元 under a header without a unit are 10,000 times too large.
        for name, message in fmt.implausible_money(values, ctx.hmap.units).items():
            if name not in parsed.bad_fields:
                ctx.warn(parsed, name, message)
    _mark_duplicates(ctx, rows, lambda r: (r.target.id, r.values["year"]), "year", "的同一企业同一年度")

    usable = [r for r in rows if r.ok]
    return _plan_upserts(usable, stored, lambda p: (p.target.id, p.values["year"]), FIGURE_FIELDS)


def _apply_figures(ctx: _Context, plan: list[tuple[ParsedRow, str, Any]]) -> None:
    for parsed, action, detail in plan:
        if action == "new":
            db.session.add(CompanyYearFigures(
                company_id=parsed.target.id, year=parsed.values["year"],
                **{f: parsed.values.get(f) for f in FIGURE_FIELDS},
            ))
        elif action == "update":
            figures, changes = detail
            for name, value in changes.items():
                setattr(figures, name, value)
    # The stored candidate results follow the imported figures in the same transaction.
    recompute_companies({parsed.target.id for parsed, action, _ in plan if action in ("new", "update")})


def _figures_key(parsed: ParsedRow) -> str:
    return f"{parsed.values.get('uscc') or ''} {parsed.values.get('year') or ''}".strip()


# --- cultivation lists (培育名单) ---------------------------------------------------------------

@dataclass
class _TrackPlan:
    """What a row does to its track: the statuses it passes through and the fields it sets."""

    track: CultivationTrack | None  # None: a new track
    path: list[str]  # the statuses entered, in order (a new track: its first status only)
    changes: dict[str, Any]  # field -> new value ("status", "note", "designation_id")
    owner_id: int | None = None  # a new track's owner: the company's primary officer, as on the board


def _track_reason(ctx: _Context) -> str:
    return f"导入培育名单：{ctx.report.filename}"[:500]


def _tracks_lookups(rows: list[ParsedRow]) -> dict[str, Any]:
    """Everything the plan needs, in a few queries per batch of companies (never one per row)."""
    ids = sorted({r.target.id for r in rows})
    years = sorted({r.values["year"] for r in rows})
    found: dict[str, Any] = {"tracks": {}, "granted": {}, "holding": set(), "officers": {}, "revoked": {}}
    if not ids:
        return found
    for chunk in _chunks(ids):
        for track in db.session.scalars(select(CultivationTrack).where(
                CultivationTrack.company_id.in_(chunk), CultivationTrack.year.in_(years))):
            found["tracks"][(track.company_id, track.target_rung, track.year)] = track
        # Recognitions granted in a listed year: the newest one not revoked wins, else the newest.
        for d in db.session.scalars(
            select(Designation).where(
                Designation.company_id.in_(chunk), Designation.granted_on >= dt.date(years[0], 1, 1),
                Designation.granted_on <= dt.date(years[-1], 12, 31),
            ).order_by(Designation.revoked_on.is_(None), Designation.granted_on, Designation.id)
        ):
            found["granted"][(d.company_id, d.rung, d.granted_on.year)] = d
        for year in years:
            found["holding"].update(
                (company_id, rung, year) for company_id, rung in db.session.execute(
                    select(Designation.company_id, Designation.rung).where(
                        Designation.company_id.in_(chunk), in_force_clause(dt.date(year, 12, 31))))
            )
        found["officers"].update(db.session.execute(
            select(Assignment.company_id, Assignment.officer_id).where(
                Assignment.company_id.in_(chunk), Assignment.assigned_until.is_(None),
                Assignment.is_primary.is_(True)),
        ).all())
    hnte_years = sorted({r.values["year"] for r in rows if r.values["target_rung"] == HNTE})
    for year in hnte_years:
        hnte_ids = [r.target.id for r in rows if r.values["target_rung"] == HNTE and r.values["year"] == year]
        found["revoked"][year] = revoked_hnte_in_year(hnte_ids, year)
    return found


def _plan_tracks(ctx: _Context, rows: list[ParsedRow]) -> list[tuple[ParsedRow, str, Any]]:
    """Check each row against its track (company + target rung + year) and the state machine.

    A new track starts at the file's status (储备 when empty); an existing one moves only through
    moves the state machine allows; 已认定 needs a designation of that rung granted that year, to
    which the track is linked; a company whose HNTE was revoked in the year gets no HNTE track that
    year and cannot be moved to 已申报 or 已认定 (docs/DOMAIN.md §1, §2).
    """
    _resolve_companies(ctx, rows)
    for parsed in rows:
        values = parsed.values
        _read_rung(ctx, parsed, "target_rung", "目标资质")
        try:
            values["status"] = fmt.parse_status(values.get("status"))
        except fmt.CellError as exc:
            values["status"] = None
            ctx.error(parsed, "status", exc.reason)
    _mark_duplicates(
        ctx, rows, lambda r: (r.target.id, r.values["target_rung"], r.values["year"]), "target_rung",
        "的同一企业、同一目标资质和年度",
    )
    usable = [r for r in rows if r.ok]
    found = _tracks_lookups(usable)
    reason = _track_reason(ctx)
    plan = []
    for parsed in usable:
        values = parsed.values
        company_id, rung, year, wanted = parsed.target.id, values["target_rung"], values["year"], values["status"]
        key = (company_id, rung, year)
        track = found["tracks"].get(key)
        revoked_on = found["revoked"].get(year, {}).get(company_id) if rung == HNTE else None
        designation = found["granted"].get(key)
        status = wanted or (track.status if track else track_rules.POOL)
        if track is None:
            path = [status]
            if revoked_on:
                ctx.error(parsed, "target_rung", revoked_this_year_message(revoked_on))
            elif status in track_rules.OPEN_STATUSES and key in found["holding"]:
                ctx.error(parsed, "target_rung", still_holding_message(year, rung))
        elif status == track.status:
            path = []
        else:
            try:
                path = track_rules.move_path(track.status, status, reason=reason)
            except track_rules.MoveRefused as exc:
                ctx.error(parsed, "status", exc.message)
                continue
            if revoked_on and {track_rules.SUBMITTED, track_rules.RECOGNIZED} & set(path):
                ctx.error(parsed, "status", revoked_this_year_message(revoked_on))
        if status == track_rules.RECOGNIZED and designation is None and (track is None or path):
            ctx.error(parsed, "status", f"该企业没有{year}年认定的{RUNG_BY_CODE[rung].name}资质，"
                                        "不能标为“已认定”（请先导入资质认定名单）")
        if not parsed.ok:
            continue
        changes: dict[str, Any] = {}
        if path and track is not None:
            changes["status"] = status
        if values.get("note") is not None and (track is None or values["note"] != track.note):
            changes["note"] = values["note"]
        if status == track_rules.RECOGNIZED and designation is not None and \
                (track is None or track.designation_id is None):
            changes["designation_id"] = designation.id
        action = "new" if track is None else ("update" if changes else "unchanged")
        step = _TrackPlan(track, path, changes, found["officers"].get(company_id))
        plan.append((parsed, action, (step, changes)))
    return plan


def _apply_tracks(ctx: _Context, plan: list[tuple[ParsedRow, str, Any]]) -> None:
    moment = now()
    by_id = ctx.actor.id if ctx.actor else None
    reason = _track_reason(ctx)
    for parsed, action, (step, changes) in plan:
        if action == "unchanged":
            continue
        track = step.track
        if track is None:
            track = CultivationTrack(
                company_id=parsed.target.id, target_rung=parsed.values["target_rung"], year=parsed.values["year"],
                status=step.path[0], status_since=moment, note=changes.get("note"),
                designation_id=changes.get("designation_id"),
                owner_id=step.owner_id,
            )
            db.session.add(track)
            db.session.add(TrackTransition(track=track, from_status=None, to_status=step.path[0], at=moment,
                                           by_id=by_id, reason=reason))
            continue
        previous = track.status
        for status in step.path:
            db.session.add(TrackTransition(track=track, from_status=previous, to_status=status, at=moment,
                                           by_id=by_id, reason=reason))
            previous = status
        if step.path:
            track.status_since = moment
        for name, value in changes.items():
            setattr(track, name, value)


def _track_key(parsed: ParsedRow) -> str:
    rung = parsed.values.get("target_rung")
    name = RUNG_BY_CODE[rung].name if rung in RUNG_BY_CODE else (rung or "")
    return f"{parsed.values.get('uscc') or ''} {name} {parsed.values.get('year') or ''}".strip()


# --- support records (扶持记录, tracker/services/support/importing.py) -------------------------------

def _plan_support(ctx: _Context, rows: list[ParsedRow]) -> list[tuple[ParsedRow, str, Any]]:
    """Check each row with the form's rule over the stored record it matches (natural keys in
    tracker.services.support.importing); vocabularies by Chinese name or code."""
    _resolve_companies(ctx, rows)
    stored = support_import.stored_by_key(r.target.id for r in rows if r.target is not None)
    day = today()
    plan = []
    for parsed in rows:
        for column in support_import.VOCABULARY_COLUMNS:
            code, reason = support_import.read_vocabulary(column, parsed.values.get(column))
            if reason:
                ctx.error(parsed, column, reason)
            parsed.values[column] = code
        if not parsed.ok or parsed.target is None:
            continue
        values = support_import.row_values(parsed.values)
        key = support_import.key_of(parsed.target.id, values["kind"], values)
        record = stored.get(key)
        try:
            checked = support_import.check(support_import.merged(values, record), day)
        except support_import.rules.SupportRefused as exc:
            ctx.error(parsed, support_import.column_of(exc.field or "kind"), exc.message)
            continue
        parsed.values["_key"], parsed.values["_checked"] = key, checked
        if record is None:
            plan.append((parsed, "new", None))
        else:
            found = support_import.changes(record, checked)
            plan.append((parsed, "update" if found else "unchanged", (record, found)))
    _mark_duplicates(ctx, rows, lambda r: r.values.get("_key"), "kind", "的同一扶持记录")
    return [item for item in plan if item[0].ok]


def _apply_support(ctx: _Context, plan: list[tuple[ParsedRow, str, Any]]) -> None:
    actor_id = ctx.actor.id if ctx.actor else None
    for parsed, action, detail in plan:
        if action == "new":
            db.session.add(support_import.new_record(
                parsed.target.id, parsed.values["_checked"], f"import:{ctx.report.filename}", actor_id))
        elif action == "update":
            support_import.apply_changes(*detail)


def _support_key(parsed: ParsedRow) -> str:
    kind = support_import.rules.kind_name(parsed.values.get("kind"))
    return f"{parsed.values.get('uscc') or ''} {kind} {parsed.values.get('year') or ''}".strip()


# --- attraction projects (招引项目): what a row means lives in tracker.services.attractions.importing

def _plan_attractions(ctx: _Context, rows: list[ParsedRow]) -> list[tuple[ParsedRow, str, Any]]:
    by_row = {r.row: r for r in rows}
    plans = attraction_import.plan([(r.row, r.values) for r in rows if r.ok],
                                   drop_reason=f"导入终止：{ctx.report.filename}"[:500])
    result = []
    for step in plans:
        parsed = by_row[step.row]
        for name, reason in step.errors:
            ctx.error(parsed, name, reason)
        if parsed.ok:
            result.append((parsed, step.action, (step, step.changes)))
    return result


def _apply_attractions(ctx: _Context, plan: list[tuple[ParsedRow, str, Any]]) -> None:
    attraction_import.apply([detail[0] for _, _, detail in plan])


def _attraction_key(parsed: ParsedRow) -> str:
    return f"{parsed.values.get('name') or ''} {parsed.values.get('district') or ''}".strip()


_IMPORTERS = {
    "companies": (_plan_companies, _apply_companies, _company_key),
    "designations": (_plan_designations, _apply_designations, _designation_key),
    "figures": (_plan_figures, _apply_figures, _figures_key),
    "tracks": (_plan_tracks, _apply_tracks, _track_key),
    "support": (_plan_support, _apply_support, _support_key),
    "attractions": (_plan_attractions, _apply_attractions, _attraction_key),
}


# --- the entry point -------------------------------------------------------------------------

def check_may_import(actor: User | None) -> None:
    """Imports are for the system (CLI) and city administrators only."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("只有市级管理员可以导入数据")


def run_import(kind: str, data: bytes, filename: str, *, actor: User | None = None, dry_run: bool = True,
               mode: str = "all", limits: Limits | None = None) -> ImportReport:
    """Read a file and report row by row; unless `dry_run`, write it in `mode` in one transaction.

    Returns the report; a file that cannot be read at all is reported in `fatal`, never raised.
    """
    if kind not in _IMPORTERS:
        raise ServiceError(f"未知的导入类型：{kind}")
    if mode not in MODES:
        raise ServiceError(f"未知的导入方式：{mode}（all 或 valid）")
    check_may_import(actor)
    report = ImportReport(kind=kind, filename=filename, dry_run=dry_run, mode=mode)
    try:
        table = read_table(data, filename, limits)
    except UnreadableFile as exc:
        report.fatal = exc.message
        return report
    columns = fmt.COLUMNS_BY_KIND[kind]
    hmap = fmt.map_headers(columns, table.header)
    report.ignored_columns = hmap.unknown + hmap.duplicated
    report.total_rows = len(table.rows)
    if hmap.missing:
        names = "、".join(f"“{c.header}”" for c in hmap.missing)
        report.fatal = f"缺少必填列：{names}（第 1 行应为表头；可下载模板核对）"
        for column in hmap.missing:
            report.errors.append(Issue(1, column.header, "", "缺少必填列"))
        return report
    for name, unit in hmap.units.items():
        if unit != fmt.DEFAULT_MONEY_UNIT:
            report.warnings.append(Issue(1, hmap.headers[name], "", f"该列以“{unit}”填写，已换算为万元"))
    ctx = _Context(report, columns, hmap, actor)
    try:
        # Planning only reads, so a dry run (or a batch with nothing to write) commits an empty
        # unit; a concurrent edit caught by a version column becomes the Conflict below.
        with unit_of_work(conflict="导入期间数据被他人修改，未写入任何数据，请重新导入"):
            written = _plan_and_apply(ctx, table, dry_run=dry_run)
    except IntegrityError as exc:
        raise Conflict("导入与同时进行的修改冲突，未写入任何数据，请重新导入") from exc
    except Conflict:
        raise
    except ServiceError as exc:
        raise ServiceError(f"导入失败，未写入任何数据：{exc.message}") from exc
    report.committed = written
    return report


_CHANGE_LABELS = {"designation_id": "关联的资质认定"}  # changes that are no column of the file


def _change_label(ctx: _Context, field_name: str) -> str:
    column = ctx.columns.get(field_name)
    return column.header if column else _CHANGE_LABELS.get(field_name, field_name)


def _plan_and_apply(ctx: _Context, table: Table, *, dry_run: bool) -> bool:
    """Fill the report row by row and, unless nothing may be written, apply the plan with an audit
    row; True when something was written (the caller's unit of work commits it)."""
    report = ctx.report
    plan_rows, apply_rows, key = _IMPORTERS[report.kind]
    rows = _parse_rows(table, ctx)
    plan = plan_rows(ctx, rows)
    report.errors.sort(key=lambda i: i.row)
    for parsed in rows:
        if not parsed.ok:
            report.outcomes.append(RowOutcome(parsed.row, key(parsed), "error"))
    for parsed, action, detail in plan:
        changes = tuple(_change_label(ctx, f) for f in detail[1]) if action == "update" else ()
        report.outcomes.append(RowOutcome(parsed.row, key(parsed), action, changes))
    report.outcomes.sort(key=lambda o: o.row)
    report.new = sum(1 for _, a, _ in plan if a == "new")
    report.updated = sum(1 for _, a, _ in plan if a == "update")
    report.unchanged = sum(1 for _, a, _ in plan if a == "unchanged")

    if dry_run or (report.mode == "all" and report.errors) or not (report.new or report.updated):
        return False  # nothing to write: a dry run, a refused all-or-nothing batch, or a file already in
    apply_rows(ctx, plan)
    audit.record(
        ctx.actor.id if ctx.actor else None, f"import.{report.kind}", entity_type="import",
        after={
            "file": report.filename[:200], "mode": report.mode, "rows": report.total_rows, "new": report.new,
            "updated": report.updated, "unchanged": report.unchanged, "error_rows": len(report.error_rows),
        },
    )
    return True


def recent_imports(limit: int = 10) -> list[AuditEvent]:
    """The latest committed imports (their audit rows), newest first, for the upload page."""
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("import.%"))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    ))


def template_csv(kind: str) -> bytes:
    """An empty import file for `kind`: the header row only, UTF-8 with BOM for Excel."""
    if kind not in _IMPORTERS:
        raise ServiceError(f"未知的导入类型：{kind}")
    return csv_bytes(fmt.template_headers(kind), [])


TEMPLATE_TEXT_ROWS = 2000  # rows pre-formatted as text below the header (the column style covers the rest)


def template_xlsx(kind: str) -> bytes:
    """An empty xlsx import file for `kind` whose credit-code (and other long-number) columns are
    formatted as text ("@"), so Excel, WPS and LibreOffice keep all 18 characters of a code typed
    or pasted in instead of a 15-digit number (docs/DOMAIN.md §5)."""
    if kind not in _IMPORTERS:
        raise ServiceError(f"未知的导入类型：{kind}")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = fmt.KIND_NAMES[kind]
    columns = fmt.COLUMNS_BY_KIND[kind]
    sheet.append([c.header for c in columns])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.header) * 2 + 2)
        if column.field in fmt.TEXT_FORMAT_FIELDS:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, TEMPLATE_TEXT_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    add_example_sheet(workbook, kind)  # sheet 2: an example row (never read: imports read sheet 1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
