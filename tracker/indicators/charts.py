"""Geometry of the server-drawn SVG charts (no JavaScript, no inline styles: classes and attributes).

A chart is computed here as plain numbers; templates/indicators/_trend.html draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT = 300, 150
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 18, 122  # plot area; year labels sit below BOTTOM
BAR = 18


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    css: str
    label_x: float
    label_y: float
    url: str | None = None


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    baseline_y: float
    bars: list[Bar]
    years: list[tuple[float, int]]  # (x of the label, year)
    title: str


def trend_chart(title: str, points: list, url_for_point=None) -> TrendChart:
    """Bars of target (outline) and actual (filled, coloured by status) for each plan year.

    `points` are objects with year, actual (None = future) and target (None = no target);
    `url_for_point(point)` gives the drill-down link of an actual bar.
    """
    values = [v for p in points for v in (p.actual, p.target) if v is not None]
    top = max(values) if values else 0
    scale = (BOTTOM - TOP) / top if top else 0.0
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    bars: list[Bar] = []
    years: list[tuple[float, int]] = []
    for n, point in enumerate(points):
        x0 = LEFT + n * slot + (slot - 2 * BAR - 2) / 2
        years.append((round(LEFT + n * slot + slot / 2, 1), point.year))
        for offset, value, css in ((0, point.target, "trend-target"), (BAR + 2, point.actual, _actual_css(point))):
            if value is None:
                continue
            height = max(value * scale, 1.0 if value else 0.0)
            x = round(x0 + offset, 1)
            y = round(BOTTOM - height, 1)
            url = url_for_point(point) if (url_for_point and css != "trend-target") else None
            bars.append(Bar(x, y, BAR, round(height, 1), value, css, round(x + BAR / 2, 1), round(y - 3, 1), url))
    return TrendChart(WIDTH, HEIGHT, BOTTOM, bars, years, title)


def _actual_css(point) -> str:
    if point.target is None or point.actual is None:
        return "trend-actual"
    return "trend-actual trend-met" if point.actual >= point.target else "trend-actual trend-short"


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
