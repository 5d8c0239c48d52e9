"""``DISTINCT ON (k) ... ORDER BY k, x`` keeps the first row per ``k``: ``ROW_NUMBER() = 1``.

>>> from sqlglot import parse_one
>>> sql = "SELECT DISTINCT ON (k) k, x FROM t ORDER BY k, x"
>>> print(distinct_on_as_qualify(parse_one(sql, read="duckdb")).sql("duckdb"))
SELECT k, x FROM t QUALIFY ROW_NUMBER() OVER (PARTITION BY k ORDER BY k, x) = 1 ORDER BY k, x
"""

from __future__ import annotations

from sqlglot import exp


def distinct_on_as_qualify(tree: exp.Expression) -> exp.Expression:
    """Rewrite every ``SELECT DISTINCT ON`` of ``tree`` as a QUALIFY on ``ROW_NUMBER()``."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        distinct = node.args.get("distinct") if isinstance(node, exp.Select) else None
        if distinct is None or distinct.args.get("on") is None:
            return node
        keys = distinct.args["on"]
        keys = list(keys.expressions) if isinstance(keys, exp.Tuple) else [keys]
        order = node.args.get("order")
        window = exp.Window(
            this=exp.RowNumber(),
            partition_by=[k.copy() for k in keys],
            order=order.copy() if order is not None else None,
        )
        node.set("distinct", None)
        node.set("qualify", exp.Qualify(this=exp.EQ(this=window, expression=exp.Literal.number(1))))
        return node

    return tree.transform(rewrite, copy=False)
