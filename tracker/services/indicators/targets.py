"""The plan's targets (指标任务): loading the shipped data file, reading and editing targets."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from tracker.extensions import db
from tracker.models import IndicatorTarget, User
from tracker.rules.districts import DISTRICT_CODES
from tracker.rules.indicators import INDICATOR_CODES, district_sum_mismatches
from tracker.services import audit
from tracker.services.errors import ServiceError
from tracker.services.unit_of_work import use_case

PLAN_FILE = Path(__file__).resolve().parents[2] / "data" / "plan_targets.csv"


def read_plan_file(path: Path = PLAN_FILE) -> list[tuple[str, int, str | None, int]]:
    """Rows (indicator, year, district or None, value) of the plan's two target tables."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        lines = (line for line in fh if not line.startswith("#"))
        for rec in csv.DictReader(lines):
            rows.append((rec["indicator"], int(rec["year"]), rec["district"] or None, int(rec["value"])))
    return rows


@use_case
def seed_plan(path: Path = PLAN_FILE) -> dict[str, int]:
    """Load the plan's targets; existing rows are updated, none duplicated. Returns counts."""
    rows = read_plan_file(path)
    mismatches = sum_mismatches(rows)
    if mismatches:
        raise ServiceError(f"计划文件中辖区分解数之和与全市目标不一致：{mismatches}")
    existing = {(t.indicator, t.year, t.district): t for t in db.session.scalars(select(IndicatorTarget))}
    created = updated = 0
    for indicator, year, district, value in rows:
        if indicator not in INDICATOR_CODES or (district and district not in DISTRICT_CODES):
            raise ServiceError(f"计划文件含未知指标或辖区：{indicator} {district}")
        target = existing.get((indicator, year, district))
        if target is None:
            db.session.add(IndicatorTarget(indicator=indicator, year=year, district=district, value=value))
            created += 1
        elif target.value != value:
            target.value = value
            updated += 1
    if created or updated:
        audit.record(None, "plan.seed", entity_type="indicator_target", after={"created": created, "updated": updated})
    return {"rows": len(rows), "created": created, "updated": updated}


def sum_mismatches(rows) -> list[tuple[str, int, int, int]]:
    """Years whose district targets no longer add up to the city's."""
    city: dict[tuple[str, int], int] = {}
    districts: dict[tuple[str, int], dict[str, int]] = {}
    for indicator, year, district, value in rows:
        if district is None:
            city[(indicator, year)] = value
        else:
            districts.setdefault((indicator, year), {})[district] = value
    return district_sum_mismatches(city, districts)


def current_mismatches() -> list[tuple[str, int, int, int]]:
    """Mismatches among the targets in the database (shown as a warning to administrators)."""
    rows = [(t.indicator, t.year, t.district, t.value) for t in db.session.scalars(select(IndicatorTarget))]
    return sum_mismatches(rows)


def year_targets(year: int) -> dict[tuple[str, str | None], int]:
    """(indicator, district or None) → value of every target set for `year` (the edit form's values)."""
    return {
        (t.indicator, t.district): t.value
        for t in db.session.scalars(select(IndicatorTarget).where(IndicatorTarget.year == year))
    }


@use_case
def set_target(actor: User, indicator: str, year: int, district: str | None, value: int) -> IndicatorTarget:
    """Change one target (administrators only); returns the row."""
    if not actor.is_admin:
        raise ServiceError("只有管理员可以修改目标")
    if value < 0:
        raise ServiceError("目标值不能为负数", field="value")
    target = db.session.scalar(
        select(IndicatorTarget).where(
            IndicatorTarget.indicator == indicator, IndicatorTarget.year == year,
            IndicatorTarget.district.is_(None) if district is None else IndicatorTarget.district == district,
        )
    )
    before = {"value": target.value} if target else None
    if target is None:
        target = IndicatorTarget(indicator=indicator, year=year, district=district, value=value)
        db.session.add(target)
    target.value = value
    audit.record(actor.id, "target.update", target, before=before, after={"indicator": indicator, "year": year, "district": district, "value": value})
    return target


@use_case
def set_year_targets(actor: User, year: int, values: dict[tuple[str, str | None], int | None]) -> int:
    """Save one year's target form in one go (administrators only); returns how many changed.

    `values` maps (indicator, district or None) to the typed value; None (left empty) and
    unchanged values are skipped. All or nothing: one refused value saves none of them.
    """
    existing = year_targets(year)
    changed = 0
    for (indicator, district), value in values.items():
        if value is not None and value != existing.get((indicator, district)):
            set_target(actor, indicator, year, district, value)
            changed += 1
    return changed
