from collections import Counter

from ibert_assets.mining.extract import (
    dialect_for_path,
    snippets_from_markdown,
    snippets_from_notebook,
    snippets_from_python,
    snippets_from_rst,
)
from ibert_assets_tests.mining_repo import PY_WITH_SQL, QUARTO_PAGE


def test_python_strings_calls_and_table_declaring_functions():
    snippets = list(snippets_from_python(PY_WITH_SQL, "analytics.py", Counter()))
    by_origin = {s.origin: s for s in snippets}
    assert by_origin["py_call"].text.startswith("SELECT name, amount FROM orders")
    assert by_origin["py_string"].text.startswith("SELECT name, SUM(amount)")
    assert by_origin["py_string"].line_start == 3
    assert by_origin["py_function"].kind == "ibis"
    assert "orders.filter" in by_origin["py_function"].text
    assert "Spend per customer" not in by_origin["py_function"].text  # docstring left out


def test_syntax_errors_are_counted_not_raised():
    skipped: Counter[str] = Counter()
    assert list(snippets_from_python("def broken(:\n", "x.py", skipped)) == []
    assert skipped == Counter(python_syntax_error=1)


def test_notebook_sql_cells_and_code_cells():
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("%%sql duckdb://\nSELECT a FROM t WHERE a > 1"),
        nbformat.v4.new_code_cell("%matplotlib inline\nq = 'SELECT b FROM u WHERE b = 2'"),
    ]
    snippets = list(snippets_from_notebook(nbformat.writes(notebook), "n.ipynb", Counter()))
    assert [(s.origin, s.text, s.line_start) for s in snippets] == [
        ("notebook_sql_cell", "SELECT a FROM t WHERE a > 1", 1),
        ("notebook_py_string", "SELECT b FROM u WHERE b = 2", 2),
    ]


def test_malformed_notebook_is_counted():
    skipped: Counter[str] = Counter()
    assert list(snippets_from_notebook("{not json", "bad.ipynb", skipped)) == []
    assert skipped == Counter(malformed_notebook=1)


def test_quarto_blocks_with_line_numbers():
    snippets = list(snippets_from_markdown(QUARTO_PAGE, "docs/filtering.qmd"))
    assert [(s.kind, s.origin) for s in snippets] == [
        ("sql", "markdown_sql_block"),
        ("ibis", "markdown_python_block"),
    ]
    assert snippets[0].line_start == 13
    assert QUARTO_PAGE.splitlines()[snippets[0].line_start - 1].startswith("SELECT payment_id")


def test_rst_code_blocks():
    page = "Title\n=====\n\n.. code-block:: sql\n\n   SELECT a\n   FROM t\n\nAfter.\n"
    (snippet,) = snippets_from_rst(page, "doc.rst")
    assert snippet.text == "SELECT a\nFROM t"
    assert snippet.line_start == 6


def test_dialect_comes_from_the_path():
    assert dialect_for_path("ibis/tests/snapshots/test_x/bigquery/out.sql") == "bigquery"
    assert dialect_for_path("ibis/backends/mssql/tests/q.sql") == "tsql"
    assert dialect_for_path("queries/report.sql") == "duckdb"
