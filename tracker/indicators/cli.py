"""Flask commands of the `indicators` feature: `flask indicators --as-of YYYY-MM-DD [--json]`."""

from __future__ import annotations

import json

import click
from flask import Flask

from tracker.clock import today
from tracker.rules.districts import DISTRICT_SHORT_NAMES
from tracker.rules.indicators import BadDate, parse_as_of
from tracker.services.indicators.projection import indicators_json
from tracker.services.indicators.rollup import roll_up


def register(app: Flask) -> None:
    """Add this feature's commands to the app's CLI."""

    @app.cli.command("indicators")
    @click.option("--as-of", "as_of", default=None, help="As-of date YYYY-MM-DD (default: today, Asia/Shanghai).")
    @click.option("--json", "as_json", is_flag=True, help="Print the roll-up as JSON (the API's format).")
    def indicators(as_of: str | None, as_json: bool) -> None:
        """The plan's 12 indicators for the whole city as of a date."""
        try:
            day = parse_as_of(as_of, today())
        except BadDate as exc:
            raise click.BadParameter(exc.message, param_hint="--as-of") from exc
        if as_json:
            click.echo(json.dumps(indicators_json(day), ensure_ascii=False, indent=2))
            return
        result = roll_up(day)
        click.echo(f"截至 {day.isoformat()}（{day.year} 年）全市指标：")
        for n, figure in enumerate(result.figures, start=1):
            target = "—" if figure.target is None else str(figure.target)
            percent = "" if figure.percent is None else f"  {figure.percent}%"
            click.echo(f"{n:>2}. {figure.indicator.name}：{figure.actual} / {target} {figure.indicator.unit}{percent}")
            if figure.by_district:
                parts = [
                    f"{DISTRICT_SHORT_NAMES.get(code, code)} {d.actual}/{'—' if d.target is None else d.target}"
                    for code, d in figure.by_district.items()
                ]
                click.echo("    " + "，".join(parts))
