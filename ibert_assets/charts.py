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


def line_chart_metadata(
    series: Mapping[str, list[tuple[float, float]]], *, title: str, x_label: str = "step"
) -> dg.MetadataValue:
    """Curves over a shared x axis (a loss curve) as a Markdown table, a bar per series' value.

    >>> print(line_chart_metadata({"loss": [(0, 3.0), (10, 1.5)]}, title="SFT").value)
    **SFT**
    <BLANKLINE>
    | step | loss | |
    |---:|---:|---|
    | 0 | 3.000 | ████████████████████████ |
    | 10 | 1.500 | ████████████ |
    """
    steps = sorted({x for line in series.values() for x, _ in line})
    values = {name: dict(line) for name, line in series.items()}
    first = next(iter(series), "")
    top = max((abs(y) for line in series.values() for _, y in line if y == y), default=0) or 1
    header = f"| {_cell(x_label)} | " + " | ".join(_cell(name) for name in series) + " | |"
    rows = [f"**{_cell(title)}**", "", header, "|---:|" + "---:|" * len(series) + "---|"]
    for step in steps:
        shown = [values[name].get(step, float("nan")) for name in series]
        cells = [f"{y:.3f}" if y == y else "" for y in shown]
        y = values[first].get(step, float("nan"))
        bar = "█" * round(BAR_CELLS * abs(y) / top) if y == y else ""
        rows.append(f"| {step:g} | " + " | ".join(cells) + f" | {bar or '▏'} |")
    return dg.MetadataValue.md("\n".join(rows))
