"""Table schemas a repository declares in its own code, read without running it.

Mined SQL comes without its database, and a schema inferred from one query knows only the columns
that query uses and guesses their types from usage: ``APPROX_COUNT_DISTINCT(double_col)`` says
nothing about ``double_col``, so it was typed ``string``. Test suites usually declare the tables
their SQL runs on (``ibis.schema({...})``, ``ibis.table(schema, name=...)``, a dict of table name to
``(column, type)`` pairs). Those declarations are found by parsing the repository's Python files
(``ast`` only) and used in place of the inferred table where they fit it.

>>> found = declared_schemas([SourceFile("t.py", ".py",
...     'T = {"orders": [("id", "int32"), ("total", "double")]}\\n'
...     'u = ibis.table({"name": "string"}, name="users")')])
>>> found.for_query("users", {"name"}), found.for_query("users", {"email"})
({'name': 'string'}, None)
>>> refine_schema({"orders": {"total": "string"}}, found)
({'orders': {'id': 'int32', 'total': 'float64'}}, ['orders'])
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ibert_assets.mining.files import SourceFile
from ibert_assets.quality import role_contradictions
from ibert_inference.errors import SchemaError
from ibert_inference.schema.infer_sql import STAND_IN_COLUMN
from ibert_inference.schema.tables import Schema, parse_dtype

# A file is parsed only when it may declare a table: a schema or table call, or a
# ("column", "type") pair of a common type.
_MAY_DECLARE = re.compile(
    r"""schema\(|table\(|\(\s*['"]\w+['"]\s*,\s*['"](?:int|float|double|string|bool|date|time|decimal)"""
)
_PLAIN_KINDS = ("is_integer", "is_floating", "is_decimal", "is_string", "is_boolean", "is_date",
                "is_timestamp", "is_time")  # fmt: skip
_SCHEMA_CALLS = frozenset({"schema", "Schema"})
_TABLE_CALLS = frozenset({"table"})


Declaration = tuple[tuple[str, str], ...]
"""A table's columns and types, in declaration order (hashable, to be counted)."""


@dataclass
class DeclaredSchemas:
    """Every declaration of each table name, with the file that makes it."""

    declarations: dict[str, list[tuple[str, Declaration]]] = field(default_factory=dict)

    def add(self, table: str, columns: dict[str, str], path: str) -> None:
        self.declarations.setdefault(table, []).append((path, tuple(columns.items())))

    def for_query(self, table: str, used: set[str], path: str = "") -> dict[str, str] | None:
        """The declaration of ``table`` that holds every column in ``used``, made nearest to
        ``path`` (the file the query comes from: a test module declares the tables its
        snapshots use), then most often among those (``functional_alltypes`` declared whole
        in 17 places, partly in 2); none when two disagreeing declarations tie."""
        covering = [
            (_shared_depth(where, path), declaration)
            for where, declaration in self.declarations.get(table, ())
            if used <= {column for column, _ in declaration}
            # a test's `date: int32` is a fixture, not a table a model should learn from
            and not role_contradictions({table: dict(declaration)})
        ]
        if not covering:
            return None
        nearest = max(depth for depth, _ in covering)
        ranked = Counter(d for depth, d in covering if depth == nearest).most_common(2)
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return dict(ranked[0][0])


def declared_schemas(sources: Iterable[SourceFile]) -> DeclaredSchemas:
    """Every table the Python files declare with literal column names and Ibis types."""
    found = DeclaredSchemas()
    for source in sources:
        if source.suffix != ".py" or not _MAY_DECLARE.search(source.text):
            continue
        try:
            tree = ast.parse(source.text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for table, columns in _declarations(tree):
            found.add(table, columns, source.path)
    return found


def refine_schema(
    inferred: Schema, declared: DeclaredSchemas, path: str = ""
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """``inferred`` with each table the repository declares, in a declaration that holds every
    inferred column, replaced by that declaration; and the names of the tables replaced.

    A declaration that lacks a column the query uses is another table of the same name: the
    inferred table stays.
    """
    refined: dict[str, dict[str, str]] = {}
    replaced: list[str] = []
    for table, columns in inferred.items():
        declaration = declared.for_query(table, set(columns) - {STAND_IN_COLUMN}, path)
        if declaration is not None:
            refined[table] = declaration
            replaced.append(table)
        else:
            refined[table] = dict(columns)
    return refined, replaced


def _shared_depth(one: str, other: str) -> int:
    """How many leading folders two paths share."""
    depth = 0
    for a, b in zip(one.split("/")[:-1], other.split("/")[:-1], strict=False):
        if a != b:
            break
        depth += 1
    return depth


def _declarations(tree: ast.AST) -> Iterable[tuple[str, dict[str, str]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            # {"orders": [("id", "int64"), ...], ...} or {"orders": ibis.schema({...}), ...}
            for key, value in zip(node.keys, node.values, strict=True):
                name = _string(key)
                columns = _columns(value) if name else None
                if name and columns:
                    yield name, columns
        elif isinstance(node, ast.Call) and _called(node) in _TABLE_CALLS:
            # ibis.table({...}, name="orders") / ibis.table(schema=..., name="orders")
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            name = _string(keywords.get("name") or (node.args[1] if len(node.args) > 1 else None))
            given = keywords.get("schema") or (node.args[0] if node.args else None)
            columns = _columns(given) if name and given is not None else None
            if name and columns:
                yield name, columns


def _columns(node: ast.expr | None) -> dict[str, str] | None:
    """Column -> normalised Ibis type, when ``node`` is a literal list of typed columns."""
    if isinstance(node, ast.Call) and _called(node) in _SCHEMA_CALLS and len(node.args) == 1:
        node = node.args[0]
    pairs: list[tuple[str | None, str | None]]
    if isinstance(node, ast.Dict):
        pairs = [(_string(k), _string(v)) for k, v in zip(node.keys, node.values, strict=True)]
    elif isinstance(node, ast.List | ast.Tuple):
        pairs = []
        for element in node.elts:
            if not (isinstance(element, ast.Tuple | ast.List) and len(element.elts) == 2):
                return None
            pairs.append((_string(element.elts[0]), _string(element.elts[1])))
    else:
        return None
    columns: dict[str, str] = {}
    for column, dtype in pairs:
        if not column or not dtype or column in columns:
            return None
        try:
            parsed = parse_dtype(dtype)
        except SchemaError:
            return None
        if not any(getattr(parsed, kind)() for kind in _PLAIN_KINDS):
            return None  # geography, binary, JSON, nested: what the generated databases lack
        columns[column] = str(parsed.copy(nullable=True))
    return columns or None


def _called(node: ast.Call) -> str | None:
    function = node.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else None


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value:
        return node.value
    return None
