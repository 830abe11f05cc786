"""`flask reminders sweep|send|digests|reports`: the same code paths as the beat tasks."""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask
from flask.cli import AppGroup

from tracker import clock
from tracker.services.errors import ServiceError
from tracker.services.notifications import digests as digest_jobs  # `digests` is a command's name below
from tracker.services.notifications import delivery, robots
from tracker.services.notifications.rows import wecom_configured
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
    @click.option("--catch-up", "catch_up", is_flag=True,
                  help="Required for a day before today: create only that day's missed reminders that are still true today.")
    def sweep(today: str | None, catch_up: bool) -> None:
        """Run the daily sweep once (the beat task's code path), with digest/report catch-up."""
        day = _date(today)
        real_today = clock.today()
        if day is not None and day < real_today:
            if not catch_up:
                click.echo(reminder_sweep.past_day_plan(day, real_today), err=True)
                click.echo("未做任何修改。确认补扫请加 --catch-up。", err=True)
                raise SystemExit(2)
            try:
                result = reminder_sweep.catch_up_day(day, real_today)
            except ServiceError as exc:
                click.echo(str(exc), err=True)
                raise SystemExit(2) from exc
        elif catch_up:
            click.echo(f"--catch-up 只用于今天（{real_today.isoformat()}）之前的日期", err=True)
            raise SystemExit(2)
        else:
            result = reminder_sweep.run_daily(day)
        click.echo(f"{result.today}：到期提醒 {result.due} 条，新增 {result.created} 条（其中需发邮件 {result.emailed} 条）")
        if result.stale:
            click.echo(f"当日另有 {result.stale} 条提醒今天已不成立，未生成")
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
        click.echo(f"每周摘要：新增 {digest_jobs.weekly_digests(_date(today))} 份")

    @group.command("reports")
    @click.option("--today", default=None, help="YYYY-MM-DD; default: today.")
    def reports(today: str | None) -> None:
        """Create this month's manager reports now (idempotent)."""
        click.echo(f"月报：新增 {digest_jobs.monthly_reports(_date(today))} 份")

    @group.command("send")
    def send() -> None:
        """Deliver every due outbox row synchronously on every channel (email: SMTP or .eml files; 企业微信; 钉钉)."""
        counts = delivery.drain()
        names = {"sent": "已发送", "retry": "稍后重试", "uncertain": "结果待确认（暂不重发）", "failed": "失败", "skipped": "跳过",
                 "not_claimed": "已被其他进程处理", "claim_lost": "认领已失效（未发送）", "error": "出错",
                 "paced": "机器人限速排队中"}
        summary = "，".join(f"{names.get(k, k)} {v}" for k, v in sorted(counts.items())) or "没有待发送的邮件"
        click.echo(summary)

    app.cli.add_command(group)
    app.cli.add_command(_channels_group())


def _channels_group() -> AppGroup:
    """`flask channels add-robot|list`: group robots (群机器人) for a district or the city."""
    group = AppGroup("channels", help="企业微信 / 钉钉 group robots for the district summaries and escalations.")

    @group.command("add-robot")
    @click.option("--kind", type=click.Choice(["wecom", "dingtalk"]), required=True, help="wecom（企业微信/政务微信）或 dingtalk（钉钉）")
    @click.option("--district", "scope", required=True, help="辖区代码，或 city（全市）")
    @click.option("--url", required=True, help="机器人的 Webhook 地址")
    @click.option("--secret", default=None, help="钉钉机器人“加签”的密钥（SEC 开头）")
    def add_robot(kind: str, scope: str, url: str, secret: str | None) -> None:
        """Add (or replace) a group robot; its URL and secret are stored encrypted and shown masked."""
        try:
            robot = robots.add_robot(None, kind, scope, url, secret)
        except ServiceError as exc:
            click.echo(str(exc), err=True)
            raise SystemExit(2) from exc
        click.echo(f"已保存{robots.KIND_NAMES[robot.kind]}（{robots.scope_name(robot.scope)}）：{robot.url_hint}"
                   + ("，已设置加签密钥" if robot.secret_encrypted else ""))

    @group.command("list")
    def list_robots() -> None:
        """List the robots (URL masked, secret never shown)."""
        found = robots.robots()
        if not found:
            click.echo("尚未配置群机器人")
        for r in found:
            click.echo(f"{r.id}\t{r.kind_name}\t{r.scope_name}（{r.scope}）\t{r.url_hint}\t"
                       f"{'加签' if r.has_secret else '未加签'}\t{'启用' if r.active else '停用'}")
        click.echo("企业微信应用消息：" + ("已配置" if wecom_configured() else "未配置（WECOM_CORP_ID / WECOM_AGENT_ID / WECOM_SECRET）"))

    return group
