"""`flask import annual-reports FILE`: the HNTE annual reports filed (统一社会信用代码, 年度, 报送日期)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from tracker.services.certificates import annual_reports
from tracker.services.errors import ServiceError
from tracker.services.imports.spreadsheets import Limits

MAX_ISSUES_PRINTED = 200


@click.command("annual-reports")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report only; write nothing.")
@click.option("--mode", type=click.Choice(annual_reports.MODES), default="all", show_default=True,
              help="all: nothing is written if any row has an error; valid: write the valid rows.")
def import_annual_reports(file: Path, dry_run: bool, mode: str) -> None:
    """Import the HNTE annual reports filed (统一社会信用代码, 年度 = report year, 报送日期)."""
    try:
        report = annual_reports.import_filings(
            None, file.read_bytes(), file.name, dry_run=dry_run, mode=mode,
            limits=Limits.from_config(current_app.config),
        )
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    for issue in report.errors[:MAX_ISSUES_PRINTED]:
        value = f"“{issue.value}”" if issue.value else "（空）"
        click.echo(f"错误：第 {issue.row} 行，列“{issue.column}”，值 {value}：{issue.reason}")
    if len(report.errors) > MAX_ISSUES_PRINTED:
        click.echo(f"……另有 {len(report.errors) - MAX_ISSUES_PRINTED} 条错误未列出")
    click.echo(report.summary())
    if report.errors and not report.committed:
        raise SystemExit(1)


def register(app: Flask) -> None:
    """Add `annual-reports` to the `import` group (registered before this by tracker.imports.cli)."""
    app.cli.commands["import"].add_command(import_annual_reports)
