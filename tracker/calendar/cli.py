"""`flask calendar load FILE` and `flask calendar window YEAR OPENS CLOSES`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.services.calendar import notices, windows
from tracker.services.errors import ServiceError


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"“{value}”不是有效日期（格式应为 YYYY-MM-DD）") from exc


def register(app: Flask) -> None:
    """Add the `calendar` command group."""
    group = AppGroup("calendar", help="Holiday notices (节假日安排) and tech SME evaluation windows.")

    @group.command("load")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--source", default=None, help="Where the notice comes from (default: the file's name).")
    def load(file: Path, source: str | None) -> None:
        """Load a year's State Council notice from FILE (CSV or xlsx: 日期, 类型 (放假/上班), 名称)."""
        try:
            result = notices.load_notice(None, data=file.read_bytes(), filename=file.name, source=source or file.name)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        replaced = f"（替换了此前导入的 {result.replaced} 天）" if result.replaced else ""
        click.echo(f"已导入{result.year}年节假日安排：放假 {result.holidays} 天，调休上班 {result.workdays} 天{replaced}")

    @group.command("window")
    @click.argument("year", type=int)
    @click.argument("opens")
    @click.argument("closes")
    @click.option("--source", default="", help="Where the dates come from.")
    def window(year: int, opens: str, closes: str, source: str) -> None:
        """Record or change YEAR's tech SME evaluation window, OPENS to CLOSES (YYYY-MM-DD)."""
        try:
            saved = windows.set_window(None, year, _date(opens), _date(closes), source)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"已保存{saved.year}年科技型中小企业评价窗口：{saved.opens_on.isoformat()} 至 {saved.closes_on.isoformat()}")

    app.cli.add_command(group)
