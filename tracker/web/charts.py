"""Server-drawn SVG charts (no JavaScript, no chart library): the geometry as plain numbers.

A chart is computed here and drawn by a template as inline <svg> with attributes and CSS classes
only (the CSP forbids style attributes): templates/indicators/_svg.html draws the indicators'
trend charts and meters, templates/candidates/_macros.html a company's yearly figures. Both kinds
are grouped bar charts laid out by `GroupedBars`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Sequence

Number = Decimal | int | float


@dataclass(frozen=True)
class Frame:
    """The canvas and the margins of its plot area (room for value labels above, group labels below)."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float

    @property
    def baseline(self) -> float:
        """The y of the axis the bars stand on."""
        return self.height - self.bottom


@dataclass(frozen=True)
class Bar:
    """One rectangle, with its value written above it (`text`) and a tooltip."""

    x: float
    y: float
    width: float
    height: float
    value: Number
    text: str  # "" draws no label
    tooltip: str
    css: str = ""  # class names (the indicator charts colour by status in indicators.css)
    color: str | None = None  # fill colour (the profile charts colour by series)
    url: str | None = None  # a link around the bar (the trend's drill-down)

    @property
    def label_x(self) -> float:
        """The x of the value label, centred over the bar."""
        return round(self.x + self.width / 2, 1)

    @property
    def label_y(self) -> float:
        """The y of the value label, just above the bar."""
        return round(self.y - 3, 1)


@dataclass(frozen=True)
class Label:
    """A group's label (its year) under its bars."""

    x: float
    text: str


@dataclass
class Chart:
    """Everything a template needs to draw one bar chart."""

    title: str
    frame: Frame
    bars: list[Bar] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    key: str = ""  # names the chart in the page (data-testid)
    unit: str = ""
    series: list[tuple[str, str]] = field(default_factory=list)  # (name, colour) for the legend

    @property
    def width(self) -> int:
        """The canvas width (the SVG viewBox)."""
        return self.frame.width

    @property
    def height(self) -> int:
        """The canvas height (the SVG viewBox)."""
        return self.frame.height

    @property
    def baseline(self) -> float:
        """The y of the axis line."""
        return self.frame.baseline

    @property
    def empty(self) -> bool:
        """True when no group has a value to draw."""
        return not self.bars


@dataclass(frozen=True)
class Box:
    """Where one bar goes."""

    x: float
    y: float
    width: float
    height: float


class GroupedBars:
    """The layout of a grouped bar chart: `groups` slots side by side, `per_group` bars centred in
    each, heights scaled so the largest value (`peak`) reaches the top of the plot area."""

    FILL = 0.8  # share of a slot the bars may take, so neighbouring groups stay apart

    def __init__(self, frame: Frame, groups: int, per_group: int, peak: Number, *,
                 max_bar_width: float, gap: float = 2.0):
        self.frame = frame
        self.per_group = max(per_group, 1)
        self.peak = Decimal(str(peak))
        self.gap = gap
        self.slot = (frame.width - frame.left - frame.right) / max(groups, 1)
        self.bar_width = min(max_bar_width, self.slot * self.FILL / self.per_group - gap)

    def centre(self, group: int) -> float:
        """The x of a group's label: the middle of its slot."""
        return round(self.frame.left + group * self.slot + self.slot / 2, 1)

    def box(self, group: int, index: int, value: Number) -> Box:
        """The rectangle of bar `index` of `group` for `value`.

        A zero (or negative) value still gets a hairline, so "0" is visibly different from
        "no data" (a value of None draws no bar at all).
        """
        block = self.per_group * self.bar_width + (self.per_group - 1) * self.gap
        start = self.frame.left + group * self.slot + (self.slot - block) / 2
        plot_height = self.frame.baseline - self.frame.top
        amount = Decimal(str(value))
        height = float(amount / self.peak) * plot_height if self.peak > 0 and amount > 0 else 0.0
        height = max(height, 1.0)
        return Box(
            x=round(start + index * (self.bar_width + self.gap), 1), y=round(self.frame.baseline - height, 1),
            width=round(self.bar_width, 1), height=round(height, 1),
        )


def _peak(values) -> Decimal:
    return max((Decimal(str(v)) for v in values if v is not None), default=Decimal(0))


# --------------------------------------------------------------------------- trend: target vs actual

TREND_FRAME = Frame(width=300, height=150, left=8, right=8, top=18, bottom=28)  # years sit below the bars
TREND_BAR_WIDTH = 18
TARGET_CSS = "trend-target"


def trend_chart(title: str, points: Sequence, url_for_point: Callable | None = None) -> Chart:
    """Bars of target (outline) and actual (filled, coloured by status) for each plan year.

    `points` are objects with year, actual (None = future) and target (None = no target);
    `url_for_point(point)` gives the drill-down link of an actual bar.
    """
    layout = GroupedBars(
        TREND_FRAME, len(points), 2, _peak(v for p in points for v in (p.actual, p.target)),
        max_bar_width=TREND_BAR_WIDTH,
    )
    chart = Chart(title=title, frame=TREND_FRAME)
    for n, point in enumerate(points):
        chart.labels.append(Label(layout.centre(n), str(point.year)))
        if point.target is not None:
            box = layout.box(n, 0, point.target)
            chart.bars.append(Bar(
                box.x, box.y, box.width, box.height, point.target, text="", tooltip=f"目标 {point.target}",
                css=TARGET_CSS,
            ))
        if point.actual is not None:
            box = layout.box(n, 1, point.actual)
            chart.bars.append(Bar(
                box.x, box.y, box.width, box.height, point.actual, text=str(point.actual),
                tooltip=f"实际 {point.actual}", css=_actual_css(point),
                url=url_for_point(point) if url_for_point else None,
            ))
    return chart


def _actual_css(point) -> str:
    if point.target is None or point.actual is None:
        return "trend-actual"
    return "trend-actual trend-met" if point.actual >= point.target else "trend-actual trend-short"


# --------------------------------------------------------------------------- series per year

SERIES_FRAME = Frame(width=320, height=150, left=6, right=6, top=16, bottom=20)
SERIES_BAR_WIDTH = 26
COLORS = ("#0d6efd", "#20c997", "#fd7e14", "#6f42c1")


def format_amount(value: Number) -> str:
    """A short label for a bar: whole numbers as they are, one decimal otherwise, 亿 from 10,000 万元."""
    d = Decimal(str(value))
    if abs(d) >= 10000:
        return f"{(d / 10000).quantize(Decimal('0.1'), ROUND_HALF_UP)}亿"
    if d == d.to_integral_value():
        return f"{int(d)}"
    return f"{d.quantize(Decimal('0.1'), ROUND_HALF_UP)}"


def bar_chart(
    key: str, title: str, unit: str, years: Sequence[int],
    series: Sequence[tuple[str, Sequence[Number | None]]],
    fmt: Callable[[Number], str] = format_amount,
) -> Chart:
    """Grouped bars: one group per year, one bar per series (one colour each); None values are left out."""
    chart = Chart(
        title=title, frame=SERIES_FRAME, key=key, unit=unit,
        series=[(name, COLORS[i % len(COLORS)]) for i, (name, _values) in enumerate(series)],
    )
    if not years:
        return chart
    layout = GroupedBars(
        SERIES_FRAME, len(years), len(series), _peak(v for _name, values in series for v in values),
        max_bar_width=SERIES_BAR_WIDTH,
    )
    for n, year in enumerate(years):
        chart.labels.append(Label(layout.centre(n), str(year)))
        for index, (name, values) in enumerate(series):
            value = values[n]
            if value is None:
                continue
            box = layout.box(n, index, value)
            chart.bars.append(Bar(
                box.x, box.y, box.width, box.height, value, color=chart.series[index][1],
                # Percentages carry their sign on the bar; other units are in the title.
                text=fmt(value) + ("%" if unit == "%" else ""), tooltip=f"{year} 年{name}：{fmt(value)} {unit}",
            ))
    return chart


# --------------------------------------------------------------------------- meter


@dataclass(frozen=True)
class Meter:
    """A small horizontal bar for "% complete" (an inline style width is forbidden by the CSP)."""

    width: int
    filled: float
    css: str


def meter(percent: float | None, css: str, width: int = 100) -> Meter | None:
    """The meter of a percentage (capped at 100%), or None without a target."""
    if percent is None:
        return None
    return Meter(width, round(min(max(percent, 0.0), 100.0) * width / 100.0, 1), css)
