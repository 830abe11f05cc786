"""Flask commands of the `candidates` feature:
`flask candidates --target RUNG --year Y [--as-of D] [--district CODE] [--json]`.

The candidate list (精准挖掘) exactly as the page ranks it (tracker.services.candidates.ranking):
re-certifications (重新认定) first, then the closest to the rung. The CLI runs as the system: the
whole city, or one district with --district. Bad options print a Chinese message and exit 2.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import click
from flask import Flask

from tracker.clock import today
from tracker.rules.cultivation import STATUS_NAMES as TRACK_STATUS_NAMES
from tracker.rules.districts import DISTRICT_NAMES, parse_district
from tracker.rules.eligibility import FAILED, STATUS_NAMES, UNKNOWN
from tracker.rules.indicators import BadDate, parse_as_of
from tracker.rules.ladder import RUNG_BY_CODE, STAGE_NAMES, parse_rung
from tracker.services.candidates import ranking, results
from tracker.services.candidates.ranking import Candidate, CandidateFilters
from tracker.services.errors import ServiceError

USAGE_ERROR = 2  # click's own exit status for bad options


def _refuse(message: str) -> None:
    click.echo(f"错误：{message}", err=True)
    sys.exit(USAGE_ERROR)


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def candidate_dict(rank: int, c: Candidate) -> dict:
    """One candidate as the JSON object of `flask candidates --json` (codes beside Chinese names)."""
    return {
        "rank": rank,
        "uscc": c.company.uscc,
        "name": c.company.name,
        "district": c.company.district,
        "district_name": DISTRICT_NAMES.get(c.company.district, c.company.district),
        "industry": c.company.industry,
        "stage": c.stage,
        "stage_name": STAGE_NAMES.get(c.stage, c.stage),
        "recertification": c.recertification,
        "holds_until": c.holds_until.isoformat() if c.holds_until else None,
        "eligible": c.result.eligible,
        "verdict": c.verdict,
        "score": _number(c.result.score),
        "officers": list(c.officers),
        "track_status": c.track_status,
        "track_status_name": TRACK_STATUS_NAMES.get(c.track_status) if c.track_status else None,
        "reasons": [
            {"condition": x.code, "label": x.label, "status": x.status,
             "status_name": STATUS_NAMES.get(x.status, x.status), "detail": x.detail}
            for x in c.result.conditions
        ],
    }


def _row_text(rank: int, c: Candidate) -> str:
    district = DISTRICT_NAMES.get(c.company.district, c.company.district)
    recert = f"  重新认定（现有资质至 {c.holds_until.isoformat()}）" if c.recertification else ""
    line = f"{rank:>4}. {c.company.name}  {c.company.uscc}  {district}  {c.verdict}{recert}"
    missing = [f"{x.label}：{x.detail}" for x in c.result.conditions if x.status in (FAILED, UNKNOWN)]
    if missing:
        line += "\n      " + "；".join(missing)
    return line


def register(app: Flask) -> None:
    """Add this feature's commands to the app's CLI."""

    @app.cli.command("candidates")
    # Not click's required=True: a missing target is refused in Chinese like a wrong one.
    @click.option("--target", "target", default=None, help="Target rung (required): a code (hnte, tech_sme …) or its Chinese name.")
    @click.option("--year", "year", default=None, help="Evaluation year (default: the as-of date's year).")
    @click.option("--as-of", "as_of", default=None, help="As-of date YYYY-MM-DD (default: today, Asia/Shanghai).")
    @click.option("--district", "district", default=None, help="District code (or name); default: the whole city.")
    @click.option("--max-missing", "max_missing", type=click.Choice(["0", "1"]), default="1", show_default=True,
                  help="1: eligible or one condition away (as the page); 0: eligible only.")
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per company, in rank order.")
    def candidates(target: str | None, year: str | None, as_of: str | None, district: str | None,
                   max_missing: str, as_json: bool) -> None:
        """Ranked candidates of a target rung for an evaluation year (精准挖掘), as on the page."""
        rung = parse_rung(target)
        if rung is None:
            names = "、".join(f"{r.code}（{r.name}）" for r in RUNG_BY_CODE.values())
            wrong = f"未知的目标梯次“{target[:40]}”" if target else "请用 --target 指定目标梯次"
            _refuse(f"{wrong}；可选：{names}")
        try:
            day = parse_as_of(as_of, today())
        except BadDate as exc:
            _refuse(f"--as-of：{exc.message}")
        if year is None or not year.strip():
            evaluation_year = day.year
        elif year.strip().isdigit() and len(year.strip()) == 4:
            evaluation_year = int(year.strip())
        else:
            _refuse(f"--year：评价年度“{year[:20]}”无效，请填写四位年份，例如 {day.year}")
        code = None
        if district:
            code = parse_district(district)
            if code is None:
                _refuse(f"--district：未知的辖区“{district[:40]}”；可选：" + "、".join(
                    f"{c}（{n}）" for c, n in DISTRICT_NAMES.items()))
        filters = CandidateFilters(target_rung=rung, year=evaluation_year, district=code, max_missing=int(max_missing))
        try:
            ranking.check_filters(None, filters)
            rows = list(ranking.iter_candidates(None, filters, on=day))
        except ServiceError as exc:
            _refuse(exc.message)
        if as_json:
            click.echo(json.dumps([candidate_dict(n, c) for n, c in enumerate(rows, start=1)],
                                  ensure_ascii=False, indent=2))
            return
        where = DISTRICT_NAMES.get(code, code) if code else "全市"
        eligible = sum(1 for c in rows if c.result.eligible)
        recert = sum(1 for c in rows if c.recertification)
        click.echo(
            f"{where} {evaluation_year} 年{RUNG_BY_CODE[rung].name}候选企业"
            f"（评价日 {ranking.evaluation_date(evaluation_year, day).isoformat()}）："
            f"共 {len(rows)} 家，符合条件 {eligible} 家，其中重新认定 {recert} 家"
        )
        for n, c in enumerate(rows, start=1):
            click.echo(_row_text(n, c))

    @app.cli.command("candidates-refresh")
    @click.option("--year", "years", type=int, multiple=True,
                  help="Evaluation year to compute (repeatable; default: this year and next).")
    def candidates_refresh(years: tuple[int, ...]) -> None:
        """Compute the candidates page's stored results now, in this process (no worker needed)."""
        chosen = years or (today().year, today().year + 1)
        count = results.recompute_all(chosen)
        click.echo(f"已计算 {count} 组候选企业预判结果（{'、'.join(str(y) for y in chosen)} 年）")
