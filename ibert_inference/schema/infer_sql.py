"""A schema inferred from one query: the base tables it reads, the columns it uses, their types.

Mined SQL comes without its database. The query itself says which columns exist (every column it
names on a base table) and hints at their types (compared with a number, summed, passed to UPPER,
compared with a DATE literal). That schema is enough to run the query on generated databases.

>>> infer_schema("SELECT name FROM users WHERE age > 30 AND active")
{'users': {'active': 'boolean', 'age': 'int64', 'name': 'string'}}
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from ibert_inference.errors import IbertError

_STRING_FUNCS = (
    exp.Upper, exp.Lower, exp.Trim, exp.Length, exp.Substring, exp.Concat, exp.DPipe,
    exp.Like, exp.ILike, exp.RegexpLike, exp.StrPosition, exp.Initcap,
)  # fmt: skip
_NUMERIC_FUNCS = tuple(
    getattr(exp, name)
    for name in (
        "Sum", "Avg", "Stddev", "StddevPop", "StddevSamp", "Variance", "VariancePop", "Round",
        "Abs", "Ln", "Log", "Exp", "Sqrt", "Pow", "Floor", "Ceil", "Corr", "CovarPop",
        "CovarSamp", "Sign", "Cbrt", "Neg", "Quantile", "ApproxQuantile", "Median",
    )
    if hasattr(exp, name)
)  # fmt: skip
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv)
_DATE_FUNCS = (exp.Extract, exp.DateTrunc, exp.TimestampTrunc, exp.DateAdd, exp.DateSub, exp.Year,
               exp.Month, exp.Day, exp.DateDiff)  # fmt: skip


class SchemaInferenceError(IbertError):
    """The query does not say enough to build a schema (no base table, ambiguous columns)."""


def infer_schema(sql: str | exp.Expr, dialect: str = "duckdb") -> dict[str, dict[str, str]]:
    """Tables -> columns -> Ibis dtype strings, from the query alone; sorted for stable ids."""
    tree = sqlglot.parse_one(sql, read=dialect) if isinstance(sql, str) else sql
    columns: dict[str, set[str]] = defaultdict(set)
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    tables: set[str] = set()
    for scope in traverse_scope(tree):
        base = {
            alias: source.name
            for alias, source in scope.sources.items()
            if isinstance(source, exp.Table) and source.name
        }
        tables.update(base.values())
        aliases = {
            select.alias for select in getattr(scope.expression, "selects", []) if select.alias
        }
        for column in scope.columns:
            name = column.name
            if not name or isinstance(column.this, exp.Star):
                continue
            if column.find_ancestor(exp.Select) is not scope.expression:
                continue  # sqlglot lists a subquery's unqualified columns in the outer scope too
            if column.table:
                table = base.get(column.table) or _enclosing_table(scope, column.table)
                if table is None:
                    continue  # a derived table or CTE column: inferred inside that scope
            elif name in aliases and not _is_in_where(column):
                continue
            elif len(scope.sources) == 1 and len(base) == 1:
                table = next(iter(base.values()))
                outer = _ambiguous_outer_table(scope, column, table)
                if outer is not None:
                    raise SchemaInferenceError(
                        f"column {name!r} is unqualified in a subquery over {table!r} that may "
                        f"refer to the enclosing query's {outer!r}: its table cannot be "
                        "inferred — the query must qualify it"
                    )
            elif len(scope.sources) == 1:
                continue  # the one source is a derived table or CTE: inferred inside it
            else:
                raise SchemaInferenceError(
                    f"column {name!r} is not qualified in a query over several sources; "
                    "its table cannot be inferred"
                )
            columns[table].add(name)
            votes[(table, name)].update(_type_hints(column))
    if not tables:
        raise SchemaInferenceError("the query reads no base table")
    _unify_join_keys(tree, votes)
    return schema_from_votes(tables, columns, votes, "the query")


def _enclosing_table(scope: Scope, alias: str) -> str | None:
    """The base table an enclosing query calls ``alias`` (a correlated subquery's outer
    column, ``o.customer_id``, belongs to ``orders``); None for a derived table or CTE."""
    parent = scope.parent
    while parent is not None:
        source = parent.sources.get(alias)
        if source is not None:
            return source.name if isinstance(source, exp.Table) and source.name else None
        parent = parent.parent
    return None


def _ambiguous_outer_table(scope: Scope, column: exp.Column, inner: str) -> str | None:
    """The enclosing query's table an unqualified column of a subquery's condition may belong
    to, where the query hints that it does; None where the subquery's own table is meant.

    Without the database, ``WHERE c.id = customer_id`` inside ``EXISTS (SELECT 1 FROM customers
    c ...)`` may name the outer ``orders.customer_id``: SQL takes the inner column only if the
    inner table has one. The hints: the column is compared with a qualified column of the
    subquery's own table (the shape of a correlation predicate), or the enclosing query names
    the column too.
    """
    clause = column.find_ancestor(exp.Where, exp.Having, exp.Join, exp.Select)
    if not scope.is_subquery or isinstance(clause, exp.Select) or clause is None:
        return None  # outside a condition (a SELECT list, GROUP BY): the subquery's own column
    if clause.find_ancestor(exp.Select) is not scope.expression:
        return None
    enclosing = []
    parent = scope.parent
    while parent is not None:
        enclosing.append(parent)
        parent = parent.parent
    outer_tables = {
        source.name
        for outer in enclosing
        for source in outer.sources.values()
        if isinstance(source, exp.Table) and source.name and source.name != inner
    }
    if not outer_tables:
        return None
    own = set(scope.sources)
    comparison = column.parent
    while isinstance(comparison, exp.Paren):
        comparison = comparison.parent
    correlation_predicate = isinstance(comparison, exp.EQ) and any(
        isinstance(side, exp.Column) and side.table in own
        for side in (comparison.left, comparison.right)
    )
    named_outside = any(
        c.name == column.name and c.find_ancestor(exp.Select) is outer.expression
        for outer in enclosing
        for c in outer.columns
    )
    if correlation_predicate or named_outside:
        return sorted(outer_tables)[0]
    return None


def _is_in_where(column: exp.Column) -> bool:
    return column.find_ancestor(exp.Where, exp.Join) is not None


def _type_hints(column: exp.Column) -> Counter[str]:
    hints: Counter[str] = Counter()
    node: exp.Expr = column
    parent = column.parent
    while isinstance(parent, exp.Paren):
        node, parent = parent, parent.parent
    if parent is None:
        return hints
    if isinstance(parent, exp.Binary) and not isinstance(parent, exp.Connector):
        other = parent.right if parent.left is node else parent.left
        hints.update(_literal_type(other))
    if isinstance(parent, exp.In | exp.Between):
        for value in [*parent.expressions, parent.args.get("low"), parent.args.get("high")]:
            if value is not None:
                hints.update(_literal_type(value))
    if isinstance(parent, _STRING_FUNCS):
        hints["string"] += 2
    if isinstance(parent, (*_NUMERIC_FUNCS, *_ARITHMETIC)) and not _is_interval_math(parent):
        hints["float64"] += 1
    if isinstance(parent, _DATE_FUNCS) or _is_interval_math(parent):
        hints["timestamp"] += 2
    if isinstance(parent, exp.Connector | exp.Not | exp.Where) or (
        isinstance(parent, exp.If) and parent.this is node
    ):
        hints["boolean"] += 3
    if isinstance(parent, exp.Cast):
        hints.update(_cast_source_hint(parent))
    return hints


def _is_interval_math(node: exp.Expr) -> bool:
    return isinstance(node, exp.Add | exp.Sub) and any(
        isinstance(side, exp.Interval) for side in (node.left, node.right)
    )


def _literal_type(node: exp.Expr) -> Counter[str]:
    if isinstance(node, exp.Literal):
        if node.is_string:
            return Counter({"string": 2})
        return Counter({"float64" if "." in node.this else "int64": 2})
    if isinstance(node, exp.Cast) and node.to.is_type(*exp.DataType.TEMPORAL_TYPES):
        return Counter({"date" if node.to.is_type("date") else "timestamp": 3})
    if isinstance(node, exp.Boolean):
        return Counter({"boolean": 3})
    if isinstance(node, exp.Neg):
        return _literal_type(node.this)
    return Counter()


def _cast_source_hint(cast: exp.Cast) -> Counter[str]:
    # CAST(x AS DATE) says little about x; casts to numbers usually come from strings or numbers.
    return Counter()


def _unify_join_keys(tree: exp.Expr, votes: dict[tuple[str, str], Counter[str]]) -> None:
    """Columns compared with each other share their evidence (join keys get one type)."""
    for eq in tree.find_all(exp.EQ):
        if isinstance(eq.left, exp.Column) and isinstance(eq.right, exp.Column):
            left = [key for key in votes if key[1] == eq.left.name]
            right = [key for key in votes if key[1] == eq.right.name]
            merged: Counter[str] = Counter()
            for key in left + right:
                merged.update(votes[key])
            for key in left + right:
                votes[key] = Counter(merged)


def schema_from_votes(
    tables: Iterable[str],
    columns: Mapping[str, set[str]],
    votes: Mapping[tuple[str, str], Counter[str]],
    source: str,
) -> dict[str, dict[str, str]]:
    """Each table's columns typed by their votes, sorted for stable ids.

    A table none of whose columns ``source`` (the query, the code) names has nothing to
    generate: that is an error, not an empty table.

    >>> schema_from_votes(["t"], {"t": {"a"}}, {("t", "a"): Counter(["int64"])}, "the query")
    {'t': {'a': 'int64'}}
    """
    schema: dict[str, dict[str, str]] = {}
    for table in sorted(tables):
        names = sorted(columns.get(table, ()))
        if not names:
            raise SchemaInferenceError(f"no column of table {table!r} is named in {source}")
        schema[table] = {
            name: dtype_from_votes(name, votes.get((table, name), Counter())) for name in names
        }
    return schema


def dtype_from_votes(name: str, votes: Counter[str]) -> str:
    """The type most hints point to; without hints, a guess from the column name."""
    if votes:
        return votes.most_common(1)[0][0]
    lowered = name.lower()
    if lowered == "id" or lowered.endswith(("_id", "key", "_count", "_num", "qty", "quantity")):
        return "int64"
    if lowered.startswith(("is_", "has_")):
        return "boolean"
    if lowered.endswith(("_at", "_time", "timestamp", "_ts")):
        return "timestamp"
    if "date" in lowered:
        return "date"
    if lowered.endswith(("price", "amount", "total", "cost", "revenue", "score", "balance")):
        return "float64"
    return "string"
