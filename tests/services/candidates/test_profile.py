"""科创属性画像: what data a company's next rungs lack, and which rungs its profile checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.services.candidates.test_candidates import ON, SME, YEAR, figures
from tracker.rules import eligibility
from tracker.rules.ladder import RUNG_CODES
from tracker.services.candidates import profile


def test_missing_data_lines_name_year_and_field(app):
    facts = eligibility.CompanyFacts(
        founded_on=dt.date(2020, 5, 1),
        figures={
            2025: eligibility.YearFigures(2025, staff_count=10, st_staff_count=2, revenue=Decimal(100)),
            2023: eligibility.YearFigures(2023, revenue=Decimal(80), rd_expense=Decimal(5), rd_expense_domestic=Decimal(5)),
        },
    )
    lines = profile.missing_data(facts, YEAR, ["tech_sme", "hnte"])
    assert lines[0] == "缺少 2025 年研发费用、境内研发费用、成本费用总额、资产总额、高新技术产品（服务）收入、I 类知识产权、II 类知识产权、高企创新能力评价得分"
    assert "缺少 2024 年年度数据" in lines
    assert all("2023" not in line for line in lines)  # 2023 has what HNTE reads
    assert profile.missing_data(eligibility.CompanyFacts(None, {}), YEAR, ["gazelle"])[0] == "缺少成立日期"
    # Years before the founding year are not asked for.
    young = eligibility.CompanyFacts(dt.date(2025, 2, 1), {2025: eligibility.YearFigures(2025, revenue=Decimal(1), rd_expense=Decimal(1), staff_count=3)})
    assert profile.missing_data(young, YEAR, ["gazelle"]) == []


def test_profile_checks_only_rungs_above_the_current_stage(app, factory):
    company = factory.company("wujin", founded_on=dt.date(2016, 1, 1))
    for y in (2023, 2024, 2025):
        figures(company, y, **SME)
    plain = profile.assess_company(company, on=ON)
    assert [r.rung for r in plain.results] == list(RUNG_CODES) and plain.stage == "prospect"
    assert [f.year for f in plain.figures] == [2023, 2024, 2025]
    factory.designation(company, "hnte", dt.date(2025, 10, 1))
    holder = profile.assess_company(company, on=ON)
    assert holder.stage == "hnte"
    assert [r.rung for r in holder.results] == ["gazelle", "potential_unicorn", "unicorn"]
    assert holder.results[0].condition("st_spend_ratio").detail == "2025 年研发费用 300 万元 / 营业收入 5,000 万元 = 6.00%"
