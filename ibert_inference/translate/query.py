"""Any query node to a relation: WITH first (one variable per CTE), then SELECT or set operation.

This is the top of the translator's module graph: the construct modules below reach it through
:attr:`Context.translate_query <ibert_inference.translate.core.Context>` when a query nests.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"a": "int64"}}
>>> print(sql_to_ibis("WITH big AS (SELECT a FROM t WHERE a > 1) SELECT a FROM big", schema).code, end="")
big = t.filter(_.a > 1)
result = big
"""  # noqa: E501

from __future__ import annotations

from sqlglot import exp

from ibert_inference.translate.codegen import Chain
from ibert_inference.translate.core import Context, Rel, Resolver
from ibert_inference.translate.parse import unsupported
from ibert_inference.translate.select import translate_select
from ibert_inference.translate.setops import translate_setop
from ibert_inference.translate.values import values_table


def translate_query(node: exp.Expression, ctx: Context, outer: Resolver | None = None) -> Rel:
    """Any query node (SELECT, set operation, parenthesised query) to a relation."""
    with_ = node.args.get("with_") or node.args.get("with")
    if with_ is not None:
        for cte in with_.expressions:
            if with_.args.get("recursive"):
                raise unsupported("WITH RECURSIVE", cte)
            rel = translate_query(cte.this, ctx)
            name = ctx.program.assign(cte.alias_or_name, rel.chain)
            ctx.ctes[cte.alias_or_name.lower()] = (name, rel.val)
    if isinstance(node, exp.Subquery):
        return translate_query(node.this, ctx, outer)
    if isinstance(node, exp.SetOperation):
        return translate_setop(node, ctx)
    if isinstance(node, exp.Select):
        return translate_select(node, ctx, outer)
    if isinstance(node, exp.Values):
        table = values_table(node)
        return Rel(Chain(table.src), table.val, {("", c.lower()): c for c in table.val.columns})
    raise unsupported(f"query {node.key.upper()}", node)
