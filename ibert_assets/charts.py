"""Bar charts the Dagster UI renders: Markdown tables whose last column is the bar.

The UI's Markdown renderer shows tables but not inline images (an SVG data URI shows as a bare
link), so the bar is drawn with block characters, one row per key, longest bar for the largest
value. Per-partition figures go here, not into numeric metadata, which the UI plots as a line
across partitions as if they were points in time.

>>> print(bar_chart_markdown({"train": 4, "test": 2}, title="split"))
| split | value | |
|---|---:|---|
| train | 4 | ████████████████████████ |
| test | 2 | ████████████ |
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

BAR_CELLS = 24
"""Width of the longest bar, in block characters."""


def bar_chart_markdown(values: Mapping[str, float], *, title: str) -> str:
    """A Markdown table: label, value, and a bar proportional to the value."""
    top = max((abs(v) for v in values.values()), default=0) or 1
    rows = []
    for label, value in values.items():
        cells = round(BAR_CELLS * abs(value) / top)
        shown = f"{value:.3f}" if isinstance(value, float) and abs(value) < 10 else f"{value:,}"
        bar = "█" * cells or "▏"
        rows.append(f"| {_cell(label)} | {shown} | {bar} |")
    return "\n".join([f"| {_cell(title)} | value | |", "|---|---:|---|", *rows])


def chart_metadata(values: Mapping[str, float], *, title: str) -> dg.MetadataValue:
    """The bar chart as Markdown metadata (rendered on the asset and run pages)."""
    return dg.MetadataValue.md(bar_chart_markdown(values, title=title))


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
