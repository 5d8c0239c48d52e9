"""What one scope of a query selects and names, for :mod:`.infer_sql`: the source an alias
names, the sources a ``*`` passes through, a set operation's columns by position, output
aliases (lateral ones too), and the type-preserving wrappers of a column.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp
from sqlglot.optimizer.scope import Scope

from ibert_inference.schema.type_hints import peeled

# clauses where an unqualified name may be an output alias of the same SELECT
_ALIAS_CLAUSES = (exp.Order, exp.Having, exp.Qualify, exp.Group)


_SAME_TYPE = tuple(
    getattr(exp, name)
    for name in ("Min", "Max", "AnyValue", "First", "Last", "Coalesce", "Greatest", "Least")
    if hasattr(exp, name)
)


def type_preserved(node: exp.Expr) -> exp.Expr:
    """The column whose type ``node`` has: ``MIN(x)``, ``MAX(x)``, ``COALESCE(x, ...)`` are of
    ``x``'s type, so that ``first_day >= date_day`` types ``x`` through a CTE's ``MIN(x) AS
    first_day``. The column is only typed through this, never credited again."""
    while isinstance(node, (*_SAME_TYPE, exp.Paren)) and isinstance(node.this, exp.Expr):
        node = node.this
    return node


def find_source(scope: Scope, alias: str) -> Any:
    """The source ``alias`` names in this scope or an enclosing one (a correlated reference)."""
    current: Scope | None = scope
    lowered = alias.lower()
    while current is not None:
        for name, source in current.sources.items():
            if name.lower() == lowered:
                return source
        current = current.parent
    return None


def names_output_alias(column: exp.Column, select: exp.Select, lateral: bool) -> bool:
    """Whether an unqualified name is an output alias of ``select`` rather than a source column
    (``d AS d`` is both: the source column): in ORDER BY / GROUP BY / HAVING / QUALIFY, and, in
    dialects with lateral aliases (Snowflake, DuckDB), in the SELECT list after the alias
    (``min(x) AS lo, max(x) AS hi, hi - lo AS spread``)."""
    clause = column.find_ancestor(*_ALIAS_CLAUSES, exp.Select)
    lowered = column.name.lower()
    if isinstance(clause, exp.Select) and lateral:
        node: exp.Expr = column
        while node.parent is not select and node.parent is not None:
            node = node.parent
        positions = [i for i, p in enumerate(select.selects) if p is node]
        earlier = select.selects[: positions[0]] if positions else []
        return any(
            isinstance(p, exp.Alias)
            and p.alias.lower() == lowered
            and not (isinstance(p.this, exp.Column) and p.this.name.lower() == lowered)
            for p in earlier
        )
    if clause is None or isinstance(clause, exp.Select):
        return False
    for output in select.selects:
        if isinstance(output, exp.Alias) and output.alias.lower() == lowered:
            inner = output.this
            return not (isinstance(inner, exp.Column) and inner.name.lower() == lowered)
    return False


def star_sources(scope: Scope, select: exp.Select) -> list[Any]:
    """The sources a ``*`` or ``alias.*`` of ``select`` passes through."""
    sources: list[Any] = []
    selected = scope.selected_sources
    for projection in select.selects:
        if isinstance(projection, exp.Star):
            sources += [source for _, source in selected.values()]
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            for alias, (_, source) in selected.items():
                if alias.lower() == projection.table.lower():
                    sources.append(source)
    return list({id(s): s for s in sources}.values())


def source_name(source: Any) -> str:
    if isinstance(source, exp.Table):
        return source.name
    expression = source.expression
    parent = expression.parent
    return parent.alias_or_name if parent is not None and parent.alias_or_name else "subquery"


def leftmost_select(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.SetOperation):
        node = node.this
    while isinstance(node, exp.Subquery):
        node = node.this
    return node


def leftmost_scope(scope: Scope) -> Scope:
    while scope.union_scopes:
        scope = scope.union_scopes[0]
    return scope


def output_position(expression: exp.Expr, name: str) -> int | None:
    select = leftmost_select(expression)
    if not isinstance(select, exp.Select):
        return None
    for index, projection in enumerate(select.selects):
        if projection.alias_or_name.lower() == name.lower():
            return index
    return None


def name_at(branch: Scope, position: int | None, name: str) -> str:
    """The name a set operation's branch gives the output column at ``position``."""
    select = leftmost_select(branch.expression)
    if position is None or not isinstance(select, exp.Select):
        return name
    selects = select.selects
    if position < len(selects) and not any(isinstance(p, exp.Star) for p in selects):
        return selects[position].alias_or_name or name
    return name


def ambiguous_outer_table(
    scope: Scope, column: exp.Column, candidates: list[Any]
) -> tuple[str, str] | None:
    """(outer table, inner table) where an unqualified column of a subquery's condition may
    belong to the enclosing query, and the query hints that it does; None otherwise.

    Without the database, ``WHERE c.id = customer_id`` inside ``EXISTS (SELECT 1 FROM customers
    c ...)`` may name the outer ``orders.customer_id``: SQL takes the inner column only if the
    inner table has one. The hints: the column is compared with a qualified column of the
    subquery's own table (the shape of a correlation predicate), or the enclosing query names
    the column too.
    """
    if not scope.is_subquery or len(candidates) != 1 or not isinstance(candidates[0], exp.Table):
        return None
    inner = candidates[0].name
    clause = column.find_ancestor(exp.Where, exp.Having, exp.Join, exp.Select)
    if isinstance(clause, exp.Select) or clause is None:
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
        for _, source in outer.selected_sources.values()
        if isinstance(source, exp.Table) and source.name and source.name != inner
    }
    if not outer_tables:
        return None
    own = set(scope.sources)
    comparison = peeled(column)[1]
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
        return sorted(outer_tables)[0], inner
    return None
