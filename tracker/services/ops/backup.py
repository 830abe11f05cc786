"""Backup and restore of the whole database (备份与恢复).

PostgreSQL: pg_dump / pg_restore in their custom format, found on PATH (the client version must be
at least the server's). SQLite: the sqlite3 online-backup API, which copies a consistent snapshot
even while the web process and the worker keep writing (a plain file copy of a WAL database may not).
A restore refuses a target that already holds rows unless forced, so a mistyped DATABASE_URL cannot
overwrite live data.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select, table
from sqlalchemy.engine import Engine, make_url

from tracker.services.errors import ServiceError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
IGNORED_TABLES = {"alembic_version"}  # present in every migrated database, rows or not


@dataclass
class BackupResult:
    path: Path
    size: int
    counts: dict[str, int]


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the database behind `engine` (every table, alembic_version included)."""
    names = sorted(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {name: conn.scalar(select(func.count()).select_from(table(name))) for name in names}


def holds_data(engine: Engine) -> bool:
    """True when any application table has a row."""
    return any(n for name, n in table_counts(engine).items() if name not in IGNORED_TABLES)


def _sqlite_path(engine: Engine) -> str:
    database = make_url(str(engine.url)).database
    if not database or database == ":memory:":
        raise ServiceError("内存中的 SQLite 数据库无法备份")
    return database


def _pg_connection(engine: Engine) -> tuple[str, dict[str, str]]:
    # The password goes in the environment, not the command line, where `ps` would show it.
    url = make_url(engine.url.render_as_string(hide_password=False))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return dsn, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServiceError(f"找不到 {name}：请安装 PostgreSQL 客户端（版本不低于服务器）并加入 PATH")
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ServiceError(f"{Path(command[0]).name} 失败：{result.stderr.strip()[-2000:]}")


def backup(engine: Engine, path: str | os.PathLike) -> BackupResult:
    """Write a full copy of the database to `path` (written beside it, then renamed into place)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    counts = table_counts(engine)
    if engine.dialect.name == "postgresql":
        dsn, env = _pg_connection(engine)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}", f"--dbname={dsn}"], env)
    elif engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path(engine))
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        raise ServiceError(f"不支持备份 {engine.dialect.name} 数据库")
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size, counts)


def _check_file(path: Path, dialect: str) -> None:
    if not path.is_file():
        raise ServiceError(f"备份文件不存在：{path}")
    with path.open("rb") as handle:
        head = handle.read(16)
    expected = PG_CUSTOM_MAGIC if dialect == "postgresql" else SQLITE_MAGIC
    if not head.startswith(expected):
        kind = "PostgreSQL（pg_dump 自定义格式）" if dialect == "postgresql" else "SQLite"
        raise ServiceError(f"{path} 不是 {kind} 备份文件，当前数据库无法从它恢复")


def restore(engine: Engine, path: str | os.PathLike, *, force: bool = False) -> dict[str, int]:
    """Replace the database's contents with the backup at `path`; returns the restored row counts.

    Refuses when the target already holds data, unless `force`.
    """
    source = Path(path)
    _check_file(source, engine.dialect.name)
    if not force and holds_data(engine):
        raise ServiceError("目标数据库已有数据，拒绝覆盖；确认要用备份替换现有数据时请加 --force")
    engine.dispose()  # no pooled connection may hold the old schema open
    if engine.dialect.name == "postgresql":
        dsn, env = _pg_connection(engine)
        # One transaction: a failed restore leaves the target as it was.
        _run([
            _tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
            "--single-transaction", "--exit-on-error", f"--dbname={dsn}", str(source),
        ], env)
    else:
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(engine))
        try:
            backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
    engine.dispose()
    return table_counts(engine)
