"""Bar charts as SVG, embedded in Markdown metadata so the Dagster asset page shows a picture.

>>> "<svg" in bar_chart_svg({"a": 3, "b": 1}, title="examples")
True
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from html import escape

import dagster as dg

BAR_HEIGHT, GAP, LABEL_WIDTH, BAR_WIDTH = 18, 6, 170, 320


def bar_chart_svg(values: Mapping[str, float], *, title: str) -> str:
    """A horizontal bar chart, one bar per key, largest value full width."""
    items = list(values.items())
    top = max((v for _, v in items), default=0) or 1
    height = 30 + len(items) * (BAR_HEIGHT + GAP)
    width = LABEL_WIDTH + BAR_WIDTH + 80
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<text x="4" y="16" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(items):
        y = 26 + index * (BAR_HEIGHT + GAP)
        length = max(1, int(BAR_WIDTH * value / top))
        shown = f"{value:.2f}" if isinstance(value, float) and value < 10 else f"{value:g}"
        parts += [
            f'<text x="4" y="{y + 13}">{escape(str(label))}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            'fill="#4f43dd"/>',
            f'<text x="{LABEL_WIDTH + length + 4}" y="{y + 13}">{shown}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def chart_metadata(values: Mapping[str, float], *, title: str) -> dg.MetadataValue:
    """Markdown holding the chart as an inline image."""
    encoded = base64.b64encode(bar_chart_svg(values, title=title).encode()).decode()
    return dg.MetadataValue.md(f"![{title}](data:image/svg+xml;base64,{encoded})")


LINE_COLORS = ("#4f43dd", "#e4572e", "#17a589", "#f0a202")


def line_chart_svg(
    series: Mapping[str, list[tuple[float, float]]], *, title: str, x_label: str = "step"
) -> str:
    """Lines over a shared x axis (one per series, NaN points skipped), with a legend.

    >>> "<polyline" in line_chart_svg({"loss": [(0, 3.0), (10, 2.0)]}, title="loss")
    True
    """
    width, height, left, top, plot_w, plot_h = 520, 260, 50, 28, 440, 180
    points = [(x, y) for line in series.values() for x, y in line if y == y]  # y == y: not NaN
    x_max = max((x for x, _ in points), default=1) or 1
    y_min = min((y for _, y in points), default=0.0)
    y_max = max((y for _, y in points), default=1.0)
    span = (y_max - y_min) or 1.0

    def place(x: float, y: float) -> str:
        return f"{left + plot_w * x / x_max:.1f},{top + plot_h * (1 - (y - y_min) / span):.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<text x="4" y="16" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#888"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#888"/>',
        f'<text x="4" y="{top + 8}">{y_max:.2f}</text>',
        f'<text x="4" y="{top + plot_h}">{y_min:.2f}</text>',
        f'<text x="{left + plot_w - 30}" y="{top + plot_h + 16}">{x_label} {x_max:g}</text>',
    ]
    for index, (name, line) in enumerate(series.items()):
        color = LINE_COLORS[index % len(LINE_COLORS)]
        shown = " ".join(place(x, y) for x, y in line if y == y)
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{shown}"/>')
        parts.append(
            f'<text x="{left + 10 + 140 * index}" y="{height - 8}" fill="{color}">'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart_metadata(
    series: Mapping[str, list[tuple[float, float]]], *, title: str, x_label: str = "step"
) -> dg.MetadataValue:
    """Markdown holding a line chart as an inline image."""
    svg = line_chart_svg(series, title=title, x_label=x_label)
    encoded = base64.b64encode(svg.encode()).decode()
    return dg.MetadataValue.md(f"![{title}](data:image/svg+xml;base64,{encoded})")
