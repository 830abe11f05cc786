"""The monthly 通报 as a Word document (python-docx) and as an Excel workbook (openpyxl).

Word follows the layout of a government 通报 (GB/T 9704 in spirit): the title in 宋体 二号 bold,
section headings 一、二、… in 黑体 三号, body text in 仿宋 三号 with a two-character indent, tables in
宋体 五号; the East Asian font is named on every run (w:eastAsia), otherwise Word shows the Chinese
in its default font. The one chart is a bar chart drawn with Pillow (completion rate of each
indicator with a target against its pro-rata), its labels digits only so it needs no CJK font; the
caption carries the words. Excel has one sheet per section, each printable (tracker.services.exports),
and the same chart as a native Excel chart.

Every stored text passes `exports.clean_text` (control characters in a company name must not
break the document: the XML cannot hold them).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from PIL import Image, ImageDraw, ImageFont

from tracker.rules.reports import OLDEST_OPEN_ITEMS, section_number, signed
from tracker.services.exports import clean_text, display_width, write_sheet

if TYPE_CHECKING:  # annotations only: monthly imports this module
    from tracker.services.reports.monthly import MonthlyReport

TITLE_FONT, HEADING_FONT, BODY_FONT, TABLE_FONT = "宋体", "黑体", "仿宋", "宋体"
ISSUER = "常州市科学技术局"
TITLE = "常州市科技型企业“倍增行动”月调度通报"
SECTIONS = (
    "主要指标完成情况", "各辖市区主要指标完成情况及排名", "招引工作进展（分渠道）", "培育名单进展",
    "企业诉求办理情况", "下季度到期未申请重新认定的高新技术企业",
)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _num(value: Any) -> str:
    return "—" if value is None else str(value)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


# --- shared table contents (Word and Excel show the same rows) --------------------------------

def indicator_table(report: MonthlyReport) -> tuple[list[str], list[list[Any]]]:
    headers = ["序号", "指标", "单位", "完成", "年度目标", "完成率", "序时进度", "较上月", "状态"]
    rows = [
        [i.number, i.name, i.unit, i.actual, i.target, i.percent, i.expected_percent, i.change, i.status]
        for i in report.indicators
    ]
    return headers, rows


def district_table(report: MonthlyReport) -> tuple[list[str], list[list[Any]]]:
    headers = ["指标", "排名", "辖市区", "完成", "年度目标", "完成率", "较上月", "上月排名"]
    rows = [
        [f"{t.number}. {t.name}", line.rank, line.name, line.actual, line.target, line.percent, line.change,
         line.previous_rank]
        for t in report.district_tables for line in t.lines
    ]
    return headers, rows


def channel_table(report: MonthlyReport) -> tuple[list[str], list[list[Any]]]:
    headers = ["招引渠道", "新增线索", "进入在谈", "签约", "落户", "终止", "上年同期落户", "线索落户转化率"]
    rows = [
        [c.name, c.leads, c.talking, c.signed, c.settled, c.dropped, c.settled_last_year,
         None if c.conversion is None else round(100 * c.conversion, 1)]
        for c in [*report.channels, report.channel_total]
    ]
    return headers, rows


def pipeline_table(report: MonthlyReport) -> tuple[list[str], list[list[Any]]]:
    steps = report.pipeline[0].steps if report.pipeline else []
    headers = ["目标资质", *[s.name for s in steps], "上年同期认定", "储备→认定转化率"]
    rows = [
        [p.rung_name, *[s.count for s in p.steps], p.steps[-1].last_year if p.steps else None,
         p.overall_rate]  # the board's rates are already in %
        for p in report.pipeline
    ]
    return headers, rows


def case_table(report: MonthlyReport) -> tuple[list[str], list[list[Any]]]:
    headers = ["辖市区", "未办结诉求", "其中逾期"]
    rows = [[c.name, c.open, c.overdue] for c in report.cases]
    if len(report.cases) > 1:
        rows.append(["合计", sum(c.open for c in report.cases), sum(c.overdue for c in report.cases)])
    return headers, rows


def oldest_table(report: MonthlyReport) -> tuple[list[str], list[list[Any]]]:
    headers = ["辖市区", "企业名称", "类别", "诉求内容", "提出日期", "办理期限", "已历时（天）", "是否逾期"]
    rows = [
        [c.district_name, c.company, c.category, c.description, c.raised_on, c.due_on, c.days_open,
         "逾期" if c.overdue else ""]
        for c in report.oldest_cases
    ]
    return headers, rows


def expiring_table(report: MonthlyReport) -> tuple[list[str], list[list[Any]]]:
    headers = ["辖市区", "企业名称", "统一社会信用代码", "证书编号", "有效期至", "服务专员"]
    rows = [[e.district_name, e.company, e.uscc, e.reference, e.valid_until, e.officers] for e in report.expiring]
    return headers, rows


def summary(report: MonthlyReport) -> str:
    """The opening paragraph: the month, the scope, how many indicators stand where."""
    statuses = report.status_counts()
    parts = [f"{name}{n}项" for name, n in statuses.items() if n]
    hnte = report.indicator("hnte_count")
    return (
        f"截至{report.as_of.year}年{report.as_of.month}月{report.as_of.day}日，{report.scope_name}"
        f"倍增行动12项主要指标中，{'、'.join(parts)}。高新技术企业{hnte.actual}{hnte.unit}，"
        f"完成年度目标的{_pct(hnte.percent)}，较上月{signed(hnte.change)}{hnte.unit}。"
        f"现将{report.month.label}推进情况通报如下。"
    )


# --- the chart ------------------------------------------------------------------------------

def chart_png(report: MonthlyReport) -> bytes:
    """Bars: completion % of each indicator with a target; a dark tick: its pro-rata %."""
    lines = [i for i in report.indicators if i.target]
    width, height, left, bottom, top = 1600, 600, 110, 80, 40
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=26)
    ceiling = max([100.0, *[(i.percent or 0) for i in lines], *[(i.expected_percent or 0) for i in lines]])
    ceiling = 20 * int(ceiling / 20 + 1)
    plot_h = height - bottom - top

    def y(value: float) -> float:
        return top + plot_h * (1 - value / ceiling)

    for tick in range(0, ceiling + 1, 20):
        draw.line([(left, y(tick)), (width - 30, y(tick))], fill=(220, 220, 220), width=2)
        draw.text((left - 12, y(tick)), f"{tick}%", fill="black", font=font, anchor="rm")
    draw.line([(left, top), (left, height - bottom)], fill="black", width=2)
    draw.line([(left, height - bottom), (width - 30, height - bottom)], fill="black", width=2)
    slot = (width - 30 - left) / max(1, len(lines))
    for n, line in enumerate(lines):
        x0 = left + n * slot + slot * 0.2
        x1 = left + (n + 1) * slot - slot * 0.2
        value = line.percent or 0
        colour = (46, 125, 50) if value >= 100 else (21, 101, 192)
        draw.rectangle([x0, y(value), x1, height - bottom], fill=colour)
        draw.text(((x0 + x1) / 2, y(value) - 6), f"{value:.0f}%", fill="black", font=font, anchor="md")
        if line.expected_percent is not None:
            ey = y(min(line.expected_percent, ceiling))
            draw.line([(x0 - 8, ey), (x1 + 8, ey)], fill=(198, 40, 40), width=6)
        draw.text(((x0 + x1) / 2, height - bottom + 14), str(line.number), fill="black", font=font, anchor="mt")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


CHART_CAPTION = "图1  各项指标年度目标完成率（柱）与序时进度（红线），横轴数字为表1指标序号"


# --- Word ----------------------------------------------------------------------------------

def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(doc, text: str, font: str = BODY_FONT, size: float = 16, *, bold: bool = False,
               align=None, indent: bool = True, space_after: float = 0):
    paragraph = doc.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.line_spacing = Pt(28)
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    _font(paragraph.add_run(clean_text(text)), font, size, bold)
    return paragraph


def _cell_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return clean_text(str(value))


def _table(doc, headers: Sequence[str], rows: Sequence[Sequence[Any]], percent_columns: Sequence[int] = (),
           size: float = 10.5, widths: Sequence[float] | None = None) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, headers):
        cell.text = ""
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(header), TABLE_FONT, size, True)
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, values)):
            text = _pct(value) if index in percent_columns and not isinstance(value, str) else _cell_text(value)
            cell.text = ""
            paragraph = cell.paragraphs[0]
            if not isinstance(value, str) or index in percent_columns:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(paragraph.add_run(text), TABLE_FONT, size)
    widths = list(widths) if widths else _fitted_widths(headers, rows)
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)
    doc.add_paragraph()


TEXT_WIDTH_CM = 16.6  # A4 less the margins


def _fitted_widths(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[float]:
    """Column widths sharing the text width in proportion to each column's longest text
    (a CJK character counts double; between 1.2 and 6 cm each before scaling)."""
    longest = []
    for index, header in enumerate(headers):
        texts = [header] + [_cell_text(r[index]) for r in rows if index < len(r)]
        longest.append(min(max(display_width(t) for t in texts), 30))
    raw = [max(1.2, min(6.0, 0.22 * w + 0.3)) for w in longest]
    scale = TEXT_WIDTH_CM / sum(raw)
    return [w * scale for w in raw]


def _heading(doc, number: int, text: str) -> None:
    _paragraph(doc, f"{section_number(number)}{text}", HEADING_FONT, 16, space_after=6)


def _caption(doc, text: str) -> None:
    _paragraph(doc, text, TABLE_FONT, 10.5, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, space_after=4)


def docx_bytes(report: MonthlyReport) -> bytes:
    """The 通报 as a Word document."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.8)
    section.left_margin, section.right_margin = Cm(2.2), Cm(2.2)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    doc.core_properties.title = f"{TITLE}（{report.month.label}）"
    doc.core_properties.author = ISSUER

    _paragraph(doc, TITLE, TITLE_FONT, 22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, f"（{report.month.label}·{report.scope_name}）", BODY_FONT, 16,
               align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _paragraph(doc, f"{ISSUER}    {report.generated_on.year}年{report.generated_on.month}月{report.generated_on.day}日",
               BODY_FONT, 14, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, space_after=12)
    _paragraph(doc, summary(report))

    _heading(doc, 1, SECTIONS[0])
    _caption(doc, f"表1  主要指标完成情况（截至{report.as_of.isoformat()}）")
    headers, rows = indicator_table(report)
    rows = [[*r[:7], signed(r[7]), r[8]] for r in rows]
    _table(doc, headers, rows, percent_columns=(5, 6), size=10,
           widths=(1.0, 5.0, 1.0, 1.5, 1.8, 1.7, 1.9, 1.3, 1.4))
    doc.add_picture(io.BytesIO(chart_png(report)), width=Cm(15))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    _caption(doc, CHART_CAPTION)
    _paragraph(doc, "序时进度按各指标近三年分月分布测算（记录不足时按时间均匀进度），存量和累计指标自上年末数起算。",
               BODY_FONT, 12, indent=False)

    _heading(doc, 2, SECTIONS[1])
    for n, table in enumerate(report.district_tables, start=2):
        _caption(doc, f"表{n}  {table.name}（{table.unit}）")
        _table(doc, ["排名", "辖市区", "完成", "年度目标", "完成率", "较上月", "上月排名"], [
            [line.rank, line.name, line.actual, line.target, line.percent, signed(line.change), line.previous_rank]
            for line in table.lines
        ], percent_columns=(4,))
    number = 2 + len(report.district_tables)

    _heading(doc, 3, SECTIONS[2])
    total = report.channel_total
    _paragraph(doc, f"{report.month.year}年1月1日至{report.as_of.month}月{report.as_of.day}日，新增招引线索{total.leads}个，"
                    f"签约{total.signed}个，落户{total.settled}个（上年同期{total.settled_last_year}个）。")
    _caption(doc, f"表{number}  招引项目分渠道进展")
    headers, rows = channel_table(report)
    _table(doc, headers, rows, percent_columns=(7,), size=10)
    number += 1

    _heading(doc, 4, SECTIONS[3])
    _paragraph(doc, f"{report.month.year}年度培育名单各环节企业数（按培育记录到达的最远环节统计，含已退回的记录）。")
    _caption(doc, f"表{number}  培育名单进展")
    headers, rows = pipeline_table(report)
    _table(doc, headers, rows, percent_columns=(len(headers) - 1,), size=10)
    number += 1

    _heading(doc, 5, SECTIONS[4])
    open_total = sum(c.open for c in report.cases)
    overdue_total = sum(c.overdue for c in report.cases)
    _paragraph(doc, f"截至{report.as_of.month}月{report.as_of.day}日，未办结企业诉求{open_total}件，其中超过办理期限{overdue_total}件。")
    _caption(doc, f"表{number}  未办结诉求（按辖市区）")
    _table(doc, *case_table(report))
    number += 1
    if report.oldest_cases:
        _caption(doc, f"表{number}  历时最长的未办结诉求（每个辖市区前{OLDEST_OPEN_ITEMS}件）")
        headers, rows = oldest_table(report)
        _table(doc, headers, rows, size=9)
        number += 1

    _heading(doc, 6, SECTIONS[5])
    start, end = report.quarter
    _paragraph(doc, f"{start.isoformat()}至{end.isoformat()}到期、尚未列入当年重新认定培育名单的高新技术企业共{len(report.expiring)}家，"
                    "请各辖市区逐一对接，督促按期申报。")
    if report.expiring:
        _caption(doc, f"表{number}  下季度到期未申请重新认定的高新技术企业")
        headers, rows = expiring_table(report)
        _table(doc, headers, rows, size=9)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- Excel ---------------------------------------------------------------------------------

def xlsx_bytes(report: MonthlyReport) -> bytes:
    """The 通报 as an Excel workbook: one printable sheet per section, a native chart on the first."""
    workbook = Workbook()
    scope = f"{report.scope_name}，截至 {report.as_of.isoformat()}"
    sheets = [
        ("主要指标", indicator_table(report), f"{TITLE}（{report.month.label}）一、{SECTIONS[0]}（{scope}）"),
        ("辖市区排名", district_table(report), f"二、{SECTIONS[1]}（{scope}）"),
        ("招引进展", channel_table(report), f"三、{SECTIONS[2]}（{scope}，{report.month.year}年累计）"),
        ("培育进展", pipeline_table(report), f"四、{SECTIONS[3]}（{report.scope_name}，{report.month.year}年度）"),
        ("企业诉求", case_table(report), f"五、{SECTIONS[4]}（{scope}）"),
        ("最久未办结诉求", oldest_table(report), f"五、历时最长的未办结诉求（{scope}）"),
        ("到期高企", expiring_table(report),
         f"六、{SECTIONS[5]}（{report.scope_name}，{report.quarter[0].isoformat()}至{report.quarter[1].isoformat()}）"),
    ]
    first = True
    for name, (headers, rows), title in sheets:
        sheet = workbook.active if first else workbook.create_sheet()
        sheet.title = name
        first = False
        write_sheet(sheet, headers, rows or [["（无）"]], title)
        for index, header in enumerate(headers, start=1):
            if header.endswith(("率", "进度")):  # values already in %
                for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                    cell.number_format = '0.0"%"'
    _xlsx_chart(workbook["主要指标"], len(report.indicators))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_chart(sheet, count: int) -> None:
    """Completion rate (bars) and pro-rata (line) of the indicators, beside the table."""
    bars = BarChart()
    bars.title = "指标完成率与序时进度（%）"
    bars.y_axis.title = "%"
    bars.add_data(Reference(sheet, min_col=6, min_row=2, max_row=2 + count), titles_from_data=True)
    bars.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=2 + count))
    line = LineChart()
    line.add_data(Reference(sheet, min_col=7, min_row=2, max_row=2 + count), titles_from_data=True)
    bars += line
    bars.y_axis.scaling.min = 0  # the bars start at 0 %, or a low completion rate is not seen at all
    bars.height, bars.width = 8, 17
    sheet.add_chart(bars, f"A{count + 5}")
