"""Builders of import files for the import tests (CSV in any encoding, xlsx with real date cells)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Sequence

from openpyxl import Workbook

from tracker.rules.uscc import make_code


def code(n: int, area: str = "320412") -> str:
    """A valid credit code, different for each n."""
    return make_code(f"91{area}MA{n:07d}")


def csv_file(header: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str = "utf-8-sig") -> bytes:
    """CSV bytes in the given encoding (utf-8-sig adds the BOM, utf-8 does not)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue().encode(encoding)


def xlsx_file(header: Sequence[str], rows: Sequence[Sequence[Any]], date_format: str = "yyyy-mm-dd") -> bytes:
    """An xlsx whose date values are real Excel date cells."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if isinstance(cell.value, (dt.date, dt.datetime)):
                cell.number_format = date_format
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


COMPANY_HEADER = ["统一社会信用代码", "企业名称", "所属辖区", "产业领域", "成立日期", "招引落户日期"]
DESIGNATION_HEADER = ["统一社会信用代码", "企业名称", "资质类型", "编号", "认定日期", "有效期起", "有效期至", "批次"]


def company_rows(count: int, start: int = 1) -> list[list[Any]]:
    """`count` valid company rows spread over three districts."""
    districts = ["武进区", "溧阳", "新北区"]
    return [
        [code(n), f"导入企业{n}", districts[n % 3], "新材料", "2015-06-01", "2023-03-15"]
        for n in range(start, start + count)
    ]
