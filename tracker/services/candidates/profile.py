"""A company's profile (科创属性画像): the rungs above its stage, pre-checked, and the data they lack.

Shown as a card on the company page; the facts come from the same builder as the ranking's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Company, CompanyYearFigures, Designation
from tracker.rules import eligibility, ladder
from tracker.rules.eligibility import CompanyFacts, EligibilityResult
from tracker.rules.eligibility_thresholds import thresholds_for
from tracker.rules.figures import DECLARATION_FIELDS, FIELD_NAMES
from tracker.services.candidates.ranking import FIGURE_FIELDS, TARGET_RUNGS, facts_from_rows
from tracker.services.support.queries import YearSupport, yearly_summary


@dataclass
class CompanyAssessment:
    """The 科创属性画像 of one company: its figures, next rungs' pre-checks and missing data."""

    year: int
    stage: str
    figures: list  # CompanyYearFigures, oldest first
    results: list[EligibilityResult]
    missing: list[str]
    support: list[YearSupport] = field(default_factory=list)  # 扶持记录 per year, beside the figures


_LATEST_NEEDS: dict[str, tuple[str, ...]] = {
    "tech_sme": (
        "staff_count", "st_staff_count", "revenue", "rd_expense", "total_cost", "total_assets",
        "ip_class1_count", "ip_class2_count",
    ),
    "hnte": (
        "staff_count", "st_staff_count", "revenue", "rd_expense", "rd_expense_domestic",
        "hightech_revenue", "ip_class1_count", "ip_class2_count", "innovation_score",
        "key_field", "major_incident",
    ),
    "gazelle": ("revenue", "rd_expense", "staff_count"),
    "potential_unicorn": ("valuation", "is_listed", "financing_amount"),
    "unicorn": ("valuation", "is_listed", "financing_amount"),
}


def _needs(rung: str, year: int) -> dict[int, tuple[str, ...]]:
    """Which figures of which years a rung's check reads for evaluation year `year`."""
    t = thresholds_for(year)
    latest = year - 1
    needs: dict[int, set[str]] = {latest: set(_LATEST_NEEDS[rung])}
    if rung == "hnte":
        for y in range(year - t.hnte.rd_window_years, latest):
            needs.setdefault(y, set()).update(("revenue", "rd_expense", "rd_expense_domestic"))
    if rung == "gazelle":
        base, end = year - t.gazelle.base_year_offset, year - t.gazelle.end_year_offset
        needs.setdefault(base, set()).update(("revenue", "staff_count"))
        needs.setdefault(end - 1, set()).add("revenue")
    return {y: tuple(sorted(names, key=FIGURE_FIELDS.index)) for y, names in needs.items()}


def missing_data(facts: CompanyFacts, year: int, rungs: Iterable[str]) -> list[str]:
    """What the checks of `rungs` lack, in Chinese: "缺少 2025 年研发费用、资产总额" per year.

    Years before the founding year are not asked for; a year with no figures at all is named once.
    Declarations (yes/no, tracker.rules.figures.DECLARATION_FIELDS) come on a line of their own,
    "待记录 2025 年：…（是/否，在年度数据中填写）": they are asked of the company, not looked up.
    """
    rungs = list(rungs)
    needs: dict[int, list[str]] = {}
    for rung in rungs:
        for y, names in _needs(rung, year).items():
            bucket = needs.setdefault(y, [])
            bucket.extend(n for n in names if n not in bucket)
    lines: list[str] = []
    if facts.founded_on is None and rungs:
        lines.append("缺少成立日期")
    for y in sorted(needs, reverse=True):
        if facts.founded_on is not None and y < facts.founded_on.year:
            continue
        figures = facts.figures.get(y)
        if figures is None:
            lines.append(f"缺少 {y} 年年度数据")
            continue
        absent = [n for n in FIGURE_FIELDS if n in needs[y] and getattr(figures, n) is None]
        measured = [FIELD_NAMES[n] for n in absent if n not in DECLARATION_FIELDS]
        declared = [FIELD_NAMES[n] for n in absent if n in DECLARATION_FIELDS]
        if measured:
            lines.append(f"缺少 {y} 年" + "、".join(measured))
        if declared:
            lines.append(f"待记录 {y} 年：" + "、".join(declared) + "（是/否，在年度数据中填写）")
    return lines


def assess_company(company: Company, *, on: dt.date | None = None) -> CompanyAssessment:
    """The profile of one company the caller may see: rungs above its stage, checked for this year."""
    current = on or today()
    year = current.year
    designations = list(db.session.scalars(select(Designation).where(Designation.company_id == company.id)))
    stage = ladder.stage_as_of(designations, current)
    rows = list(db.session.scalars(
        select(CompanyYearFigures).where(CompanyYearFigures.company_id == company.id)
        .order_by(CompanyYearFigures.year)
    ))
    holds_hnte = any(d.rung == "hnte" and ladder.in_force(d, current) for d in designations)
    facts = facts_from_rows(company.founded_on, [r for r in rows if r.year < year], holds_hnte)
    above = [r for r in TARGET_RUNGS if ladder.RUNG_RANK[r] > ladder.STAGE_RANK[stage]]
    results = [eligibility.check(r, facts, year) for r in above]
    return CompanyAssessment(
        year=year, stage=stage, figures=rows, results=results,
        missing=missing_data(facts, year, above), support=yearly_summary(company.id),
    )
