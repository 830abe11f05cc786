"""The indicator tables as xlsx in the plan's two layouts, actual beside target, scoped to the user.

Sheet 1 指标任务年度分解表: the 12 indicators × 2023–2027. Sheet 2 各辖市区分解表: indicators 1–4 ×
years × districts. Sheet 3 缺口分析: the gap plan of the user's scope (this year and 2027), with the
same figures as the page. Last sheet 招引分渠道: indicator 5 by attraction channel. An actual is the figure as of 31 Dec for a past year, as of today for the
current year, and blank for a future year.
"""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from tracker.models import User
from tracker.models.registry import CARRIER_KINDS, LEVELS
from tracker.rules.districts import DISTRICT_NAMES, DISTRICT_SHORT_NAMES
from tracker.rules.cultivation import STATUS_NAMES
from tracker.rules.indicators import INDICATOR_BY_CODE, INDICATORS, PLAN_YEARS, RATE_SOURCE_NAMES, Rate
from tracker.rules.indicators import ATTRACTED
from tracker.services.attractions.channels import channel_names
from tracker.services.exports import column_widths, print_setup, safe_cell, scope_label, title_line, xlsx_bytes
from tracker.services.indicators.drill_down import DrillDown
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


def _channel_sheet(workbook: Workbook, rollups: dict[int, RollUp | None], scope_name: str, put) -> None:
    """Sheet 招引分渠道: indicator 5 by attraction channel, each plan year, and this year by district."""
    sheet = workbook.create_sheet("招引分渠道")
    names = channel_names()
    indicator = INDICATOR_BY_CODE[ATTRACTED]
    years = [(year, r.figure(ATTRACTED)) for year, r in rollups.items() if r is not None]
    codes: list[str] = []
    for _, figure in years:
        codes += [c for c in (figure.by_channel or {}) if c not in codes]
    put(sheet, 1, 1, f"{indicator.number}. {indicator.name}：分招引渠道（{scope_name}；未注明渠道的计入“其他”）", header=True)
    put(sheet, 2, 1, "年度", header=True)
    for n, code in enumerate(codes):
        put(sheet, 2, 2 + n, names.get(code, code), header=True)
    put(sheet, 2, 2 + len(codes), "合计", header=True)
    row = 3
    for year, figure in years:
        put(sheet, row, 1, f"{year}年（截至 {rollups[year].as_of.isoformat()}）")
        for n, code in enumerate(codes):
            put(sheet, row, 2 + n, (figure.by_channel or {}).get(code, 0))
        put(sheet, row, 2 + len(codes), figure.actual)
        row += 1
    if years:
        year, figure = years[-1]
        row += 1
        put(sheet, row, 1, f"{year}年分辖市区", header=True)
        for n, code in enumerate(codes):
            put(sheet, row, 2 + n, names.get(code, code), header=True)
        put(sheet, row, 2 + len(codes), "合计", header=True)
        for district, split in (figure.channels_by_district or {}).items():
            row += 1
            put(sheet, row, 1, DISTRICT_NAMES.get(district, district))
            for n, code in enumerate(codes):
                put(sheet, row, 2 + n, split.get(code, 0))
            put(sheet, row, 2 + len(codes), sum(split.values()))
    sheet.column_dimensions["A"].width = 26


def indicator_workbook(today: dt.date, user: User | None = None) -> bytes:
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
        _gap_sheet(workbook, gap_plan(user, today), scope_name, put)
    _channel_sheet(workbook, rollups, scope_name, put)

    for sheet in workbook.worksheets:
        _printable(sheet, header_row=3 if sheet.title in ("指标任务年度分解表", "各辖市区分解表") else 2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _printable(sheet, header_row: int) -> None:
    """Print set-up of a finished sheet (tracker.services.exports.print_setup) and widths that fit
    its cells, never narrower than a width set above; a title cell (row 1) is not measured."""
    print_setup(sheet, header_row)
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    for index, width in enumerate(column_widths([], rows), start=1):
        letter = get_column_letter(index)
        current = sheet.column_dimensions[letter].width if letter in sheet.column_dimensions else None
        sheet.column_dimensions[letter].width = max(width, current or 0)


def _drill_row(result: DrillDown, row, channels: dict[str, str]) -> tuple[list, list]:
    """(headers, values) of one drill-down row, the columns of the page."""
    record = row[0]
    district = DISTRICT_NAMES.get(getattr(record, "district", None) or "", getattr(record, "district", "") or "")
    if result.record_type == "company":
        headers = ["企业名称", "统一社会信用代码", "辖区"]
        values = [record.name, record.uscc, district]
        if result.indicator.code == ATTRACTED:
            headers += ["招引落户日期", "招引渠道", "招引项目"]
            project = getattr(row, "project_name", None)
            values += [record.attracted_on, channels.get(record.attraction_channel or "other", "其他"), project]
        return headers, values
    if result.record_type == "talent":
        return (["姓名 / 团队", "辖区", "认定日期", "批次", "来源"],
                [record.name, district, record.recognized_on, record.batch, record.source])
    if result.record_type == "carrier":
        return (["载体名称", "类型", "辖区", "首次认定日期（该级别及以上）", "运营主体"],
                [record.name, CARRIER_KINDS.get(record.kind, record.kind), district, row[1], record.operator])
    if result.record_type == "platform":
        return (["平台名称", "级别", "类型", "辖区", "认定日期"],
                [record.name, LEVELS.get(record.level, record.level), record.kind, district, record.recognized_on])
    return (["机构名称", "统一社会信用代码", "辖区", "年度", "业务领域"],
            [record.name, record.uscc, district, record.year, record.business])


def drill_down_xlsx(result: DrillDown, user: User | None) -> bytes:
    """The whole drill-down list behind one figure as a printable xlsx (every row, not one page)."""
    channels = channel_names()
    rows = result.rows()
    headers = _drill_row(result, rows[0], channels)[0] if rows else _drill_row_headers(result)
    scope = DISTRICT_NAMES.get(result.district or "", "") or scope_label(user)
    what = f"{result.indicator.number}. {result.indicator.name}明细"
    if result.channel:
        what += f"（{channels.get(result.channel, result.channel)}）"
    title = title_line(what, scope, result.as_of, [f"共 {len(rows)} {result.indicator.unit}"])
    return xlsx_bytes(headers, (_drill_row(result, row, channels)[1] for row in rows),
                      sheet_title=f"指标{result.indicator.number}明细", title=title)


def _drill_row_headers(result: DrillDown) -> list[str]:
    """The headers of an empty list (no row to take them from)."""
    class _Empty:  # every attribute None: only the headers are used
        def __getattr__(self, name):
            return None

    return _drill_row(result, (_Empty(), None), {})[0]
