"""Where the bars of a report chart go: a pure function of the numbers.

A chart is drawn by a plain template (points/_chart.html) as an SVG of
<rect>s; this module works out their places, the scale and its ticks, so the
template only copies numbers. Values may be negative (automatic points net
of deductions can be): bars grow up or down from the zero line. A zero value
gets a bar of no height, which draws nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 720
HEIGHT = 280
LEFT = 64  # room for the tick labels
RIGHT = 12
TOP = 12
BOTTOM = 56  # room for the category labels
GAP = 0.2  # share of each category's slot left empty between groups
TICKS = 5  # about this many steps on the value axis
LABEL_CHARS = 14  # longer category labels are cut (the full one is in the bar's title)
CHAR_WIDTH = 7  # about the width of one label character (13px text, points.css)
LABEL_PAD = 10  # and this much room between two labels: with many, only every n-th is shown
MAX_BAR = 56  # few categories: bars no wider than this, centred in their slot


@dataclass(frozen=True)
class Bar:
    category: str
    series: str
    index: int  # which series: its colour class is chart-s<index>
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Label:
    text: str
    x: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    zero_y: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[Label, ...]
    series: tuple[str, ...]

    @property
    def label_y(self) -> float:
        return self.plot_bottom + 16


def nice_step(span: int, ticks: int = TICKS) -> int:
    """A round step (1, 2 or 5 times a power of ten) that covers `span` in about `ticks` steps."""
    if span <= 0:
        return 1
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return max(1, int(factor * power))
    return int(10 * power)  # pragma: no cover - the loop always returns


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """Grouped bars: one group per category, one bar per series in each group.
    Every series has one value per category."""
    if not series:
        raise ValueError("A chart needs at least one series.")
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(
                f"Series {name!r} has {len(values)} values for {len(categories)} categories."
            )
    everything = [value for _, values in series for value in values]
    low, high = min([0, *everything]), max([0, *everything])
    step = nice_step(high - low)
    top = math.ceil(high / step) * step
    bottom = math.floor(low / step) * step
    if top == bottom:
        top = bottom + step
    plot_left, plot_right = float(LEFT), float(width - RIGHT)
    plot_top, plot_bottom = float(TOP), float(height - BOTTOM)
    plot_height = plot_bottom - plot_top

    def y_of(value: int) -> float:
        return plot_top + (top - value) / (top - bottom) * plot_height

    zero_y = y_of(0)
    slot = (plot_right - plot_left) / max(1, len(categories))
    bar_width = min(slot * (1 - GAP) / len(series), MAX_BAR)
    longest = max((len(_short(category)) for category in categories), default=0)
    label_every = max(1, math.ceil((longest * CHAR_WIDTH + LABEL_PAD) / slot))
    bars: list[Bar] = []
    labels: list[Label] = []
    for c, category in enumerate(categories):
        group_left = plot_left + (c + 0.5) * slot - bar_width * len(series) / 2
        if c % label_every == 0:
            labels.append(Label(_short(category), round(plot_left + (c + 0.5) * slot, 2)))
        for s, (name, values) in enumerate(series):
            value = values[c]
            upper, lower = y_of(max(value, 0)), y_of(min(value, 0))
            bars.append(Bar(
                category=category, series=name, index=s, value=value,
                x=round(group_left + s * bar_width, 2), y=round(upper, 2),
                width=round(bar_width, 2), height=round(lower - upper, 2),
            ))
    ticks = tuple(Tick(value, round(y_of(value), 2)) for value in range(bottom, top + 1, step))
    return Chart(
        width=width, height=height, plot_left=plot_left, plot_right=plot_right,
        plot_top=plot_top, plot_bottom=plot_bottom, zero_y=round(zero_y, 2), bars=tuple(bars),
        ticks=ticks, labels=tuple(labels), series=tuple(name for name, _ in series),
    )
