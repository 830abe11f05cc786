"""`flask reminders sweep|send|digests|reports`: the same code paths as the beat tasks."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.services.notifications import mailer
from tracker.services.notifications import sweep as reminder_sweep  # `sweep` is the command's name below


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD") from exc


def register(app: Flask) -> None:
    """Add the `reminders` command group."""
    group = AppGroup("reminders", help="Reminder sweep and the notification outbox.")

    @group.command("sweep")
    @click.option("--today", default=None, help="Sweep as of this day (YYYY-MM-DD); default: today in Asia/Shanghai.")
    def sweep(today: str | None) -> None:
        """Run the daily sweep once (the beat task's code path), with digest/report catch-up."""
        result = reminder_sweep.run_daily(_date(today))
        click.echo(f"{result.today}：到期提醒 {result.due} 条，新增 {result.created} 条（其中需发邮件 {result.emailed} 条）")
        if result.digests is not None:
            click.echo(f"每周摘要：新增 {result.digests} 份")
        if result.reports is not None:
            click.echo(f"月报：新增 {result.reports} 份")
        for note in result.notes:
            click.echo(note)

    @group.command("digests")
    @click.option("--today", default=None, help="YYYY-MM-DD; default: today.")
    def digests(today: str | None) -> None:
        """Create this week's officer digests now (idempotent)."""
        click.echo(f"每周摘要：新增 {digests.weekly_digests(_date(today))} 份")

    @group.command("reports")
    @click.option("--today", default=None, help="YYYY-MM-DD; default: today.")
    def reports(today: str | None) -> None:
        """Create this month's manager reports now (idempotent)."""
        click.echo(f"月报：新增 {digests.monthly_reports(_date(today))} 份")

    @group.command("send")
    def send() -> None:
        """Deliver every due outbox row synchronously (SMTP, or .eml files in MAIL_FOLDER)."""
        counts = mailer.drain()
        names = {"sent": "已发送", "retry": "稍后重试", "failed": "失败", "skipped": "跳过", "not_claimed": "已被其他进程处理", "error": "出错"}
        summary = "，".join(f"{names.get(k, k)} {v}" for k, v in sorted(counts.items())) or "没有待发送的邮件"
        click.echo(summary)

    app.cli.add_command(group)
