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
