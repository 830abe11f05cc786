"""Import formats: header aliases, dates in every accepted form, numbers, booleans, industries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tracker.models.company import CompanyYearFigures
from tracker.rules import figures as figure_rules
from tracker.rules import import_formats as fmt


@pytest.mark.parametrize("text", [
    "2024-03-05", "2024/03/05", "2024/3/5", "2024-3-5", "2024年3月5日", "2024年03月05日", " 2024 年 3 月 5 日 ",
    "2024.03.05", "2024-03-05 00:00:00", "２０２４－０３－０５", "'2024-03-05",
])
def test_dates_in_every_accepted_text_form(text):
    assert fmt.parse_date(text) == dt.date(2024, 3, 5)


def test_date_and_datetime_cells_and_excel_serials():
    assert fmt.parse_date(dt.datetime(2024, 3, 5, 14, 30)) == dt.date(2024, 3, 5)
    assert fmt.parse_date(dt.date(2024, 3, 5)) == dt.date(2024, 3, 5)
    assert fmt.parse_date(45356) == dt.date(2024, 3, 5)
    assert fmt.parse_date(45356.75) == dt.date(2024, 3, 5)  # time of day dropped
    assert fmt.parse_date("45356") == dt.date(2024, 3, 5)  # a serial that reached a CSV as text
    assert fmt.parse_date(61) == dt.date(1900, 3, 1)
    assert fmt.parse_date(1) == dt.date(1900, 1, 1)
    assert fmt.parse_date(None) is None and fmt.parse_date("  ") is None


@pytest.mark.parametrize("text", ["2024-02-30", "2023年2月29日", "2024-13-01", "05/03/2024", "明天", "20240305", "60", True])
def test_bad_dates_are_refused_with_a_chinese_reason(text):
    with pytest.raises(fmt.CellError) as info:
        fmt.parse_date(text)
    assert "日期" in info.value.reason


def test_header_aliases_chinese_english_full_width_and_roman_numerals():
    hmap = fmt.map_headers(
        fmt.FIGURE_COLUMNS,
        ["\ufeff统一社会信用代码", "year", "营业收入（万元）", "Ⅰ类知识产权数", "II类知识产权数", " 职工总数 ", "备注", "年份"],
    )
    assert hmap.positions == {
        "uscc": 0, "year": 1, "revenue": 2, "ip_class1_count": 3, "ip_class2_count": 4, "staff_count": 5,
    }
    assert hmap.headers["revenue"] == "营业收入（万元）"
    assert hmap.unknown == ["备注"]
    assert hmap.duplicated == ["年份"]
    assert hmap.missing == []


def test_missing_required_columns_are_named():
    hmap = fmt.map_headers(fmt.DESIGNATION_COLUMNS, ["uscc", "编号"])
    assert [c.header for c in hmap.missing] == ["资质类型"]


def test_figure_columns_follow_the_model_fields_in_order():
    figure_fields = [c.field for c in fmt.FIGURE_COLUMNS][3:]
    assert tuple(figure_fields) == CompanyYearFigures.FIELDS
    assert tuple(figure_rules.FIELDS) == CompanyYearFigures.FIELDS  # the rule the importer applies


@pytest.mark.parametrize("header", ["资质类型", "kind", "类型", " KIND "])
def test_the_rung_column_keeps_its_chinese_header_and_english_alias(header):
    hmap = fmt.map_headers(fmt.DESIGNATION_COLUMNS, ["uscc", header, "认定日期"])
    assert hmap.positions == {"uscc": 0, "rung": 1, "granted_on": 2} and hmap.missing == []
    assert fmt.template_headers("designations")[2] == "资质类型"


def test_numbers():
    assert fmt.parse_int("1,234") == 1234
    assert fmt.parse_int(12.0) == 12
    assert fmt.parse_decimal("1,234.567") == Decimal("1234.57")
    assert fmt.parse_decimal(0.1) == Decimal("0.10")
    assert fmt.parse_decimal("") is None
    for bad in ("12.5", "-3", "十二"):
        with pytest.raises(fmt.CellError):
            fmt.parse_int(bad)
    for bad in ("abc", "-1", "NaN", "1e30"):
        with pytest.raises(fmt.CellError):
            fmt.parse_decimal(bad)


def test_booleans_years_and_industries():
    assert fmt.parse_bool("是") is True and fmt.parse_bool("否") is False and fmt.parse_bool("Yes") is True
    assert fmt.parse_bool(None) is None
    with pytest.raises(fmt.CellError, match="是”或“否"):
        fmt.parse_bool("也许")
    assert fmt.parse_year("2024年") == 2024 and fmt.parse_year(2024.0) == 2024
    with pytest.raises(fmt.CellError, match="年度"):
        fmt.parse_year("24")
    assert fmt.parse_industry("生物医药") == "生物技术与医药"
    assert fmt.parse_industry("新能源（及相关材料）") == "新能源"
    with pytest.raises(fmt.CellError, match="未知的产业领域"):
        fmt.parse_industry("房地产")


def test_formula_guard_of_the_exporter_is_undone_and_text_is_bounded():
    assert fmt.clean_text("'=SUM(A1)") == "=SUM(A1)"
    assert fmt.clean_text("'普通文本") == "'普通文本"
    assert fmt.clean_text(" 溧阳 ") == "溧阳"
    assert fmt.clean_text(1234.0) == "1234"
    with pytest.raises(fmt.CellError, match="内容过长"):
        fmt.clean_text("x" * 11, max_length=10)


# --- money units (defect 15): 元 read as 万元 --------------------------------------------------

@pytest.mark.parametrize("header, unit", [
    ("营业收入(元)", "元"), ("营业收入（元）", "元"), ("营业收入(千元)", "千元"), ("营业收入(万元)", "万元"),
    ("营业收入(亿元)", "亿元"), ("销售收入（单位：元）", "元"), ("revenue(元)", "元"), ("营业收入", None),
    ("高新技术产品(服务)收入(元)", "元"),
])
def test_money_headers_carry_their_unit(header, unit):
    hmap = fmt.map_headers(fmt.FIGURE_COLUMNS, ["uscc", "year", header])
    field = "hightech_revenue" if header.startswith("高新") else "revenue"
    assert hmap.positions[field] == 2 and hmap.unknown == []
    assert hmap.units.get(field) == unit


def test_a_unit_on_a_column_that_is_not_money_is_not_a_money_header():
    hmap = fmt.map_headers(fmt.FIGURE_COLUMNS, ["uscc", "year", "职工总数(元)", "创新能力评价得分(元)"])
    assert hmap.unknown == ["职工总数(元)", "创新能力评价得分(元)"] and hmap.units == {}


@pytest.mark.parametrize("unit, cell, expected", [
    ("元", "85,000,000", Decimal("8500.00")), ("元", 12345.0, Decimal("1.23")), ("千元", "85000", Decimal("8500.00")),
    ("万元", "8500.5", Decimal("8500.50")), (None, 8500, Decimal("8500.00")), ("亿元", "0.85", Decimal("8500.00")),
    ("元", "", None),
])
def test_money_is_converted_to_ten_thousand_yuan(unit, cell, expected):
    column = next(c for c in fmt.FIGURE_COLUMNS if c.field == "revenue")
    assert fmt.parse_cell(column, cell, unit=unit) == expected


def test_money_converted_beyond_the_column_bound_is_refused():
    with pytest.raises(fmt.CellError, match="数值过大"):
        fmt.parse_money("99999999999", "亿元")
    with pytest.raises(fmt.CellError, match="不能小于"):
        fmt.parse_money("-5", "元")


def test_implausible_money_is_a_warning_naming_the_assumed_unit():
    assert fmt.implausible_money({"revenue": Decimal("8500"), "rd_expense": Decimal("600")}, {}) == {}
    found = fmt.implausible_money({"revenue": Decimal("85000000")}, {})
    assert set(found) == {"revenue"}
    assert "表头未注明单位，已按万元读取" in found["revenue"] and "营业收入(元)" in found["revenue"]
    explicit = fmt.implausible_money({"revenue": Decimal("85000000")}, {"revenue": "万元"})
    assert "表头未注明单位" not in explicit["revenue"] and "10000000" in explicit["revenue"]
    # R&D expense in 元 beside revenue in 万元: more than ten times the revenue.
    mixed = fmt.implausible_money({"revenue": Decimal("8500"), "rd_expense": Decimal("600000")}, {})
    assert set(mixed) == {"rd_expense"} and "10 倍" in mixed["rd_expense"]
    assert fmt.implausible_money({"revenue": Decimal("0"), "rd_expense": Decimal("60")}, {}) == {}
    # Each money column has a documented bound.
    money = [c.field for c in fmt.FIGURE_COLUMNS if c.kind == "money"]
    assert set(money) == set(fmt.MONEY_PLAUSIBLE_MAX)


# --- the cultivation list (培育名单) ----------------------------------------------------------

@pytest.mark.parametrize("cell, code", [
    ("储备", "pool"), ("重点培育", "key"), ("已申报", "submitted"), ("已认定", "recognized"), ("未通过", "rejected"),
    ("退出", "withdrawn"), ("pool", "pool"), (" KEY ", "key"), ("", None),
])
def test_track_status_from_its_chinese_name_or_code(cell, code):
    assert fmt.parse_status(cell) == code


def test_unknown_track_status_names_the_choices():
    with pytest.raises(fmt.CellError, match="未知的培育状态：待定（可选：储备、重点培育、已申报、已认定、未通过、退出）"):
        fmt.parse_status("待定")


def test_track_columns_and_aliases():
    hmap = fmt.map_headers(fmt.TRACK_COLUMNS, ["统一社会信用代码", "目标资质", "年度", "状态", "备注"])
    assert hmap.positions == {"uscc": 0, "target_rung": 1, "year": 2, "status": 3, "note": 4} and hmap.missing == []
    english = fmt.map_headers(fmt.TRACK_COLUMNS, ["uscc", "target", "year", "status", "note"])
    assert english.positions == hmap.positions
    assert fmt.KIND_NAMES["tracks"] == "培育名单"
    assert fmt.template_headers("tracks") == ["统一社会信用代码", "企业名称", "目标资质", "年度", "状态", "备注"]


def test_revenue_per_employee_beyond_any_company_is_a_warning():
    assert fmt.implausible_money({"revenue": Decimal("900000"), "staff_count": 100}, {}) == {}
    found = fmt.implausible_money({"revenue": Decimal("5000000"), "staff_count": 20}, {})
    assert "每名职工" in found["revenue"]


@pytest.mark.parametrize("text", ["甲\x00公司", "\x07", "名称\x1b"])
def test_invisible_control_characters_are_refused(text):
    with pytest.raises(fmt.CellError, match="控制字符"):
        fmt.clean_text(text)
    # Line breaks only where the form has a text area (a note); a name is one line (issue 12 item 13).
    assert fmt.clean_text("第一行\r\n第二行\t", multiline=True) == "第一行\r\n第二行"
    with pytest.raises(fmt.CellError, match="换行"):
        fmt.clean_text("第一行\r\n第二行")
