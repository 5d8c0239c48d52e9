"""Charts the Dagster UI renders: Markdown tables with bars, never image links."""

from ibert_assets.charts import BAR_CELLS, bar_chart_markdown, chart_metadata


def test_bars_are_proportional_and_the_largest_is_full_width():
    table = bar_chart_markdown({"train": 60, "validation": 20, "test": 0}, title="split")
    rows = table.splitlines()[2:]
    bars = [row.split("|")[3].strip() for row in rows]
    assert [len(bar) for bar in bars[:2]] == [BAR_CELLS, BAR_CELLS // 3]
    assert bars[2] == "▏"  # zero still shows a row
    assert "| train | 60 |" in rows[0]


def test_the_chart_is_a_markdown_table_not_an_image_link():
    value = chart_metadata({"qa": 3.5, "a|b": 1}, title="scores")
    assert value.md_str.startswith("| scores | value | |\n|---|---:|---|")
    assert "data:image" not in value.md_str and "![" not in value.md_str
    assert "a\\|b" in value.md_str  # a pipe in a label does not break the table
