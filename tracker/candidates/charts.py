"""Small server-drawn bar charts of a company's yearly figures (no JavaScript, no chart library).

The geometry is computed here and drawn by templates/candidates/_chart.html as inline <svg>
with presentation attributes only (the CSP forbids style attributes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Sequence

WIDTH, HEIGHT = 320, 150
TOP, BOTTOM, LEFT, RIGHT = 16, 20, 6, 6  # room for value labels above and years below
COLORS = ("#0d6efd", "#20c997", "#fd7e14", "#6f42c1")


@dataclass(frozen=True)
class Bar:
    """One rectangle with the value written above it."""

    x: float
    y: float
    width: float
    height: float
    color: str
    text: str
    tooltip: str


@dataclass(frozen=True)
class Label:
    """A year under its group of bars."""

    x: float
    text: str


@dataclass
class Chart:
    """Everything the template needs to draw one chart."""

    key: str
    title: str
    unit: str
    series: list[tuple[str, str]]  # (name, colour) for the legend
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        """True when no year has a value to draw."""
        return not self.bars


def _fmt_number(value: Decimal | int | float) -> str:
    d = Decimal(str(value))
    if abs(d) >= 10000:
        return f"{(d / 10000).quantize(Decimal('0.1'), ROUND_HALF_UP)}亿"
    if d == d.to_integral_value():
        return f"{int(d)}"
    return f"{d.quantize(Decimal('0.1'), ROUND_HALF_UP)}"


def bar_chart(
    key: str, title: str, unit: str, years: Sequence[int],
    series: Sequence[tuple[str, Sequence[Decimal | int | None]]],
    fmt: Callable[[Decimal | int], str] = _fmt_number,
) -> Chart:
    """Grouped bars: one group per year, one bar per series; None values are left out."""
    chart = Chart(key=key, title=title, unit=unit, series=[
        (name, COLORS[i % len(COLORS)]) for i, (name, _v) in enumerate(series)
    ])
    values = [v for _n, vs in series for v in vs if v is not None]
    if not years:
        return chart
    top = max((Decimal(str(v)) for v in values), default=Decimal(0))
    plot_h = HEIGHT - TOP - BOTTOM
    group_w = (WIDTH - LEFT - RIGHT) / len(years)
    bar_w = min(28.0, group_w * 0.8 / max(1, len(series)))
    for i, year in enumerate(years):
        group_x = LEFT + i * group_w
        chart.labels.append(Label(x=round(group_x + group_w / 2, 1), text=str(year)))
        start = group_x + (group_w - bar_w * len(series)) / 2
        for j, (name, vs) in enumerate(series):
            value = vs[i]
            if value is None:
                continue
            d = Decimal(str(value))
            height = float(d / top) * plot_h if top > 0 and d > 0 else 0.0
            # A zero still gets a hairline so "0" is visibly different from "no data".
            height = max(height, 1.0)
            chart.bars.append(Bar(
                x=round(start + j * bar_w, 1), y=round(HEIGHT - BOTTOM - height, 1),
                width=round(bar_w - 2, 1), height=round(height, 1), color=chart.series[j][1],
                # Percentages carry their sign on the bar; other units are in the title.
                text=fmt(d) + ("%" if unit == "%" else ""), tooltip=f"{year} 年{name}：{fmt(d)} {unit}",
            ))
    return chart


def _ratio(num, den) -> Decimal | None:
    if num is None or den is None or den <= 0:
        return None
    return (Decimal(num) * 100 / Decimal(den)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def company_charts(figures: Sequence, last: int = 6) -> list[Chart]:
    """The four profile charts (revenue, R&D ratio, staff, IP) over the last `last` years."""
    rows = sorted(figures, key=lambda r: r.year)[-last:]
    years = [r.year for r in rows]
    return [
        bar_chart("revenue", "营业收入", "万元", years, [("营业收入", [r.revenue for r in rows])]),
        bar_chart(
            "rd_ratio", "研发费用占营业收入比例", "%", years,
            [("研发费用/营业收入", [_ratio(r.rd_expense, r.revenue) for r in rows])],
        ),
        bar_chart("staff", "职工与科技人员", "人", years, [
            ("职工总数", [r.staff_count for r in rows]), ("科技人员", [r.st_staff_count for r in rows]),
        ]),
        bar_chart("ip", "知识产权", "件", years, [
            ("I 类", [r.ip_class1_count for r in rows]), ("II 类", [r.ip_class2_count for r in rows]),
        ]),
    ]
