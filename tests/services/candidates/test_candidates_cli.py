"""`flask candidates --target RUNG --year Y [--as-of D] [--district CODE] --json`: the page's ranking."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tracker.extensions import db
from tracker.models import CompanyYearFigures
from tracker.services.candidates import ranking
from tracker.services.candidates.ranking import CandidateFilters

SME = dict(
    staff_count=100, st_staff_count=20, revenue=Decimal(5000), rd_expense=Decimal(300),
    rd_expense_domestic=Decimal(250), total_cost=Decimal(4000), total_assets=Decimal(5000),
    hightech_revenue=Decimal(4000), ip_class1_count=1, ip_class2_count=2, is_listed=False,
    innovation_score=Decimal(80),
)


def _ready(factory, name, district="wujin", **changes):
    company = factory.company(district, name=name, founded_on=dt.date(2016, 1, 1))
    for year in (2023, 2024, 2025):
        db.session.add(CompanyYearFigures(company_id=company.id, year=year, **{**SME, **changes}))
    db.session.commit()
    return company


@pytest.fixture
def city(factory):
    made = {
        "first": _ready(factory, "首次申报"),
        "renew": _ready(factory, "重新认定企业"),
        "short": _ready(factory, "缺评分", innovation_score=None),
        "liyang": _ready(factory, "溧阳企业", district="liyang"),
    }
    factory.designation(made["renew"], "hnte", dt.date(2023, 12, 15))  # to 2026-12-14
    return made


def run(runner, *args):
    return runner.invoke(args=["candidates", *args])


def test_json_lists_the_page_ranking_with_reasons(app, runner, factory, city):
    result = run(runner, "--target", "hnte", "--year", "2026", "--as-of", "2026-11-24", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == ["重新认定企业", "溧阳企业", "首次申报", "缺评分"]
    admin = factory.user("admin")
    page = ranking.candidate_page(admin, CandidateFilters("hnte", 2026), 1, 50, on=dt.date(2026, 11, 24))
    assert [r["uscc"] for r in rows] == [c.company.uscc for c in page.rows]
    assert [(r["eligible"], r["verdict"]) for r in rows] == [(c.result.eligible, c.verdict) for c in page.rows]
    renew = rows[0]
    assert renew["recertification"] is True and renew["holds_until"] == "2026-12-14"
    assert renew["district"] == "wujin" and renew["district_name"] == "武进区" and renew["stage_name"] == "高新技术企业"
    assert rows[2]["holds_until"] is None and rows[2]["recertification"] is False
    short = rows[3]
    assert short["eligible"] is None
    unknown = [r for r in short["reasons"] if r["condition"] == "innovation_score"]
    assert unknown[0]["status"] == "unknown" and unknown[0]["status_name"] == "数据不足" and unknown[0]["detail"]
    assert {"condition", "label", "status", "detail"} <= set(short["reasons"][0])


def test_district_filter_and_readable_table(app, runner, city):
    result = run(runner, "--target", "高新技术企业", "--year", "2026", "--as-of", "2026-11-24",
                 "--district", "liyang", "--json")
    assert [r["name"] for r in json.loads(result.output)] == ["溧阳企业"]
    result = run(runner, "--target", "hnte", "--year", "2026", "--as-of", "2026-11-24", "--district", "常州市武进区")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("武进区 2026 年高新技术企业候选企业（评价日 2026-11-24）：共 3 家")
    assert "重新认定（现有资质至 2026-12-14）" in lines[1] and "重新认定企业" in lines[1]
    assert "溧阳企业" not in result.output


@pytest.mark.parametrize("args, message", [
    (["--target", "nobel", "--year", "2026"], "未知的目标梯次"),
    (["--year", "2026"], "请用 --target 指定目标梯次"),
    (["--target", "hnte", "--year", "2026", "--as-of", "2026-02-30"], "日期“2026-02-30”无效"),
    (["--target", "hnte", "--year", "二〇二六"], "评价年度"),
    (["--target", "hnte", "--year", "1999"], "评价年度须在"),
    (["--target", "hnte", "--district", "上海"], "未知的辖区"),
])
def test_bad_options_are_refused_in_chinese_with_exit_2(app, runner, args, message):
    result = run(runner, *args, "--json")
    assert result.exit_code == 2
    assert message in result.output
