"""What a query compares its columns with, and which columns it groups by: the seeds of the
adversarial values :mod:`ibert_inference.verify.databases` plants.

>>> found = query_literals("SELECT * FROM t WHERE a > 5 AND b LIKE 'x%' AND c IN (1, 2)")
>>> sorted(found.by_column.items())
[('a', (5,)), ('b', (Pattern(text='x%', kind='like'),)), ('c', (1, 2))]
>>> query_literals("SELECT g, SUM(v) FROM t GROUP BY g").grouped
('g',)
>>> query_literals("SELECT * FROM t WHERE a IS NOT NULL AND COALESCE(b, 0) > 1").null_tested
('a', 'b')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from ibert_inference.verify.boundary_values import Pattern

LiteralKey = tuple[tuple[str, tuple[Any, ...]], ...]

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like, exp.ILike)
_PATTERN_MATCHES = (exp.Like, exp.ILike)
# functions whose second argument is a regular expression matched against the first
_REGEX_FUNCTIONS = (exp.RegexpLike, exp.RegexpILike, exp.RegexpReplace, exp.RegexpExtract)


@dataclass(frozen=True, eq=False)
class QueryLiterals:
    """Values a query compares columns with (by lowercased column name), and the rest; the
    columns whose groups (GROUP BY, PARTITION BY, join keys) should hold several rows; and the
    columns it tests for NULL (``IS [NOT] NULL``, ``COALESCE``), which should hold a NULL in as
    many rows again as the others."""

    by_column: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    loose: tuple[Any, ...] = ()
    grouped: tuple[str, ...] = ()
    null_tested: tuple[str, ...] = ()

    def for_columns(self, columns: set[str]) -> QueryLiterals:
        """Literals compared with names that are no column (an alias: ``HAVING total > 60``
        compiled as ``WHERE "total" > 60``) planted like the loose ones, not lost."""
        if all(name in columns for name in self.by_column):
            return self
        loose = list(self.loose)
        for name, values in self.by_column.items():
            if name not in columns:
                loose += [v for v in values if v not in loose]
        kept = {name: values for name, values in self.by_column.items() if name in columns}
        return QueryLiterals(kept, tuple(loose), self.grouped, self.null_tested)

    def key(self) -> LiteralKey:
        items = sorted((c, tuple(map(repr, v))) for c, v in self.by_column.items())
        return (
            *items,
            ("", tuple(map(repr, self.loose))),
            ("group by", self.grouped),
            ("null", self.null_tested),
        )

    def __hash__(self) -> int:
        return hash(self.key())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QueryLiterals) and self.key() == other.key()


def query_literals(sql: str | exp.Expr, dialect: str = "duckdb") -> QueryLiterals:
    """Literals of ``sql``, attached to the column they are compared with where there is one.

    ``sql`` is text in ``dialect``, or a tree sqlglot already parsed (the verifier parses once).
    A LIKE or regular-expression pattern is kept as a :class:`Pattern`; a literal compared with
    an expression of one column (``LOWER(s) = 'bob'``) is attached to that column and also kept
    loose, for the columns of its own type.
    """
    if isinstance(sql, exp.Expr):
        tree = sql
    else:
        try:
            tree = sqlglot.parse_one(sql, read=dialect)
        except sqlglot.errors.SqlglotError:
            return QueryLiterals()
    by_column: dict[str, list[Any]] = {}
    loose: list[Any] = []
    for node in tree.find_all(exp.Literal, exp.Cast):
        value = _literal_value(node)
        if value is None:
            continue
        found = _compared_column(node)
        if found is None:
            loose.append(value)
            continue
        column, direct = found
        if isinstance(value, str) and isinstance(node.parent, _PATTERN_MATCHES):
            value = Pattern(value, "like")
        elif isinstance(value, str) and _is_regex_argument(node):
            value = Pattern(value, "regex")
        by_column.setdefault(column.lower(), []).append(value)
        if not direct and not isinstance(value, Pattern):
            loose.append(value)
    return QueryLiterals(
        by_column={c: tuple(dict.fromkeys(v)) for c, v in by_column.items()},
        loose=tuple(dict.fromkeys(loose)),
        grouped=_grouped_columns(tree),
        null_tested=_null_tested_columns(tree),
    )


def _literal_value(node: exp.Expr) -> Any:
    if isinstance(node, exp.Cast):
        inner = node.this
        if not isinstance(inner, exp.Literal) or not inner.is_string:
            return None
        try:
            if node.to.is_type("date"):
                return dt.date.fromisoformat(inner.this[:10])
            if node.to.is_type(*exp.DataType.TEMPORAL_TYPES):
                return dt.datetime.fromisoformat(inner.this)
        except ValueError:
            return None
        return None
    if isinstance(node.parent, exp.Cast):
        return None  # handled with its cast
    if node.is_string:
        return node.this
    try:
        number = float(node.this)
    except ValueError:
        return None
    if isinstance(node.parent, exp.Neg):
        number = -number
    return int(number) if number.is_integer() and "." not in node.this else number


def _compared_column(node: exp.Expr) -> tuple[str, bool] | None:
    """The column ``node`` is compared with or matched against, and whether it is the column
    itself (``s = 'x'``) rather than an expression of it (``lower(s) = 'x'``)."""
    parent = node.parent
    if isinstance(parent, exp.Neg):
        node, parent = parent, parent.parent
    if isinstance(parent, _COMPARISONS):
        other = parent.left if parent.right is node else parent.right
        return _single_column(other)
    if isinstance(parent, exp.In | exp.Between):
        return _single_column(parent.this)
    if isinstance(parent, _REGEX_FUNCTIONS) and parent.args.get("expression") is node:
        return _single_column(parent.this)
    return None


def _single_column(node: exp.Expr | None) -> tuple[str, bool] | None:
    if node is None:
        return None
    if isinstance(node, exp.Column):
        return node.name, True
    columns = {column.name for column in node.find_all(exp.Column)}
    # an aggregate of one column too (HAVING SUM(qty) <= 10): its boundary values in that column
    # make single-row groups whose sum sits exactly at the boundary
    if len(columns) == 1 and not node.find(exp.Subquery):
        return columns.pop(), False
    return None


def _is_regex_argument(node: exp.Expr) -> bool:
    parent = node.parent
    return isinstance(parent, _REGEX_FUNCTIONS) and parent.args.get("expression") is node


def _grouped_columns(tree: exp.Expr) -> tuple[str, ...]:
    """Columns of GROUP BY, PARTITION BY and join conditions: the ones whose groups need rows."""
    names: list[str] = []
    for group in tree.find_all(exp.Group):
        for expression in group.expressions:
            names += [c.name.lower() for c in expression.find_all(exp.Column)]
    for window in tree.find_all(exp.Window):
        for expression in window.args.get("partition_by") or []:
            names += [c.name.lower() for c in expression.find_all(exp.Column)]
    for join in tree.find_all(exp.Join):
        condition = join.args.get("on")
        if condition is not None:
            names += [c.name.lower() for c in condition.find_all(exp.Column)]
    return tuple(dict.fromkeys(names))


def _null_tested_columns(tree: exp.Expr) -> tuple[str, ...]:
    """Columns under ``IS [NOT] NULL`` or the first argument of ``COALESCE``."""
    names: list[str] = []
    for test in tree.find_all(exp.Is):
        if isinstance(test.expression, exp.Null):
            names += [c.name.lower() for c in test.this.find_all(exp.Column)]
    for coalesce in tree.find_all(exp.Coalesce):
        names += [c.name.lower() for c in coalesce.this.find_all(exp.Column)]
    return tuple(dict.fromkeys(names))
