"""A scalar subquery ``SELECT x ... ORDER BY x DESC LIMIT 1`` -> ``SELECT MAX(x) ...``.

The first row of a subquery ordered by the very value it returns is that value's maximum (or
minimum, ascending) as long as NULLs sort last: both are NULL when no row has a value, and the
aggregate form decorrelates like any other. Ordered by another column, or with NULLs first,
the subquery keeps its form (and the translator says it cannot).

>>> from sqlglot import parse_one
>>> sql = "SELECT (SELECT o.d FROM o WHERE o.k = c.k ORDER BY o.d DESC NULLS LAST LIMIT 1) AS last FROM c"
>>> print(top_one_as_aggregate(parse_one(sql, read="duckdb")).sql("duckdb"))
SELECT (SELECT MAX(o.d) AS d FROM o WHERE o.k = c.k) AS last FROM c
"""  # noqa: E501

from __future__ import annotations

from sqlglot import exp

_NOT_SCALAR = (exp.From, exp.Join, exp.In, exp.Exists, exp.CTE, exp.SetOperation, exp.Lateral)


def _as_aggregate(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.Subquery) or not isinstance(node.this, exp.Select):
        return node
    if isinstance(node.parent, _NOT_SCALAR):
        return node  # a table (FROM, IN, EXISTS): no rows is not one NULL row there
    select = node.this
    limit, order = select.args.get("limit"), select.args.get("order")
    if limit is None or order is None or select.args.get("offset") or select.args.get("group"):
        return node
    count = limit.expression
    if not (isinstance(count, exp.Literal) and count.is_int and int(count.this) == 1):
        return node
    if len(select.expressions) != 1 or len(order.expressions) != 1:
        return node
    projection = select.expressions[0]
    value = projection.this if isinstance(projection, exp.Alias) else projection
    key = order.expressions[0]
    by_alias = (
        isinstance(key.this, exp.Column)
        and not key.this.table
        and key.this.name.lower() == projection.alias_or_name.lower()
    )
    if not (key.this == value or by_alias) or key.args.get("nulls_first"):
        return node
    if value.find(exp.AggFunc, exp.Window):
        return node
    aggregate = exp.Max(this=value.copy()) if key.args.get("desc") else exp.Min(this=value.copy())
    rewritten = select.copy()
    rewritten.set("expressions", [exp.alias_(aggregate, projection.alias_or_name)])
    rewritten.set("order", None)
    rewritten.set("limit", None)
    return exp.Subquery(this=rewritten, alias=node.args.get("alias"))


def top_one_as_aggregate(tree: exp.Expression) -> exp.Expression:
    """Rewrite every ``ORDER BY x LIMIT 1`` scalar subquery of ``tree`` returning ``x``."""
    return tree.transform(_as_aggregate, copy=False)
