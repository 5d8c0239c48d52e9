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
