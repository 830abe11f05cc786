"""Flask commands: `flask import companies|designations|figures|tracks FILE` and `flask export ... FILE`.

The CLI runs as the system (no user): it sees every live company. It prints the same per-row
report as the upload page and exits non-zero when there were errors and nothing was written
(so always in mode `all` when a row is refused, and after any dry run that found an error).
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from tracker.rules.import_formats import KIND_NAMES
from tracker.services.errors import ServiceError
from tracker.services.imports import importer
from tracker.services.imports.exporter import export_kind
from tracker.services.imports.spreadsheets import Limits

MAX_ISSUES_PRINTED = 200


def _print_report(report: importer.ImportReport) -> None:
    click.echo(f"文件：{report.filename}（{report.kind_name}）")
    if report.ignored_columns:
        click.echo(f"已忽略无法识别的列：{'、'.join(report.ignored_columns)}")
    for label, issues in (("错误", report.errors), ("提示", report.warnings)):
        for issue in issues[:MAX_ISSUES_PRINTED]:
            value = f"“{issue.value}”" if issue.value else "（空）"
            click.echo(f"{label}：第 {issue.row} 行，列“{issue.column}”，值 {value}：{issue.reason}")
        if len(issues) > MAX_ISSUES_PRINTED:
            click.echo(f"……另有 {len(issues) - MAX_ISSUES_PRINTED} 条{label}未列出")
    if not report.dry_run and report.mode == "all" and report.has_errors:
        click.echo("导入方式为“全部正确才导入”：因存在错误，未写入任何数据")
    click.echo(report.summary())


def _import_command(kind: str):
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check and report only; write nothing.")
    @click.option("--mode", type=click.Choice(importer.MODES), default="all", show_default=True,
                  help="all: nothing is written if any row has an error; valid: write the valid rows.")
    def command(file: Path, dry_run: bool, mode: str) -> None:
        try:
            report = importer.run_import(
                kind, file.read_bytes(), file.name, actor=None, dry_run=dry_run, mode=mode,
                limits=Limits.from_config(current_app.config),
            )
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        _print_report(report)
        if report.has_errors and not report.committed:
            raise SystemExit(1)

    command.__doc__ = f"Import {kind} ({KIND_NAMES[kind]}) from a CSV or xlsx file (docs/DOMAIN.md §8)."
    return command


def register(app: Flask) -> None:
    """Add the `import` and `export` command groups to the app's CLI."""

    @app.cli.group("import")
    def import_group() -> None:
        """Import companies, designations, yearly figures or cultivation lists (dry run, then commit)."""

    @app.cli.group("export")
    def export_group() -> None:
        """Export companies, designations, yearly figures or cultivation lists in the import layout."""

    for kind in importer.KINDS:
        import_group.command(kind)(_import_command(kind))

        def make_export(kind=kind):
            @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
            def command(file: Path) -> None:
                count = export_kind(kind, file)
                click.echo(f"已导出 {count} 行到 {file}")

            command.__doc__ = f"Export {kind} to FILE (.xlsx, otherwise CSV with BOM)."
            return command

        export_group.command(kind)(make_export())
