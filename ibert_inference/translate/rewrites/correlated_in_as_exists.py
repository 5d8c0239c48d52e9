"""``x IN (SELECT y FROM u WHERE <correlated>)`` -> ``EXISTS (SELECT ... WHERE ... AND y = x)``.

Only IN, and only in WHERE: ``NOT IN`` differs from ``NOT EXISTS`` when the subquery yields NULLs.

>>> from sqlglot import parse_one
>>> sql = "SELECT t.a FROM t WHERE t.a IN (SELECT u.b FROM u WHERE u.c = t.c)"
>>> print(correlated_in_as_exists(parse_one(sql)).sql())
SELECT t.a FROM t WHERE EXISTS(SELECT u.b FROM u WHERE u.c = t.c AND u.b = t.a)
"""

from __future__ import annotations

from sqlglot import exp

from ibert_inference.translate.core import outer_aliases


def _as_exists(node: exp.Expression) -> exp.Expression:
    query = node.args.get("query") if isinstance(node, exp.In) else None
    if query is None or node.args.get("negate") or isinstance(node.parent, exp.Not):
        return node
    inner = query.this if isinstance(query, exp.Subquery) else query
    if not isinstance(inner, exp.Select) or not outer_aliases(inner):
        return node
    if len(inner.expressions) != 1 or inner.args.get("group") or inner.args.get("limit"):
        return node
    projection = inner.expressions[0]
    value = projection.this if isinstance(projection, exp.Alias) else projection
    exists = inner.copy()
    match = exp.EQ(this=value.copy(), expression=node.this.copy())
    where = exists.args.get("where")
    exists.set("where", exp.Where(this=exp.and_(where.this, match) if where else match))
    return exp.Exists(this=exists)


def correlated_in_as_exists(tree: exp.Expression) -> exp.Expression:
    """Rewrite correlated IN subqueries of every WHERE clause in ``tree`` as EXISTS."""
    for where in list(tree.find_all(exp.Where)):
        if where.find(exp.In) is not None and where.parent is not None:
            where.set("this", where.this.transform(_as_exists, copy=False))
    return tree
