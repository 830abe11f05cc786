"""Flask commands of the `indicators` feature: `flask indicators --as-of YYYY-MM-DD [--json]` and
the monthly 通报, `flask report monthly --month YYYY-MM --out FILE [--district CODE]`."""

from __future__ import annotations

import json

import click
from flask import Flask

from tracker.clock import today
from tracker.rules import reports as report_rules
from tracker.rules.districts import DISTRICT_CODES, DISTRICT_SHORT_NAMES
from tracker.rules.indicators import BadDate, parse_as_of
from tracker.services.reports import monthly
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

    @app.cli.group("report")
    def report() -> None:
        """Reports (通报)."""

    @report.command("monthly")
    @click.option("--month", "month_text", default=None, help="Month YYYY-MM (default: the last finished month).")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
                  help="Output file: .docx (Word) or .xlsx (Excel), chosen by the extension.")
    @click.option("--district", default=None, help="One district's version (a district code); default: the city.")
    def report_monthly(month_text: str | None, out: str, district: str | None) -> None:
        """The monthly dispatch report (月调度通报) of a finished month, as the system (whole city)."""
        try:
            month = report_rules.parse_month(month_text, today())
        except report_rules.BadMonth as exc:
            raise click.BadParameter(exc.message, param_hint="--month") from exc
        try:
            fmt = report_rules.report_format(out)
        except report_rules.BadMonth as exc:
            raise click.BadParameter(exc.message, param_hint="--out") from exc
        if district is not None and district not in DISTRICT_CODES:
            raise click.BadParameter(f"未知辖区代码：{district}（可选：{'、'.join(DISTRICT_CODES)}）",
                                     param_hint="--district")
        result = monthly.monthly_report(None, month, today(), district)
        with open(out, "wb") as stream:
            stream.write(monthly.render(result, fmt))
        click.echo(f"已生成{result.scope_name}{month.label}月调度通报：{out}")
