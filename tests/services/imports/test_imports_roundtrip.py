"""The demo city round-trips: export with `flask export`, empty the database, `flask import`, compare.

Companies, designations (with revocations), yearly figures and cultivation lists (status, note, the
link of a recognised track to its designation) come back identical, and so does
the indicator table for the indicators computed from them (1–5), at several dates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from tracker.clock import today
from tracker.extensions import db
from tracker.models import Company, CompanyYearFigures, CultivationTrack, Designation
from tracker.rules.uscc import make_code
from tracker.services.indicators.rollup import roll_up
from tracker.services.ops import demo_city

COMPANY_FIELDS = ("uscc", "name", "district", "industry", "founded_on", "attracted_on", "attraction_channel",
                  "address", "contact_name", "contact_phone")
DESIGNATION_FIELDS = ("rung", "reference", "granted_on", "valid_from", "valid_until", "batch", "revoked_on",
                      "revoke_reason")
COMPANY_INDICATORS = ("hnte_count", "gazelle_cumulative", "unicorn_cumulative", "tech_sme_registered",
                      "tech_sme_attracted_new")


def _snapshot():
    live = Company.deleted_at.is_(None)
    companies = {tuple(getattr(c, f) for f in COMPANY_FIELDS) for c in db.session.scalars(select(Company).where(live))}
    designations = {
        (uscc, *(getattr(d, f) for f in DESIGNATION_FIELDS))
        for d, uscc in db.session.execute(select(Designation, Company.uscc).join(Company).where(live))
    }
    figures = {
        (uscc, f.year, *(getattr(f, name) for name in CompanyYearFigures.FIELDS))
        for f, uscc in db.session.execute(select(CompanyYearFigures, Company.uscc).join(Company).where(live))
    }
    tracks = {
        (uscc, t.target_rung, t.year, t.status, t.note, granted)
        for t, uscc, granted in db.session.execute(
            select(CultivationTrack, Company.uscc, Designation.granted_on)
            .join(Company, Company.id == CultivationTrack.company_id)
            .outerjoin(Designation, Designation.id == CultivationTrack.designation_id).where(live))
    }
    return companies, designations, figures, tracks


def _indicator_actuals(days):
    result = {}
    for day in days:
        table = roll_up(day).to_dict()
        for item in table["indicators"]:
            if item["code"] in COMPANY_INDICATORS:
                by_district = {k: v["actual"] for k, v in (item.get("by_district") or {}).items()}
                result[(day, item["code"])] = (item["actual"], by_district)
    return result


def _empty_database():
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE TABLE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(text(f'DELETE FROM "{table}"'))
    db.session.commit()


def test_demo_city_round_trips_through_export_and_import(app, runner, tmp_path):
    demo_city.generate(companies=150, seed=7, reference=today())
    days = [dt.date(2023, 12, 31), dt.date(2025, 6, 30), today()]
    before = _snapshot()
    indicators_before = _indicator_actuals(days)
    assert len(before[0]) > 100 and len(before[1]) > 50 and len(before[2]) > 50
    assert any(actual for actual, _ in indicators_before.values())
    assert any(row[-2] is not None for row in before[1]), "the demo city should contain a revocation"

    files = {"companies": tmp_path / "companies.csv", "designations": tmp_path / "designations.xlsx",
             "figures": tmp_path / "figures.csv", "tracks": tmp_path / "tracks.xlsx"}
    for kind, path in files.items():
        result = runner.invoke(args=["export", kind, str(path)])
        assert result.exit_code == 0, result.output
        assert "已导出" in result.output

    _empty_database()
    assert db.session.scalar(select(Company.id)) is None

    for kind, path in files.items():
        dry = runner.invoke(args=["import", kind, str(path), "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "错误 0 行" in dry.output
        result = runner.invoke(args=["import", kind, str(path), "--mode", "all"])
        assert result.exit_code == 0, result.output
        assert "已导入" in result.output
    db.session.expire_all()
    after = _snapshot()
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert after[2] == before[2]
    assert after[3] == before[3] and len(before[3]) > 20
    assert _indicator_actuals(days) == indicators_before

    # And once more: the same files change nothing.
    for kind, path in files.items():
        again = runner.invoke(args=["import", kind, str(path)])
        assert again.exit_code == 0 and "新增 0，更新 0" in again.output, again.output


def test_cli_reports_errors_and_exits_non_zero_when_nothing_is_written(app, runner, tmp_path):
    valid = make_code("91320412MA000001")
    path = tmp_path / "bad.csv"
    path.write_text(f"统一社会信用代码,企业名称,所属辖区\n{valid},甲公司,火星区\n", encoding="utf-8")
    result = runner.invoke(args=["import", "companies", str(path)])
    assert result.exit_code == 1
    assert "第 2 行，列“所属辖区”，值 “火星区”：未知的辖区" in result.output
    assert "未写入任何数据" in result.output
    dry = runner.invoke(args=["import", "companies", str(path), "--dry-run"])
    assert dry.exit_code == 1 and "试导入" in dry.output
    path.write_text(f"统一社会信用代码,企业名称,所属辖区\n{valid},甲公司,武进\n", encoding="utf-8")
    ok = runner.invoke(args=["import", "companies", str(path), "--mode", "valid"])
    assert ok.exit_code == 0 and "新增 1" in ok.output
    assert db.session.scalar(select(Company.district)) == "wujin"
