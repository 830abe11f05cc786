"""Flask commands: each parses its options and calls a service."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade

from tracker.candidates import cli as candidate_cli
from tracker.calendar import cli as calendar_cli
from tracker.certificates import cli as certificate_cli
from tracker.clock import today
from tracker.imports import cli as import_cli
from tracker.indicators import cli as indicator_cli
from tracker.maintenance import cli as maintenance_cli
from tracker.models.user import ROLES
from tracker.notifications import cli as notification_cli
from tracker.services.accounts import users
from tracker.services.errors import ServiceError
from tracker.services.indicators import targets
from tracker.services.ops import demo_city
from tracker.services.stages import rebuild_company_stages


def register(app: Flask) -> None:
    """Add every command to the app's CLI: the general ones here, each feature's from its cli.py."""
    for feature in (
        import_cli, indicator_cli, notification_cli, maintenance_cli, calendar_cli, candidate_cli, certificate_cli,
    ):
        feature.register(app)

    @app.cli.command("init-db")
    def init_db() -> None:
        """Create or upgrade the schema by running the migrations."""
        upgrade()
        click.echo("数据库结构已就绪 (migrations applied)")
        rebuild_company_stages(today())  # the current-stage table for today (nightly afterwards)

    @app.cli.group("stages")
    def stages_group() -> None:
        """The current-stage table (当前阶段, derived from the designations)."""

    @stages_group.command("rebuild")
    @click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="The day to hold (default: today in Asia/Shanghai).")
    def stages_rebuild(day) -> None:
        """Rebuild the current-stage table for a day (the nightly task does this for today)."""
        on = day.date() if day else today()
        ranked = rebuild_company_stages(on)
        click.echo(f"当前阶段表已重建：{on.isoformat()}，梯次上企业 {ranked} 家")

    @app.cli.command("seed-plan")
    def seed_plan() -> None:
        """Load the plan's 200 targets (idempotent; checks that district figures add up)."""
        try:
            result = targets.seed_plan()
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"目标 {result['rows']} 行：新增 {result['created']}，更新 {result['updated']}")

    @app.cli.command("demo-data")
    @click.option("--companies", default=demo_city.DEFAULT_COMPANIES, show_default=True, help="Number of companies.")
    @click.option("--seed", default=2027, show_default=True, help="Random seed (same seed, same city).")
    @click.option("--if-empty", is_flag=True, help="Do nothing when companies already exist.")
    def demo_data(companies: int, seed: int, if_empty: bool) -> None:
        """Generate a deterministic synthetic city into an empty database."""
        if if_empty and demo_city.has_companies():
            click.echo("已有企业数据，跳过演示数据")
            return
        try:
            counts = demo_city.generate(companies=companies, seed=seed)
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"演示数据：用户 {counts.users}，企业 {counts.companies}，资质 {counts.designations}，"
            f"走访 {counts.visits}，诉求 {counts.follow_ups}，培育记录 {counts.tracks}"
        )
        click.echo(f"演示账号密码均为 {demo_city.DEMO_PASSWORD}：admin@example.com、manager.wujin@example.com、officer.wujin.1@example.com")

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--district", default=None, help="District code, required for manager and officer.")
    @click.option("--name", default=None)
    @click.option("--password", default=None, help="Prompted for when absent.")
    def create_user(email: str, role: str, district: str | None, name: str | None, password: str | None) -> None:
        """Create an account."""
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            user = users.create_user(None, email=email, name=name or "", role=role, password=password, district=district)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"已创建用户 {user.email}（{user.role_name}）")
