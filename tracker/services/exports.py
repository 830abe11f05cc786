"""Writing tables to CSV and xlsx, safely: the one place every export goes through.

`safe_cell` defuses formula injection (RELIABILITY.md "Exports safe"): a cell that starts with
= + - @, a tab or a carriage return is prefixed with an apostrophe, so Excel or WPS shows it as
text instead of running it. CSV is written as UTF-8 with a BOM because Excel otherwise opens
Chinese text as mojibake. The importers strip that apostrophe again, so an export re-imports as is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """The value, with text that a spreadsheet would treat as a formula prefixed by ``'``.

    Only strings are touched: numbers, dates and None are returned unchanged (a negative number
    is data, not a formula, and stays a number in xlsx).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_text(value: Any) -> str:
    value = safe_cell(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        # Plain notation: 1E+3 would re-import as text in some tools.
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return str(value)


def write_csv(stream: IO[str], headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a header row and the rows to a text stream (the caller adds the BOM); returns rows written."""
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([_csv_text(h) for h in headers])
    count = 0
    for row in rows:
        writer.writerow([_csv_text(v) for v in row])
        count += 1
    return count


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The table as CSV bytes, UTF-8 with a BOM (so Excel opens the Chinese text correctly)."""
    buffer = io.StringIO()
    write_csv(buffer, headers, rows)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # xlsx has no time zones; write the wall-clock time the user saw.
        return value.replace(tzinfo=None)
    return value


def write_xlsx(target: IO[bytes] | str | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]],
               sheet_title: str = "数据") -> int:
    """Write one sheet (write-only mode, so memory stays flat for large tables); returns rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "数据")
    sheet.append([_xlsx_value(h) for h in headers])
    count = 0
    for row in rows:
        cells = []
        for value in row:
            value = _xlsx_value(value)
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    workbook.save(target)
    return count


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet_title: str = "数据") -> bytes:
    """The table as the bytes of an xlsx file with one sheet."""
    buffer = io.BytesIO()
    write_xlsx(buffer, headers, rows, sheet_title)
    return buffer.getvalue()


def write_table(path: str | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                sheet_title: str = "数据") -> int:
    """Write to a file, as xlsx when its name ends in .xlsx and as CSV otherwise; returns rows written."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return write_xlsx(path, headers, rows, sheet_title)
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        return write_csv(stream, headers, rows)
