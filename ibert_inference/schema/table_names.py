"""Qualified table names (``proj.dataset.table``, ``db.schema.table``, quoted) read as the
schema's tables.

A warehouse query names its tables as its warehouse does; a schema (given or inferred) names each
table once, by its bare name. The translator and the verifier both read a qualified name of a
schema table as that table.

>>> import sqlglot
>>> tree = sqlglot.parse_one("SELECT s.id FROM `proj.analytics.sessions` AS s", read="bigquery")
>>> unqualified_tables(tree, {"sessions": {"id": "int64"}}).sql("bigquery")
'SELECT s.id FROM `sessions` AS s'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from sqlglot import exp

Tree = TypeVar("Tree", bound=exp.Expr)


def qualified_tables(tree: exp.Expr, tables: Iterable[str]) -> list[exp.Table]:
    """The table references in ``tree`` that qualify one of ``tables`` (case-insensitively)."""
    names = {name.lower() for name in tables}
    return [
        table
        for table in tree.find_all(exp.Table)
        if (table.args.get("db") or table.args.get("catalog")) and table.name.lower() in names
    ]


def unqualified_tables(tree: Tree, tables: Iterable[str]) -> Tree:
    """``tree`` (changed in place) with every reference to one of ``tables`` by its bare name,
    unquoted: the schema names the table, and a quoted ``"products"`` in Snowflake would
    otherwise differ from the schema's ``products`` (read as ``PRODUCTS``)."""
    names = list(tables)
    for table in qualified_tables(tree, names):
        table.set("db", None)
        table.set("catalog", None)
    lowered = {name.lower() for name in names}
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Identifier) and table.name.lower() in lowered:
            table.this.set("quoted", False)
    return tree
