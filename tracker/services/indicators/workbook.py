"""The indicator tables as xlsx in the plan's two layouts, actual beside target, scoped to the user.

Sheet 1 指标任务年度分解表: the 12 indicators × 2023–2027. Sheet 2 各辖市区分解表: indicators 1–4 ×
years × districts. Sheet 3 缺口分析: the gap plan of the user's scope (this year and 2027), with the
same figures as the page. An actual is the figure as of 31 Dec for a past year, as of today for the
current year, and blank for a future year.
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from tracker.models import User
from tracker.rules.districts import DISTRICT_NAMES, DISTRICT_SHORT_NAMES
from tracker.rules.cultivation import STATUS_NAMES
from tracker.rules.indicators import INDICATOR_BY_CODE, INDICATORS, PLAN_YEARS, RATE_SOURCE_NAMES, Rate
from tracker.services.exports import safe_cell
from tracker.services.indicators.gap_plan import ASSUMPTION_2027, GapPlanPage, gap_plan
from tracker.services.indicators.projection import KIND_NAMES
from tracker.services.indicators.rollup import RollUp, plan_targets, targets_for, yearly_roll_ups
from tracker.services.indicators.scope import scope_for

PLAN_TITLE = "常州市科技型企业“倍增行动”工作计划（2023-2027年）"


def _actual(rollups: dict[int, RollUp | None], year: int, code: str, district: str | None = None) -> int | None:
    rollup = rollups.get(year)
    if rollup is None:
        return None
    figure = rollup.figure(code)
    if district is None:
        return figure.actual
    by = (figure.by_district or {}).get(district)
    return by.actual if by else None


def _rate_text(rate: Rate) -> str:
    value = "0%" if rate.value is None else f"{rate.value:.0%}"
    return f"{value}（{RATE_SOURCE_NAMES[rate.source]}{f'，{rate.decided} 条' if rate.decided else ''}）"


def _gap_sheet(workbook: Workbook, plan: GapPlanPage, scope_name: str, put) -> None:
    """Sheet 3: one block per indicator, one column per year, the rows of the page."""
    sheet = workbook.create_sheet("缺口分析")
    put(sheet, 1, 1, f"缺口分析（{scope_name}，截至 {plan.as_of.isoformat()}）", header=True)
    put(sheet, 2, 1, "预计年末数 = 当前值 − 到期未申请重新认定 − 到期已申请重新认定 + Σ（培育名单各状态企业数 × 上年转化率）；"
                     "还需 = 目标 − 预计年末数。" + (ASSUMPTION_2027 if len(plan.years) > 1 else ""))
    row = 4
    for code, by_year in plan.plans.items():
        indicator = INDICATOR_BY_CODE[code]
        put(sheet, row, 1, f"{indicator.number}. {indicator.name}（{indicator.unit}）", header=True)
        for n, year in enumerate(plan.years):
            put(sheet, row, 2 + n, f"{year}年", header=True)
        plans = [by_year[year] for year in plan.years]
        lines = [
            ("目标", [p.target for p in plans]),
            ("当前值", [p.today_value for p in plans]),
            ("到期且未申请重新认定", [p.lapsing_without_reapplication for p in plans]),
            ("到期但已申请重新认定", [p.lapsing_with_reapplication for p in plans]),
        ]
        for k, line in enumerate(plans[0].pipeline):
            label = f"培育名单·{STATUS_NAMES[line.status]}（{KIND_NAMES[line.kind]}）"
            lines.append((label, [p.pipeline[k].count for p in plans]))
            lines.append((label + " 转化率", [_rate_text(p.pipeline[k].rate) for p in plans]))
        lines += [("预计年末数", [p.projected for p in plans]), ("还需认定", [p.needed for p in plans])]
        for k, source in enumerate(plans[0].sources):
            lines.append((f"来源{k + 1}：{source.label}（家）", [p.sources[k].count for p in plans]))
            lines.append((f"来源{k + 1} 可增约", [round(p.sources[k].gain, 1) for p in plans]))
        lines += [("采取全部措施后仍缺", [p.remaining for p in plans]), ("算式", [p.formula for p in plans])]
        for label, values in lines:
            row += 1
            put(sheet, row, 1, label)
            for n, value in enumerate(values):
                put(sheet, row, 2 + n, value)
        row += 2
    sheet.column_dimensions["A"].width = 44
    for letter in ("B", "C"):
        sheet.column_dimensions[letter].width = 22


def indicator_workbook(
    today: dt.date, user: User | None = None, *, cache_seconds: float = 0,
) -> bytes:
    """The xlsx bytes of the tables for `user`'s scope (None = the whole city, without the gap plan,
    which ranks candidates as a signed-in user sees them)."""
    scope = scope_for(user)
    rollups = yearly_roll_ups(today, user)
    scope_targets = plan_targets(user)
    all_targets = targets_for(PLAN_YEARS)
    scope_name = "全市" if scope.district is None else DISTRICT_NAMES.get(scope.district, scope.district)
    bold = Font(bold=True)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    def put(sheet, row: int, column: int, value, *, header: bool = False):
        cell = sheet.cell(row=row, column=column, value=safe_cell(value))
        if header:
            cell.font = bold
            cell.alignment = center
        return cell

    workbook = Workbook()
    annual = workbook.active
    annual.title = "指标任务年度分解表"
    put(annual, 1, 1, f"{PLAN_TITLE} 指标任务年度分解表（{scope_name}，实际值截至 {today.isoformat()}）", header=True)
    annual.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3 + 2 * len(PLAN_YEARS))
    for column, title in enumerate(("序号", "指标名称", "单位"), start=1):
        put(annual, 2, column, title, header=True)
        annual.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    for n, year in enumerate(PLAN_YEARS):
        column = 4 + 2 * n
        put(annual, 2, column, f"{year}年", header=True)
        annual.merge_cells(start_row=2, start_column=column, end_row=2, end_column=column + 1)
        put(annual, 3, column, "目标", header=True)
        put(annual, 3, column + 1, "实际", header=True)
    for row, indicator in enumerate(INDICATORS, start=4):
        put(annual, row, 1, indicator.number)
        put(annual, row, 2, indicator.name)
        put(annual, row, 3, indicator.unit)
        for n, year in enumerate(PLAN_YEARS):
            put(annual, row, 4 + 2 * n, scope_targets.get((indicator.code, year)))
            put(annual, row, 5 + 2 * n, _actual(rollups, year, indicator.code))
    note_row = 4 + len(INDICATORS) + 1
    put(annual, note_row, 1, "注：实际值为往年 12 月 31 日、本年截至导出日的统计数；未来年度为空。")
    annual.column_dimensions["B"].width = 34

    districts = scope.shown_districts
    by_district = workbook.create_sheet("各辖市区分解表")
    width = 4 + (2 if scope.district is None else 0) + 2 * len(districts)
    put(by_district, 1, 1, f"{PLAN_TITLE} 指标任务各辖市区分解表（{scope_name}，实际值截至 {today.isoformat()}）", header=True)
    by_district.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for column, title in enumerate(("序号", "指标名称", "单位", "年度"), start=1):
        put(by_district, 2, column, title, header=True)
        by_district.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    groups: list[tuple[str, str | None]] = []
    if scope.district is None:
        groups.append(("全市", None))
    groups += [(DISTRICT_SHORT_NAMES.get(code, code), code) for code in districts]
    for n, (title, _) in enumerate(groups):
        column = 5 + 2 * n
        put(by_district, 2, column, title if title != "全市" else "目标值（全市）", header=True)
        by_district.merge_cells(start_row=2, start_column=column, end_row=2, end_column=column + 1)
        put(by_district, 3, column, "目标", header=True)
        put(by_district, 3, column + 1, "实际", header=True)
    row = 4
    for indicator in (i for i in INDICATORS if i.has_district_targets):
        for year in PLAN_YEARS:
            if year == PLAN_YEARS[0]:
                put(by_district, row, 1, indicator.number)
                put(by_district, row, 2, indicator.name)
                put(by_district, row, 3, indicator.unit)
            put(by_district, row, 4, f"{year}年")
            for n, (_, code) in enumerate(groups):
                put(by_district, row, 5 + 2 * n, all_targets.get((indicator.code, year, code)))
                put(by_district, row, 6 + 2 * n, _actual(rollups, year, indicator.code, code))
            row += 1
    by_district.column_dimensions["B"].width = 30
    if user is not None:
        _gap_sheet(workbook, gap_plan(user, today, cache_seconds=cache_seconds), scope_name, put)

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
