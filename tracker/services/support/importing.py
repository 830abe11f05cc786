"""The support-record import (kind `support`, docs/DOMAIN.md §9): what a row means.

tracker.services.imports.importer reads the file, resolves each row's company and reports; this
module turns a parsed row into a record's values with the same rule the form applies
(tracker.rules.support.check_record), finds the stored record a row matches and says what would
change. Natural keys, so importing the same file twice changes nothing:
- 研发费用加计扣除: company + year;   - 上市培育: company (one listing process);
- 科技贷款: company + loan product + bank + 放款日期;
- 大赛: company + year + 大赛名称;      - 补贴奖励: company + year + 政策名称.
An empty cell never erases a stored value: a row is checked over the stored record's values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from sqlalchemy import select

from tracker.models import SupportRecord
from tracker.extensions import db
from tracker.rules import support as rules

# import column -> (model field, vocabulary, aliases) for the columns given by Chinese name or code
VOCABULARY_COLUMNS: dict[str, tuple[dict[str, str], dict[str, str], str]] = {
    "kind": (rules.KINDS, rules.KIND_ALIASES, "扶持类型"),
    "loan_product": (rules.LOAN_PRODUCTS, rules.LOAN_ALIASES, "贷款产品"),
    "listing_stage": (rules.LISTING_STAGES, {}, "上市阶段"),
    "listing_board": (rules.LISTING_BOARDS, rules.BOARD_ALIASES, "上市板块"),
    "level": (rules.CONTEST_LEVELS, rules.LEVEL_ALIASES, "大赛级别"),
}
FIELD_TO_COLUMN = {"name": "record_name"}
UPDATE_FIELDS = ("year", *rules.TYPED_FIELDS, "note")


def read_vocabulary(column: str, text: Any) -> tuple[str | None, str | None]:
    """(code, None) or (None, the Chinese reason) for a vocabulary cell."""
    vocabulary, aliases, label = VOCABULARY_COLUMNS[column]
    if text is None:
        return None, None
    code = rules.parse_vocabulary(text, vocabulary, aliases)
    if code is None:
        return None, f"未知的{label}：{text}（可选：{'、'.join(vocabulary.values())}）"
    return code, None


def row_values(values: dict[str, Any]) -> dict[str, Any]:
    """A parsed row's values by model field (`record_name` → `name`), vocabularies already codes."""
    out = {k: v for k, v in values.items() if k not in ("uscc", "name", "record_name")}
    out["name"] = values.get("record_name")
    return out


def key_of(company_id: int, kind: str, values: dict[str, Any]) -> tuple:
    """The natural key of a row or stored record (see the module docstring)."""
    if kind == rules.RD_DEDUCTION:
        return (company_id, kind, values.get("year"))
    if kind == rules.LISTING:
        return (company_id, kind)
    if kind == rules.TECH_LOAN:
        return (company_id, kind, values.get("loan_product"), (values.get("bank") or "").strip(), values.get("occurred_on"))
    return (company_id, kind, values.get("year"), (values.get("name") or "").strip())


def stored_by_key(company_ids: Iterable[int]) -> dict[tuple, SupportRecord]:
    """Live stored records of these companies by natural key (a few queries per 500 companies)."""
    ids = sorted(set(company_ids))
    found: dict[tuple, SupportRecord] = {}
    for start in range(0, len(ids), 500):
        for record in db.session.scalars(
            select(SupportRecord).where(SupportRecord.company_id.in_(ids[start:start + 500]),
                                        SupportRecord.deleted_at.is_(None)).order_by(SupportRecord.id)
        ):
            values = {name: getattr(record, name) for name in UPDATE_FIELDS}
            found.setdefault(key_of(record.company_id, record.kind, values), record)
    return found


def merged(values: dict[str, Any], stored: SupportRecord | None) -> dict[str, Any]:
    """The row's values over the stored record's (an empty cell keeps the stored value)."""
    if stored is None:
        return dict(values)
    base = {name: getattr(stored, name) for name in UPDATE_FIELDS}
    base["kind"] = stored.kind
    return {**base, **{k: v for k, v in values.items() if v is not None}}


def check(values: dict[str, Any], today: dt.date) -> rules.CheckedRecord:
    """The form's rule on a row (raises rules.SupportRefused naming the model field)."""
    return rules.check_record(values, today)


def changes(record: SupportRecord, checked: rules.CheckedRecord) -> dict[str, Any]:
    """What a checked row would change on its stored record, by import column (the report's labels)."""
    target = {"year": checked.year, **checked.values, "note": checked.note}
    return {column_of(k): v for k, v in target.items() if v is not None and getattr(record, k) != v}


def apply_changes(record: SupportRecord, found: dict[str, Any]) -> None:
    """Write `changes(...)` onto the record."""
    for column, value in found.items():
        setattr(record, "name" if column == "record_name" else column, value)


def new_record(company_id: int, checked: rules.CheckedRecord, source: str, actor_id: int | None) -> SupportRecord:
    """A new record from a checked row (the caller adds it to the session)."""
    record = SupportRecord(company_id=company_id, kind=checked.kind, year=checked.year, note=checked.note,
                           source=source[:120], recorded_by_id=actor_id)
    for name, value in checked.values.items():
        setattr(record, name, value)
    return record


def column_of(field: str) -> str:
    """The import column a model field's error belongs under."""
    return FIELD_TO_COLUMN.get(field, field)
