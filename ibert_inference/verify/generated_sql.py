"""SQL as it runs on the generated databases: tables by their own names, "now" one fixed instant,
the source dialect's meaning kept where DuckDB's spelling of it differs.

A warehouse query names its tables as its warehouse does (``proj.analytics.sessions`` in
BigQuery, ``"memory"."main"."stg_orders"`` from dbt, ``db.schema.table`` in Snowflake); the
generated databases hold each table of the schema under its bare name, so a qualified name
of a schema table is read as that table. ``NOW()``, ``CURRENT_DATE`` and their kin are one fixed
instant, :data:`NOW`, on both sides of a verification (the SQL and the compiled Ibis): the
generated dates lie around it, so that "the last 30 days" selects some rows and not others.

>>> import sqlglot
>>> tree = sqlglot.parse_one("SELECT a FROM proj.analytics.t WHERE d > CURRENT_DATE - 7")
>>> for_generated_databases(tree, {"t": {"a": "int64"}}).sql("duckdb")
"SELECT a FROM t WHERE d > CAST('2023-12-25' AS DATE)"
"""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from ibert_inference.schema.table_names import qualified_tables, unqualified_tables
from ibert_inference.schema.tables import Schema
from ibert_inference.verify.table_rows import BASE_DATE

NOW = dt.datetime.combine(BASE_DATE, dt.time(12, 0))
"""The instant ``NOW()`` / ``CURRENT_TIMESTAMP`` stands for; ``CURRENT_DATE`` is its date."""

_CURRENT_TIMESTAMP = tuple(
    getattr(exp, name)
    for name in ("CurrentTimestamp", "CurrentDatetime", "Localtimestamp", "CurrentTimestampLTZ")
    if hasattr(exp, name)
)
_CURRENT_TIME = tuple(
    getattr(exp, name) for name in ("CurrentTime", "Localtime") if hasattr(exp, name)
)
_NOW_FUNCTIONS = {"NOW", "GETDATE", "SYSDATE", "SYSTIMESTAMP", "TRANSACTION_TIMESTAMP",
                  "STATEMENT_TIMESTAMP", "CURRENT_TIMESTAMP"}  # fmt: skip


def for_generated_databases(tree: exp.Expr, schema: Schema) -> exp.Expr:
    """A copy of ``tree`` with schema tables unqualified, "now" fixed and ``= ANY (a, b)``
    spelled as DuckDB reads it (``tree`` itself when there is nothing to change)."""
    if not (
        qualified_tables(tree, schema)
        or _reads_now(tree)
        or _quantified_lists(tree)
        or tree.find(exp.CountIf)
    ):
        return tree
    copied = unqualified_tables(tree.copy(), schema)
    for count_if in list(copied.find_all(exp.CountIf)):
        # COUNTIF is 0 where no row matches (BigQuery, Snowflake); DuckDB's COUNT_IF is NULL
        # over a group whose condition is NULL in every row
        condition = exp.case().when(count_if.this.copy(), exp.Literal.number(1))
        count_if.replace(exp.Count(this=condition))
    for node in _quantified_lists(copied):
        values = exp.In(this=node.this.copy(), expressions=node.expression.this.expressions)
        node.replace(exp.Not(this=values) if isinstance(node, exp.NEQ) else values)
    return fixed_now(copied)


def _quantified_lists(tree: exp.Expr) -> list[exp.Expr]:
    """``x = ANY ('a', 'b')`` and ``x <> ALL ('a', 'b')`` (Snowflake): DuckDB reads a list there
    as a subquery of several columns; IN and NOT IN are the same three-valued test."""
    return [
        node
        for node in tree.find_all(exp.EQ, exp.NEQ)
        if isinstance(node.expression, exp.Any if isinstance(node, exp.EQ) else exp.All)
        and isinstance(node.expression.this, exp.Tuple | exp.Array)
    ]


def fixed_now(tree: exp.Expr) -> exp.Expr:
    """``NOW()``, ``CURRENT_TIMESTAMP``, ``CURRENT_DATE``, ``CURRENT_TIME`` as :data:`NOW`."""

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.CurrentDate):
            return exp.cast(exp.Literal.string(NOW.date().isoformat()), "date")
        if isinstance(node, _CURRENT_TIMESTAMP) or _is_now_call(node):
            return exp.cast(exp.Literal.string(NOW.isoformat(sep=" ")), "timestamp")
        if isinstance(node, _CURRENT_TIME):
            return exp.cast(exp.Literal.string(NOW.time().isoformat()), "time")
        return node

    fixed = tree.transform(replace, copy=False)
    for node in list(fixed.find_all(exp.Add, exp.Sub)):
        folded = _folded(node)  # type: ignore[arg-type]  # find_all narrows to Add | Sub
        if folded is not None:
            if node is fixed:
                return folded
            node.replace(folded)
    return fixed


def _folded(node: exp.Add | exp.Sub) -> exp.Expr | None:
    """``NOW - INTERVAL '7' DAY`` and ``CURRENT_DATE - 30`` as the literal they stand for:
    the generated databases plant a query's literals and their neighbours, so that the rows on
    both sides of the bound exist."""
    from sqlglot.optimizer.simplify import simplify

    left, right = node.left, node.right
    if not (isinstance(left, exp.Cast) and left.this.is_string):
        return None
    if isinstance(right, exp.Interval):
        copied = node.copy()
        unit = copied.right.args.get("unit")
        if isinstance(unit, exp.Var) and unit.name.upper().endswith("S"):
            unit.set("this", unit.name.upper()[:-1])  # Postgres's '7 days': DAYS
        simplified = simplify(copied)
        return simplified if isinstance(simplified, exp.Cast) else None
    if left.to.is_type("date") and isinstance(right, exp.Literal) and right.is_int:
        days = int(right.this) * (1 if isinstance(node, exp.Add) else -1)
        moved = dt.date.fromisoformat(left.this.this) + dt.timedelta(days=days)
        return exp.cast(exp.Literal.string(moved.isoformat()), "date")
    return None


def fixed_now_sql(sql: str) -> str:
    """:func:`fixed_now` on DuckDB SQL text (the compiled Ibis); the text itself when it reads
    no "now"."""
    lowered = sql.lower()
    if "current_" not in lowered and "now(" not in lowered:
        return sql
    import sqlglot

    return fixed_now(sqlglot.parse_one(sql, read="duckdb")).sql(dialect="duckdb")


def _reads_now(tree: exp.Expr) -> bool:
    return any(
        isinstance(node, (exp.CurrentDate, *_CURRENT_TIMESTAMP, *_CURRENT_TIME))
        or _is_now_call(node)
        for node in tree.walk()
    )


def _is_now_call(node: exp.Expr) -> bool:
    return isinstance(node, exp.Anonymous) and str(node.this).upper() in _NOW_FUNCTIONS
