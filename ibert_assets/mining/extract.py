"""Snippets of SQL and Ibis found in source files: parsed out of the text, never executed.

Python goes through ``ast`` (string literals, ``.sql(...)`` / ``.raw_sql(...)`` calls, functions
that declare ``ibis.table``), notebooks through nbformat (code cells and ``%%sql`` cells),
Markdown and Quarto through markdown-it's fenced blocks, reST through its code directives.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TypeGuard

from ibert_assets.mining.files import SourceFile

SQL_CALLS = frozenset({"sql", "raw_sql"})
_SQL_START = re.compile(r"^\s*(\(\s*)*(select|with)\b", re.IGNORECASE)
_SQL_FROM = re.compile(r"\bfrom\b", re.IGNORECASE)
_RST_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(code-block|code|sourcecode|ipython)::\s*(\w+)?\s*$")
# Ibis backend names -> the sqlglot dialect that reads their SQL
_BACKEND_DIALECTS = {
    "mssql": "tsql",
    "impala": "hive",
    "pyspark": "spark",
    "datafusion": "postgres",
    "flink": "hive",
    "sqlite": "sqlite",
}
_SQLGLOT_DIALECTS = frozenset(
    {
        "athena", "bigquery", "clickhouse", "databricks", "druid", "duckdb", "exasol", "hive",
        "materialize", "mysql", "oracle", "postgres", "presto", "redshift", "risingwave",
        "snowflake", "spark", "sqlite", "trino", "tsql",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Snippet:
    """One piece of SQL or Ibis code with where it was found."""

    kind: str  # "sql" | "ibis"
    text: str
    path: str
    line_start: int
    line_end: int
    origin: str  # py_string, py_call, py_function, notebook_sql_cell, sql_file, markdown_block, ...
    dialect: str = "duckdb"


def dialect_for_path(path: str, default: str = "duckdb") -> str:
    """The SQL dialect a path suggests (``.../snapshots/test_x/bigquery/out.sql`` is BigQuery)."""
    for part in reversed(PurePosixPath(path).parts[:-1]):
        name = part.lower()
        if name in _BACKEND_DIALECTS:
            return _BACKEND_DIALECTS[name]
        if name in _SQLGLOT_DIALECTS:
            return name
    return default


def looks_like_sql(text: str) -> bool:
    """A cheap filter before sqlglot: starts with SELECT/WITH and has a FROM."""
    return bool(_SQL_START.match(text)) and bool(_SQL_FROM.search(text)) and len(text) < 50_000


def snippets_from_file(source: SourceFile, skipped: Counter[str]) -> Iterator[Snippet]:
    """Every SQL or Ibis snippet in one file; unreadable files are counted in ``skipped``."""
    dialect = dialect_for_path(source.path)
    if source.suffix == ".py":
        yield from snippets_from_python(source.text, source.path, skipped, dialect=dialect)
    elif source.suffix == ".ipynb":
        yield from snippets_from_notebook(source.text, source.path, skipped, dialect=dialect)
    elif source.suffix == ".sql":
        if source.text.strip():
            yield Snippet("sql", source.text, source.path, 1, source.text.count("\n") + 1,
                          "sql_file", dialect)  # fmt: skip
    elif source.suffix in {".md", ".qmd"}:
        yield from snippets_from_markdown(source.text, source.path, dialect=dialect)
    elif source.suffix == ".rst":
        yield from snippets_from_rst(source.text, source.path, dialect=dialect)


def snippets_from_python(
    text: str, path: str, skipped: Counter[str], *, dialect: str = "duckdb", line_offset: int = 0
) -> Iterator[Snippet]:
    """SQL in string literals and ``.sql()``/``.raw_sql()`` calls; code declaring ibis tables."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        skipped["python_syntax_error"] += 1
        return
    docstrings = {
        id(first.value)
        for node in ast.walk(tree)
        if _has_docstring(node)
        for first in node.body[:1]
        if isinstance(first, ast.Expr)
    }
    seen: set[int] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            arg = node.args[0]
            assert isinstance(arg.value, str)
            seen.add(id(arg))
            yield _python_snippet("sql", arg.value, path, arg, "py_call", dialect, line_offset)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in seen
            and id(node) not in docstrings
            and looks_like_sql(node.value)
        ):
            yield _python_snippet("sql", node.value, path, node, "py_string", dialect, line_offset)
    for block in _ibis_blocks(tree, text):
        yield Snippet("ibis", block[0], path, block[1] + line_offset, block[2] + line_offset,
                      "py_function" if block[3] else "py_module", dialect)  # fmt: skip


def _python_snippet(
    kind: str, value: str, path: str, node: ast.AST, origin: str, dialect: str, offset: int
) -> Snippet:
    start = getattr(node, "lineno", 1) + offset
    end = (getattr(node, "end_lineno", None) or start - offset) + offset
    return Snippet(kind, textwrap.dedent(value).strip(), path, start, end, origin, dialect)


def _has_docstring(
    node: ast.AST,
) -> TypeGuard[ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    if not isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return False
    body = node.body
    return (
        bool(body)
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def _ibis_blocks(tree: ast.Module, text: str) -> Iterator[tuple[str, int, int, bool]]:
    """Code that declares its own tables with ``ibis.table``: whole module or one function body."""
    lines = text.splitlines()

    def declares_table(nodes: list[ast.stmt]) -> bool:
        return any(
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "table"
            and isinstance(n.func.value, ast.Name)
            and n.func.value.id == "ibis"
            for stmt in nodes
            for n in ast.walk(stmt)
        )

    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    top_level = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)]
    if (
        top_level
        and declares_table(top_level)
        and not any(declares_table(f.body) for f in functions)
    ):
        yield text, 1, len(lines), False
        return
    for function in functions:
        body = function.body
        if _has_docstring(function):
            body = body[1:]
        if not body or not declares_table(body):
            continue
        start, end = body[0].lineno, body[-1].end_lineno or body[-1].lineno
        source = textwrap.dedent("\n".join(lines[start - 1 : end]))
        yield source, start, end, True


def snippets_from_notebook(
    text: str, path: str, skipped: Counter[str], *, dialect: str = "duckdb"
) -> Iterator[Snippet]:
    """Code cells (as Python, magics stripped) and ``%%sql`` cells of a notebook."""
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception:  # nbformat raises several unrelated types for bad JSON or schema
        skipped["malformed_notebook"] += 1
        return
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        first, _, rest = source.partition("\n")
        if first.strip().startswith("%%sql"):
            if rest.strip():
                yield Snippet("sql", rest.strip(), path, index + 1, index + 1,
                              "notebook_sql_cell", dialect)  # fmt: skip
            continue
        python = "\n".join(
            "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
        )
        for snippet in snippets_from_python(python, path, skipped, dialect=dialect):
            yield Snippet(snippet.kind, snippet.text, path, index + 1, index + 1,
                          f"notebook_{snippet.origin}", dialect)  # fmt: skip


def snippets_from_markdown(text: str, path: str, *, dialect: str = "duckdb") -> Iterator[Snippet]:
    """Fenced ``sql`` and ``python`` blocks of Markdown and Quarto pages."""
    for language, code, start, end in fenced_blocks(text):
        if language == "sql":
            yield Snippet("sql", code, path, start, end, "markdown_sql_block", dialect)
        elif language == "python" and "ibis.table(" in code:
            yield Snippet("ibis", code, path, start, end, "markdown_python_block", dialect)
        elif language == "python":
            counter: Counter[str] = Counter()
            for snippet in snippets_from_python(code, path, counter, dialect=dialect):
                yield Snippet(snippet.kind, snippet.text, path, start, end,
                              f"markdown_{snippet.origin}", dialect)  # fmt: skip


def fenced_blocks(text: str) -> Iterator[tuple[str, str, int, int]]:
    """(language, code, first code line, last code line) of each fenced block (1-based)."""
    from markdown_it import MarkdownIt

    for token in MarkdownIt("commonmark").parse(text):
        if token.type != "fence" or token.map is None:
            continue
        info = (
            token.info.strip().strip("{}").split(",")[0].split()[0].lower()
            if token.info.strip()
            else ""
        )
        # map is the 0-based [opening fence, line after the closing fence): report the code lines
        yield info, token.content, token.map[0] + 2, max(token.map[1] - 1, token.map[0] + 2)


def snippets_from_rst(text: str, path: str, *, dialect: str = "duckdb") -> Iterator[Snippet]:
    """``.. code-block:: sql|python`` directives of reStructuredText."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _RST_DIRECTIVE.match(lines[index])
        index += 1
        if not match:
            continue
        indent, language = len(match.group(1)), (match.group(3) or "python").lower()
        while index < len(lines) and (
            not lines[index].strip() or lines[index].lstrip().startswith(":")
        ):
            index += 1
        start = index
        while index < len(lines) and (
            not lines[index].strip() or len(lines[index]) - len(lines[index].lstrip()) > indent
        ):
            index += 1
        code = textwrap.dedent("\n".join(lines[start:index])).strip()
        if not code:
            continue
        if language == "sql":
            yield Snippet("sql", code, path, start + 1, index, "rst_sql_block", dialect)
        elif language in {"python", "ipython"} and "ibis.table(" in code:
            yield Snippet("ibis", code, path, start + 1, index, "rst_python_block", dialect)
