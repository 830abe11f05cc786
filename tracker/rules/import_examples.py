"""An example row for each import kind's template (导入模板填写示例), with what each column takes.

The template's second sheet shows it; the importers read the first sheet only, so the example is
never imported by mistake. Values are in the shapes the importers accept (docs/DOMAIN.md §5).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tracker.rules.import_formats import COLUMNS_BY_KIND, Column
from tracker.rules.uscc import make_code

EXAMPLE_USCC = make_code("9132041200000012")

_BY_FIELD: dict[str, Any] = {
    "uscc": EXAMPLE_USCC, "name": "常州示例智能科技有限公司", "company_name": "常州示例智能科技有限公司",
    "district": "武进区", "industry": "智能制造", "founded_on": dt.date(2019, 5, 20),
    "attracted_on": dt.date(2024, 3, 1), "attraction_channel": "载体招引", "channel": "载体招引",
    "address": "常州市武进区常武中路18号", "contact_name": "张三", "contact_phone": "0519-86123456",
    "latitude": 31.71, "longitude": 119.95, "rung": "高新技术企业", "target_rung": "高新技术企业",
    "reference": "GR202432001234", "granted_on": dt.date(2024, 11, 28), "valid_from": dt.date(2024, 11, 28),
    "batch": "2024年第二批", "year": 2025, "status": "储备", "note": "拟于下年度申报",
    "kind": "研发费用加计扣除", "amount": 120.5, "occurred_on": dt.date(2025, 5, 31),
    "source": "科技局", "signed_on": dt.date(2025, 4, 10), "lead_officer": "officer@example.com",
    "is_listed": "否", "key_field": "是", "major_incident": "否", "innovation_score": 78.5,
}
_BY_KIND_FIELD: dict[tuple[str, str], Any] = {
    ("attractions", "name"): "新能源电池材料项目", ("attractions", "status"): "在谈",
}
_BY_TYPE: dict[str, Any] = {"int": 50, "money": 1234.56, "decimal": 12.5, "year": 2025, "bool": "否"}
_HINTS: dict[str, str] = {
    "date": "日期：2025-03-15、2025/3/15 或 2025年3月15日", "int": "整数", "money": "金额，单位万元（表头可注明元/千元/亿元）",
    "decimal": "数字", "year": "四位年份", "bool": "是 / 否", "latitude": "纬度（小数）", "longitude": "经度（小数）",
}


def example_value(kind: str, column: Column) -> Any:
    """The example cell of one column (None: left empty in the example)."""
    if (kind, column.field) in _BY_KIND_FIELD:
        return _BY_KIND_FIELD[(kind, column.field)]
    if column.field in _BY_FIELD:
        return _BY_FIELD[column.field]
    return _BY_TYPE.get(column.kind)


def example_row(kind: str) -> list[Any]:
    """One filled-in row of `kind`, in the template's column order."""
    return [example_value(kind, c) for c in COLUMNS_BY_KIND[kind]]


def column_hints(kind: str) -> list[str]:
    """Per column: 必填 / 选填 and the shape it takes."""
    hints = []
    for column in COLUMNS_BY_KIND[kind]:
        shape = "文本，请设为文本格式" if column.field == "uscc" else _HINTS.get(column.kind, "文本")
        hints.append(f"{'必填' if column.required else '选填'}；{shape}")
    return hints
