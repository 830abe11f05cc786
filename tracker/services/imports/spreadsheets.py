"""Reading an uploaded table (CSV or xlsx) safely into header + rows.

An xlsx is a zip archive: before openpyxl parses it, the archive's directory is checked for the
total uncompressed size and the number of entries, so a small file that expands to gigabytes (a
"zip bomb") is refused at once without decompressing anything. Python's zipfile never returns
more bytes than an entry declares, so an entry lying about its size only yields a truncated,
unreadable part, which is reported like any damaged file. openpyxl parses the XML through
defusedxml (installed from requirements), which refuses entity-expansion attacks.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook

from tracker.services.errors import ServiceError

DEFAULT_MAX_UNCOMPRESSED = 50 * 1024 * 1024
DEFAULT_MAX_ENTRIES = 1000
DEFAULT_MAX_ROWS = 200_000


class UnreadableFile(ServiceError):
    """The file as a whole cannot be imported (format, size, encoding, damage)."""


@dataclass
class Limits:
    """Upper bounds for one file; the app's IMPORT_MAX_* settings override the defaults."""

    max_uncompressed: int = DEFAULT_MAX_UNCOMPRESSED
    max_entries: int = DEFAULT_MAX_ENTRIES
    max_rows: int = DEFAULT_MAX_ROWS

    @classmethod
    def from_config(cls, config: Any) -> "Limits":
        """Limits from a Flask config mapping (missing keys keep the defaults)."""
        return cls(
            max_uncompressed=int(config.get("IMPORT_MAX_UNCOMPRESSED", DEFAULT_MAX_UNCOMPRESSED)),
            max_entries=int(config.get("IMPORT_MAX_ENTRIES", DEFAULT_MAX_ENTRIES)),
            max_rows=int(config.get("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)),
        )


@dataclass
class Table:
    """A file's first sheet: the header row and the data rows with their spreadsheet row numbers."""

    header: list[Any]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)
    encoding: str | None = None
    file_format: str = "csv"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse an xlsx whose archive is damaged, has too many entries or expands beyond the limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_entries:
                raise UnreadableFile(
                    f"xlsx 文件包含 {len(entries)} 个内部条目，超过上限 {limits.max_entries}，已拒绝导入"
                )
            total = sum(info.file_size for info in entries)
            if total > limits.max_uncompressed:
                raise UnreadableFile(
                    f"xlsx 文件解压后约 {_megabytes(total)}，超过上限 {_megabytes(limits.max_uncompressed)}，"
                    "已拒绝导入（请拆分文件或另存为 CSV）"
                )
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("文件不是有效的 xlsx 文件（无法打开压缩包）") from exc


def _decode(data: bytes) -> tuple[str, str]:
    # Excel's "CSV UTF-8" adds a BOM; plain "CSV" from Chinese Windows is GB18030 (a superset of GBK).
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise UnreadableFile("无法识别文件编码：请另存为 UTF-8 编码的 CSV 或 xlsx 文件") from exc


def _trim(row: list[Any]) -> list[Any]:
    while row and (row[-1] is None or (isinstance(row[-1], str) and not row[-1].strip())):
        row.pop()
    return row


def _is_title_row(row: list[Any]) -> bool:
    """A first row with one text cell only: an export's title (every import kind has several columns)."""
    filled = [v for v in row if v is not None and str(v).strip()]
    return len(filled) == 1 and isinstance(row[0], str) and bool(row[0].strip())


def read_csv(data: bytes, limits: Limits) -> Table:
    """Parse CSV bytes (UTF-8 with or without BOM, else GB18030); row 1 is the header."""
    text, encoding = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    table: Table | None = None
    try:
        for number, row in enumerate(reader, start=1):
            if table is None:
                table = Table(header=list(row), encoding=encoding, file_format="csv")
                continue
            row = _trim(list(row))
            if not row:
                continue
            if len(table.rows) >= limits.max_rows:
                raise UnreadableFile(f"文件超过 {limits.max_rows} 行数据的上限，请拆分后分批导入")
            table.rows.append((number, row))
    except csv.Error as exc:
        raise UnreadableFile(f"CSV 格式错误：{exc}") from exc
    if table is None:
        raise UnreadableFile("文件是空的：第一行应为表头")
    return table


def read_xlsx(data: bytes, limits: Limits) -> Table:
    """Parse the first sheet of an xlsx after the zip checks; row 1 is the header (row 2 after a title row)."""
    check_zip(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001  openpyxl raises many kinds for a damaged file
        raise UnreadableFile("xlsx 文件已损坏或格式不受支持，无法读取") from exc
    try:
        if not workbook.worksheets:
            raise UnreadableFile("xlsx 文件中没有工作表")
        sheet = workbook.worksheets[0]
        table: Table | None = None
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            row = _trim(list(values))
            if table is None and number == 1 and _is_title_row(row):
                continue  # the title row of our own exports (tracker.services.exports): the header is next
            if table is None:
                table = Table(header=row, file_format="xlsx")
                continue
            if not row:
                continue
            if len(table.rows) >= limits.max_rows:
                raise UnreadableFile(f"文件超过 {limits.max_rows} 行数据的上限，请拆分后分批导入")
            table.rows.append((number, row))
    except UnreadableFile:
        raise
    except Exception as exc:  # noqa: BLE001  damaged XML inside a valid zip
        raise UnreadableFile("xlsx 文件已损坏或格式不受支持，无法读取") from exc
    finally:
        workbook.close()
    if table is None or not any(h is not None for h in table.header):
        raise UnreadableFile("文件是空的：第一行应为表头")
    return table


def read_table(data: bytes, filename: str, limits: Limits | None = None) -> Table:
    """Read CSV or xlsx by content (a zip is an xlsx) and name; refuse other formats clearly."""
    limits = limits or Limits()
    name = (filename or "").lower()
    if name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise UnreadableFile("不支持旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 或 CSV")
    if data[:2] == b"PK" or name.endswith(".xlsx"):
        return read_xlsx(data, limits)
    if not data.strip():
        raise UnreadableFile("文件是空的：第一行应为表头")
    return read_csv(data, limits)
