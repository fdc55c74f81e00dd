"""Horizontal bar charts as plain SVG geometry (no script, presentation attributes only, CSP-safe)."""

from __future__ import annotations

from dataclasses import dataclass

LABEL_WIDTH = 150
BAR_AREA = 220
ROW_HEIGHT = 28
BAR_HEIGHT = 18


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, text shown at its end, and geometry."""

    label: str
    value: float
    text: str
    y: int
    width: int
    tone: str


@dataclass(frozen=True)
class BarChart:
    """A chart the template draws with <rect> and <text>."""

    title: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def bar_chart(
    title: str, items: list[tuple[str, float, str, str]], max_value: float | None = None
) -> BarChart:
    """Bars for (label, value, text, tone) items, scaled to the largest value (or max_value)."""
    top = max_value or max((v for _, v, _, _ in items), default=0) or 1
    bars = [
        Bar(
            label=label,
            value=value,
            text=text,
            y=i * ROW_HEIGHT,
            width=max(2 if value else 0, round(BAR_AREA * value / top)),
            tone=tone,
        )
        for i, (label, value, text, tone) in enumerate(items)
    ]
    return BarChart(title=title, bars=bars, width=LABEL_WIDTH + BAR_AREA + 60, height=len(bars) * ROW_HEIGHT)
