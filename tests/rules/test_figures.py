"""The yearly-figure rule (tracker.rules.figures): fields, ranges, boundaries and every relation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tracker.rules import figures as rule

TODAY = dt.date(2026, 6, 15)


def test_every_field_has_a_chinese_label_and_a_known_kind():
    assert set(rule.FIELD_NAMES) == set(rule.FIELDS)
    assert {spec.kind for spec in rule.FIELDS.values()} == {"count", "money", "score", "flag"}
    assert rule.field_label("rd_expense") == "研发费用（万元）"
    assert rule.field_label("is_listed") == "是否上市"
    assert rule.FIELD_NAMES["hightech_revenue"] == "高新技术产品（服务）收入"


@pytest.mark.parametrize(
    ("relation", "part", "whole", "message"),
    [
        (0, "st_staff_count", "staff_count", "科技人员数不能大于职工总数"),
        (1, "rd_expense_domestic", "rd_expense", "境内研发费用不能大于研发费用"),
        (2, "hightech_revenue", "revenue", "高新技术产品（服务）收入不能大于营业收入"),
        (3, "rd_expense", "total_cost", "研发费用不能大于成本费用总额"),
    ],
)
def test_each_relation_refuses_a_part_above_its_whole_and_accepts_equal(relation, part, whole, message):
    assert rule.RELATIONS[relation] == (part, whole, message)
    assert rule.relation_errors({part: Decimal("500"), whole: Decimal("100")}) == {part: message}
    assert rule.relation_errors({part: Decimal("100"), whole: Decimal("100")}) == {}
    assert rule.relation_errors({part: Decimal("99.99"), whole: Decimal("100")}) == {}


def test_a_relation_with_an_unknown_side_is_not_checked():
    assert rule.relation_errors({"hightech_revenue": Decimal(500), "revenue": None}) == {}
    assert rule.relation_errors({"hightech_revenue": Decimal(500)}) == {}
    assert rule.relation_errors({}) == {}


def test_every_broken_relation_is_reported_and_the_first_message_of_a_field_is_kept():
    # rd_expense is the part of one relation and the whole of another.
    values = {"rd_expense_domestic": 9, "rd_expense": 8, "total_cost": 7, "st_staff_count": 3, "staff_count": 2}
    assert rule.relation_errors(values) == {
        "st_staff_count": "科技人员数不能大于职工总数",
        "rd_expense_domestic": "境内研发费用不能大于研发费用",
        "rd_expense": "研发费用不能大于成本费用总额",
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("staff_count", -1, "职工总数不能为负数"),
        ("staff_count", Decimal("12.5"), "职工总数须为整数"),
        ("staff_count", rule.MAX_COUNT + 1, "职工总数数值过大"),
        ("revenue", Decimal("-0.01"), "营业收入不能为负数"),
        ("revenue", Decimal("1.005"), "营业收入最多保留两位小数"),
        ("revenue", rule.MAX_MONEY + Decimal("0.01"), "数值过大，请核对单位是否为万元"),
        ("revenue", Decimal("1e30"), "数值过大"),
        ("revenue", Decimal("NaN"), "营业收入须为数字"),
        ("revenue", True, "营业收入须为数字"),
        ("innovation_score", Decimal("100.01"), "须在 0–100 分之间"),
        ("innovation_score", Decimal("70.555"), "最多保留两位小数"),
        ("is_listed", 1, "是否上市请选择“是”或“否”"),
    ],
)
def test_value_error_names_the_field_and_the_problem(name, value, message):
    assert message in rule.value_error(name, value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("staff_count", 0), ("staff_count", rule.MAX_COUNT), ("staff_count", Decimal("12.0")),
        ("revenue", Decimal(0)), ("revenue", rule.MAX_MONEY), ("revenue", Decimal("1.50")),
        ("revenue", Decimal("1.500")), ("innovation_score", Decimal(100)), ("innovation_score", Decimal(0)),
        ("is_listed", False), ("valuation", None),
    ],
)
def test_values_at_the_boundaries_are_accepted(name, value):
    assert rule.value_error(name, value) is None


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("staff_count", " 1,200 ", 1200),
        ("revenue", "8，000.5", Decimal("8000.50")),
        ("revenue", 7, Decimal("7.00")),
        ("innovation_score", "75.5", Decimal("75.50")),
        ("is_listed", "是", True), ("is_listed", "0", False), ("is_listed", True, True),
        ("total_assets", "", None), ("total_assets", "  ", None), ("total_assets", None, None),
    ],
)
def test_clean_value_reads_what_a_person_typed(name, raw, expected):
    value = rule.clean_value(name, raw)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [("revenue", "abc", "营业收入须为数字"), ("staff_count", "-3", "职工总数不能为负数"),
     ("is_listed", "maybe", "请选择“是”或“否”"), ("revenue", "1e20", "数值过大")],
)
def test_clean_value_refuses_with_a_chinese_message(name, raw, message):
    with pytest.raises(rule.FigureError) as caught:
        rule.clean_value(name, raw)
    assert message in caught.value.message


def test_year_range_runs_from_the_founding_year_or_1980_to_this_year():
    assert rule.year_range(None, TODAY) == (rule.EARLIEST_YEAR, 2026)
    assert rule.year_range(dt.date(2015, 6, 1), TODAY) == (2015, 2026)
    assert rule.year_range(dt.date(1970, 1, 1), TODAY) == (1980, 2026)
    assert rule.year_range(dt.date(2027, 1, 1), TODAY) == (2026, 2026)  # never an empty range


@pytest.mark.parametrize(
    ("year", "founded", "message"),
    [
        (2027, None, "年份须在 1980–2026 年之间"),
        (1979, None, "年份须在 1980–2026 年之间"),
        (2014, dt.date(2015, 6, 1), "年份不能早于企业成立年份（2015 年）"),
        (1979, dt.date(2015, 6, 1), "年份须在 2015–2026 年之间"),
    ],
)
def test_year_error(year, founded, message):
    assert rule.year_error(year, founded, TODAY) == message


def test_year_boundaries_are_accepted():
    assert rule.year_error(2026, None, TODAY) is None
    assert rule.year_error(1980, None, TODAY) is None
    assert rule.year_error(2015, dt.date(2015, 6, 1), TODAY) is None


def test_check_figures_reports_every_problem_at_once_and_skips_relations_of_refused_values():
    checked = rule.check_figures(
        {"staff_count": "-3", "st_staff_count": "5", "revenue": "x", "hightech_revenue": "500",
         "rd_expense": "10", "rd_expense_domestic": "11", "notes": "x" * (rule.MAX_NOTES + 1)},
        "1900", None, TODAY,
    )
    assert set(checked.errors) == {"year", "staff_count", "revenue", "rd_expense_domestic", "notes"}
    assert checked.errors["rd_expense_domestic"] == "境内研发费用不能大于研发费用"


def test_check_figures_of_the_import_bug_refuses_high_tech_revenue_above_revenue():
    checked = rule.check_figures({"revenue": "100", "hightech_revenue": "500"}, "2025", None, TODAY)
    assert checked.errors == {"hightech_revenue": "高新技术产品（服务）收入不能大于营业收入"}


def test_check_figures_cleans_values_and_notes():
    checked = rule.check_figures({"revenue": "100", "notes": "  年报 "}, " 2025 ", None, TODAY)
    assert checked.errors == {} and checked.year == 2025
    assert checked.values["revenue"] == Decimal("100.00") and checked.values["staff_count"] is None
    assert checked.values["notes"] == "年报"
    assert rule.check_figures({"notes": "x" * rule.MAX_NOTES}, "2025", None, TODAY).errors == {}
    assert "year" in rule.check_figures({}, "", None, TODAY).errors


@pytest.mark.parametrize("name", ["key_field", "major_incident"])
def test_hnte_declarations_are_yes_no_flags_unknown_when_empty(name):
    # Issue 16 defect 13: recorded per company and year, unknown until someone records them.
    assert rule.FIELDS[name].kind == "flag"
    assert rule.clean_value(name, "是") is True
    assert rule.clean_value(name, "否") is False
    assert rule.clean_value(name, "") is None
    with pytest.raises(rule.FigureError, match="请选择“是”或“否”"):
        rule.clean_value(name, "也许")


def test_hnte_declaration_labels():
    assert rule.FIELD_NAMES["key_field"] == "属于国家重点支持的高新技术领域"
    assert "重大安全" in rule.FIELD_NAMES["major_incident"]
