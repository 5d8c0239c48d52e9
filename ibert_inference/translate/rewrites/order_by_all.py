"""``ORDER BY ALL``: every output column, left to right, with the written direction.

>>> from sqlglot import parse_one
>>> order_by_all(parse_one("SELECT a, b FROM t ORDER BY ALL DESC", read="duckdb")).sql("duckdb")
'SELECT a, b FROM t ORDER BY a DESC, b DESC'
"""

from __future__ import annotations

from sqlglot import exp


def order_by_all(tree: exp.Expression) -> exp.Expression:
    """Spell out ``ORDER BY ALL`` in every SELECT of ``tree``."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Select):
            return node
        order = node.args.get("order")
        if order is None or not any(
            isinstance(o.this, exp.Var | exp.Column)
            and o.this.name.upper() == "ALL"
            and not (isinstance(o.this, exp.Column) and o.this.table)
            for o in order.expressions
        ):
            return node
        if any(p.alias_or_name.upper() == "ALL" for p in node.expressions):
            return node  # a column named "all", not the keyword
        template = order.expressions[0]
        node.set(
            "order",
            exp.Order(
                expressions=[
                    exp.Ordered(
                        this=exp.column(p.alias_or_name),
                        desc=template.args.get("desc"),
                        nulls_first=template.args.get("nulls_first"),
                    )
                    for p in node.expressions
                ]
            ),
        )
        return node

    return tree.transform(rewrite, copy=False)
