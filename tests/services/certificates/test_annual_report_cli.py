"""`flask import annual-reports FILE`: the same import as the page, for the whole city."""

from __future__ import annotations

from sqlalchemy import func, select

from tracker.clock import today
from tracker.extensions import db
from tracker.models import AnnualReport


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(AnnualReport))


def test_dry_run_modes_and_exit_codes(app, runner, factory, tmp_path):
    year = today().year - 1
    a = factory.company("wujin", name="甲")
    b = factory.company("liyang", name="乙")
    path = tmp_path / "年报.csv"
    path.write_text(f"统一社会信用代码,年度,报送日期\n{a.uscc},{year},{year + 1}-01-10\n{b.uscc},{year},{year + 1}-01-11\n"
                    f"123,{year},{year + 1}-01-11\n", encoding="utf-8-sig")
    dry = runner.invoke(args=["import", "annual-reports", str(path), "--dry-run"])
    assert dry.exit_code == 1 and "第 4 行" in dry.output and "长度" in dry.output and _count() == 0
    refused = runner.invoke(args=["import", "annual-reports", str(path)])
    assert refused.exit_code == 1 and "未写入" in refused.output and _count() == 0
    done = runner.invoke(args=["import", "annual-reports", str(path), "--mode", "valid"])
    assert done.exit_code == 0 and "导入完成" in done.output and _count() == 2  # both districts: the CLI is city-wide
    missing = runner.invoke(args=["import", "annual-reports", str(tmp_path / "none.csv")])
    assert missing.exit_code != 0
