"""`flask backup PATH` and `flask restore PATH [--force]`."""

from __future__ import annotations

import click
from flask import Flask

from tracker.extensions import db
from tracker.services.errors import ServiceError
from tracker.services.ops import backup


def register(app: Flask) -> None:
    """Add the backup and restore commands to the app's CLI."""

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False))
    def backup_database(path: str) -> None:
        """Copy the whole database to PATH (pg_dump custom format, or an SQLite file)."""
        try:
            result = backup.backup(db.engine, path)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        rows = sum(result.counts.values())
        click.echo(f"已备份到 {result.path}（{result.size} 字节，{len(result.counts)} 张表，共 {rows} 行）")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--force", is_flag=True, help="Replace a database that already holds data.")
    def restore_database(path: str, force: bool) -> None:
        """Restore the database from a backup made by `flask backup`."""
        try:
            counts = backup.restore(db.engine, path, force=force)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"已从 {path} 恢复：{len(counts)} 张表，共 {sum(counts.values())} 行")
