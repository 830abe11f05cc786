"""Writing tables to CSV and xlsx, safely and printably: the one place every export goes through.

`safe_cell` defuses formula injection (RELIABILITY.md "Exports safe"): a cell that starts with
= + - @, a tab or a carriage return is prefixed with an apostrophe, so Excel or WPS shows it as
text instead of running it. CSV is written as UTF-8 with a BOM because Excel otherwise opens
Chinese text as mojibake. The importers strip that apostrophe again, so an export re-imports as is.

`clean_text` makes any stored value writable: control characters (NUL, ESC, ... which the xlsx XML
cannot hold) and lone surrogates are dropped and a text longer than a spreadsheet cell holds is
cut, so an export never fails on a value already in the database.

Every xlsx sheet prints as an official would hand it on (`format_sheet`): a title row (what, whose
scope, as of when, which filters) above a bold, frozen header row with an autofilter, column widths
measured on the content (a CJK character counts double), real date and number cells, and a print
set-up: A4 landscape, fit to the page width, the title and header rows repeated on every page.
The importers skip such a title row, so an export in the import layout still re-imports as is.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import IO, Any, Iterable, Sequence
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from tracker import clock
from tracker.rules.districts import DISTRICT_NAMES

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Characters no xlsx (XML 1.0) cell can hold, DEL, and lone surrogates; tab, LF and CR are kept.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
CELL_MAX_CHARS = 32767  # Excel's limit for one cell
WIDTH_SAMPLE_ROWS = 1000  # rows measured for the column widths (the rest are streamed as they come)
MIN_WIDTH, MAX_WIDTH = 6, 60  # column widths in characters; longer text wraps
DATE_FORMAT, DATETIME_FORMAT, MONEY_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "#,##0.00"
TITLE_FONT, HEADER_FONT = Font(bold=True, size=14), Font(bold=True)


def clean_text(value: Any) -> Any:
    """A string with the characters a spreadsheet or document cannot hold removed (others unchanged)."""
    if isinstance(value, str):
        value = _UNWRITABLE.sub("", value)
        if len(value) > CELL_MAX_CHARS:
            value = value[: CELL_MAX_CHARS - 1] + "…"
    return value


def safe_cell(value: Any) -> Any:
    """The value, cleaned (`clean_text`), with text that a spreadsheet would treat as a formula
    prefixed by ``'``.

    Only strings are touched: numbers, dates and None are returned unchanged (a negative number
    is data, not a formula, and stays a number in xlsx).
    """
    value = clean_text(value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def scope_label(user: Any) -> str:
    """Whose records an export holds, in Chinese: 全市, a district, or an officer's own companies."""
    if user is None or getattr(user, "is_admin", False):
        return "全市"
    if getattr(user, "is_manager", False):
        return DISTRICT_NAMES.get(user.district or "", user.district or "")
    return f"{getattr(user, 'name', '') or '本人'}负责的企业"


def title_line(what: str, scope: str | None = None, as_of: dt.date | dt.datetime | None = None,
               filters: str | Sequence[str] | None = None) -> str:
    """The title row of an export: 企业名单（武进区，截至 2026-11-24，筛选：产业领域=新材料）."""
    parts = [p for p in (scope,) if p]
    if as_of is not None:
        day = as_of.date() if isinstance(as_of, dt.datetime) else as_of
        parts.append(f"截至 {day.isoformat()}")
    if filters:
        text = filters if isinstance(filters, str) else "；".join(f for f in filters if f)
        if text:
            parts.append(f"筛选：{text}")
    return f"{what}（{'，'.join(parts)}）" if parts else what


def content_disposition(filename: str, fallback: str) -> str:
    """`attachment` with an ASCII fallback name and the real (Chinese) name as RFC 5987 filename*."""
    return f"attachment; filename={fallback}; filename*=UTF-8''{quote(clean_text(filename))}"


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


def display_width(value: Any) -> int:
    """How many character widths a value takes in a spreadsheet: CJK and full-width count double."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 16
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, float):
        text = f"{value:,.2f}"
    elif isinstance(value, Decimal):
        text = f"{value:,.2f}"
    else:
        text = str(value)
    longest = max(text.split("\n"), key=len) if "\n" in text else text
    # Capital letters are wider than the digit a width unit measures (credit codes are all capitals).
    return round(sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else (1.2 if ch.isupper() else 1)
                     for ch in longest))


def column_widths(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[float]:
    """Widths that fit the header and the measured rows, within MIN_WIDTH–MAX_WIDTH (+2 for padding)."""
    widths = [display_width(h) for h in headers]
    for row in rows:
        for index, value in enumerate(row):
            if index >= len(widths):
                widths.append(0)
            widths[index] = max(widths[index], display_width(value))
    return [float(min(MAX_WIDTH, max(MIN_WIDTH, w + 2))) for w in widths]


def number_format(value: Any) -> str | None:
    """The cell format of a value: dates as yyyy-mm-dd, money (Decimal) with two decimals."""
    if isinstance(value, dt.datetime):
        return DATETIME_FORMAT
    if isinstance(value, dt.date):
        return DATE_FORMAT
    if isinstance(value, Decimal):
        return MONEY_FORMAT
    return None


def autofilter(sheet: Worksheet, header_row: int, columns: int, last_row: int) -> None:
    """An autofilter over the table from its header row down to its last row."""
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(max(columns, 1))}{max(last_row, header_row)}"


def print_setup(sheet: Worksheet, header_row: int) -> None:
    """Freeze below the header and print A4 landscape at the page's width with the rows down to
    the header repeated on every page. On a write-only sheet: call it before the first row."""
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"1:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = 9  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.gridLines = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4


def _needs_wrap(value: Any) -> bool:
    return isinstance(value, str) and display_width(value) + 2 > MAX_WIDTH


def _styled(sheet: Worksheet, value: Any, font: Font | None) -> Any:
    """A write-only cell with the font, number format and wrapping a value needs (else the value)."""
    fmt, wrap = number_format(value), _needs_wrap(value)
    if font is None and fmt is None and not wrap:
        return value
    made = WriteOnlyCell(sheet, value=value)
    if font is not None:
        made.font = font
    if fmt:
        made.number_format = fmt
    if wrap:
        made.alignment = Alignment(wrap_text=True, vertical="top")
    return made


def _append(sheet: Worksheet, values: Sequence[Any], font: Font | None = None) -> None:
    if not hasattr(sheet, "cell"):  # write-only: styles travel with the cells
        sheet.append([_styled(sheet, v, font) for v in values])
        return
    sheet.append(list(values))
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        target = sheet.cell(row=row, column=column)
        if font is not None:
            target.font = font
        fmt = number_format(value)
        if fmt:
            target.number_format = fmt
        if _needs_wrap(value):
            target.alignment = Alignment(wrap_text=True, vertical="top")


def _title(sheet: Worksheet, title: Any, columns: int, table_width: float) -> None:
    """Row 1: the title in bold. On a normal sheet it is merged across the table and wraps (so it
    prints whole even above a narrow table); a write-only sheet cannot merge, so the title runs on
    into the empty cells beside it."""
    if not hasattr(sheet, "cell"):
        made = WriteOnlyCell(sheet, value=title)
        made.font = TITLE_FONT
        sheet.append([made])
        return
    sheet.append([title])
    cell = sheet.cell(row=1, column=1)
    cell.font = TITLE_FONT
    if columns > 1:
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    lines = max(1, -(-display_width(title) * 1.4 // max(table_width, 1)))  # 14 pt: 1.4 widths a character
    sheet.row_dimensions[1].height = 20 * lines


def write_sheet(sheet: Worksheet, headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> int:
    """Fill an empty sheet (normal or write-only) with a title row, a bold header row and the rows,
    formatted to print (`print_setup`); returns the rows written. Streams: only the first
    WIDTH_SAMPLE_ROWS rows are held in memory, to measure the column widths."""
    iterator = iter(rows)
    sample = [[_xlsx_value(v) for v in row] for row in islice(iterator, WIDTH_SAMPLE_ROWS)]
    header_values = [_xlsx_value(h) for h in headers]
    widths = column_widths(header_values, sample)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    print_setup(sheet, 2)
    _title(sheet, _xlsx_value(title), len(widths), sum(widths))
    _append(sheet, header_values, HEADER_FONT)
    count = 0
    for values in sample:
        _append(sheet, values)
        count += 1
    for row in iterator:
        _append(sheet, [_xlsx_value(v) for v in row])
        count += 1
    autofilter(sheet, 2, len(widths), 2 + count)
    return count


def write_xlsx(target: IO[bytes] | str | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]],
               sheet_title: str = "数据", *, title: str | None = None) -> int:
    """Write one sheet (write-only mode, so memory stays flat for large tables) with a title row
    (`title`, else the sheet's name and today's date) above the header; returns rows written."""
    workbook = Workbook(write_only=True)
    name = clean_text(sheet_title)[:31] or "数据"
    sheet = workbook.create_sheet(title=name)
    if title is None:
        title = title_line(name, None, clock.today())
    count = write_sheet(sheet, headers, rows, title)
    workbook.save(target)
    return count


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], sheet_title: str = "数据", *,
               title: str | None = None) -> bytes:
    """The table as the bytes of an xlsx file with one sheet (title row, header, rows)."""
    buffer = io.BytesIO()
    write_xlsx(buffer, headers, rows, sheet_title, title=title)
    return buffer.getvalue()


def write_table(path: str | Path, headers: Sequence[str], rows: Iterable[Sequence[Any]],
                sheet_title: str = "数据", *, title: str | None = None) -> int:
    """Write to a file, as xlsx when its name ends in .xlsx and as CSV otherwise; returns rows written."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return write_xlsx(path, headers, rows, sheet_title, title=title)
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        return write_csv(stream, headers, rows)
