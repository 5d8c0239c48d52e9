"""Subqueries: IN / NOT IN, EXISTS / NOT EXISTS (correlated ones too) and scalar subqueries.

Uncorrelated ``x IN (SELECT y ...)`` becomes ``_.x.isin(query.y)`` (Ibis compiles it to SQL
``IN``, so NULL semantics of ``NOT IN`` are kept); a correlated ``EXISTS`` over one table becomes
Ibis's own idiom ``(inner.key == outer.key).any()``; scalar subqueries become ``.as_scalar()``.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"a": "int64"}, "u": {"b": "int64"}}
>>> print(sql_to_ibis("SELECT a FROM t WHERE a IN (SELECT b FROM u)", schema).code, end="")
result = t.filter(_.a.isin(u.b))
"""

from __future__ import annotations

import copy

from sqlglot import exp

from ibert_inference.translate.codegen import Code, column_ref, py
from ibert_inference.translate.core import (
    Context,
    Resolver,
    conjuncts,
    outer_aliases,
    source_of,
    unique_name,
)
from ibert_inference.translate.expressions import ExpressionTranslator, as_expr
from ibert_inference.translate.parse import readable_name, unsupported

_INLINE = 60


def _query(node: exp.Expression) -> exp.Expression:
    return node.this if isinstance(node, exp.Subquery) else node


class SubqueryMixin(ExpressionTranslator):
    """Subquery handlers for :class:`ExpressionTranslator` (uses ``self.ctx``, ``self.outer``)."""

    ctx: Context
    outer: Resolver | None

    def _sub_rel(self, query: exp.Expression, hint: str) -> Code:
        if outer_aliases(query):
            raise unsupported("correlated subquery here", query, "only correlated EXISTS translate")
        rel = self.ctx.translate_query(_query(query), self.ctx)
        text = rel.chain.inline()
        if len(text) > _INLINE:
            name = self.ctx.program.assign(hint, rel.chain)
            return Code(name, rel.val)
        return Code(text, rel.val, atomic=not rel.chain.calls or text.endswith(")"))

    def in_subquery(self, node: exp.In, subject: Code, negate: bool) -> Code:
        sub = self._sub_rel(node.args["query"], "subquery")
        if len(sub.val.columns) != 1:
            raise unsupported("IN subquery with several columns", node)
        column = sub.val.columns[0]
        ref = Code(column_ref(sub.operand(), column), sub.val[column])
        if sub.src.endswith(f".select({py(column)})"):
            # `u.select("b").b` reads better as `u.b`; the value is `u.b` too (Ibis shares a
            # table read twice as one CTE only when both reads are the same node).
            receiver = sub.src[: -len(f".select({py(column)})")]
            ref = Code(column_ref(receiver, column), sub.val.op().parent.to_expr()[column])
        subject = as_expr(subject)
        name = "notin" if negate else "isin"
        return Code(f"{subject.operand()}.{name}({ref.src})", getattr(subject.val, name)(ref.val))

    def on_subquery(self, node: exp.Subquery) -> Code:
        sub = self._sub_rel(node, "scalar")
        if len(sub.val.columns) != 1:
            raise unsupported("scalar subquery with several columns", node)
        return Code(f"{sub.operand()}.as_scalar()", sub.val.as_scalar())

    def on_all(self, node: exp.All) -> Code:
        raise unsupported(
            "comparison with ALL (subquery)",
            node,
            "its NULL and empty-set rules have no Ibis method; write NOT EXISTS with the "
            "opposite comparison",
        )

    def on_exists(self, node: exp.Exists) -> Code:
        query = _query(node.this)
        if not isinstance(query, exp.Select):
            raise unsupported("EXISTS over a set operation", node)
        if query.args.get("having") or query.args.get("limit"):
            raise unsupported("EXISTS over a query with HAVING or LIMIT", node)
        if query.args.get("joins") or query.args.get("group"):
            return self._exists_over_query(node, query)
        seen = set(self.ctx.used_vars)
        source = source_of(query.args["from_"].this, self.ctx, seen)
        outer_resolve = self.resolve
        outer_columns: list[str] = []

        def resolve(col: exp.Column) -> Code:
            if col.table.lower() == source.alias and col.name.lower() in source.columns:
                name = source.columns[col.name.lower()]
                return Code(column_ref(source.var, name), source.val[name])
            outer_columns.append(col.name)
            return outer_resolve(col)

        # The same translator, its columns now the EXISTS table's (then the enclosing query's).
        inner = copy.copy(self)
        inner.resolve, inner.table, inner.replacements = resolve, Code(source.var, source.val), {}
        where = query.args.get("where")
        preds = [as_expr(inner.translate(c)) for c in conjuncts(where.this if where else None)]
        if not preds:
            raise unsupported("uncorrelated EXISTS without WHERE", node)
        src = " & ".join(p.operand() for p in preds)
        val = preds[0].val
        for p in preds[1:]:
            val = val & p.val
        code = f"({src}).any()" if len(preds) > 1 else f"{preds[0].operand()}.any()"
        if outer_columns:  # correlated: Ibis compiles it to EXISTS
            return Code(code, val.any())
        # uncorrelated, .any() is a plain reduction: NULL over no row or only NULL comparisons,
        # where EXISTS is false
        return Code(f"{code}.fill_null(False)", val.any().fill_null(False))

    def _exists_over_query(self, node: exp.Exists, query: exp.Select) -> Code:
        """Correlated EXISTS over joins or groups, anywhere in a predicate (under OR, NOT, CASE).

        The subquery without its correlation becomes a table of the inner sides of the
        correlation equalities (``matches``); EXISTS is then Ibis's own correlated idiom over it,
        ``((matches.k == outer.k) & ...).any()``, which Ibis compiles to ``EXISTS``. A GROUP BY
        without HAVING keeps a group exactly when a row matches, so the rows decide.
        """
        outer_refs = outer_aliases(query)
        if not outer_refs:
            raise unsupported("uncorrelated EXISTS over a query with joins or GROUP BY", node)
        if not query.args.get("group") and any(p.find(exp.AggFunc) for p in query.expressions):
            raise unsupported("EXISTS over an aggregate without GROUP BY (always true)", node)
        keys, local = _correlation_equalities(query, outer_refs, node)
        matches = query.copy()
        matches.set("where", exp.Where(this=exp.and_(*local)) if local else None)
        matches.set("group", None)
        matches.set("order", None)
        names: list[str] = []
        for _outer, inner in keys:
            names.append(unique_name(readable_name(inner), names))
        aliased = [exp.alias_(i.copy(), n) for (_o, i), n in zip(keys, names, strict=True)]
        matches.set("expressions", aliased)
        rel = self.ctx.translate_query(matches, self.ctx)
        var = self.ctx.program.assign("_".join(names) + "_matches", rel.chain)
        sides = []
        for (outer, _inner), name in zip(keys, names, strict=True):
            other = self.resolve(outer)
            sides.append(
                Code(f"{column_ref(var, name)} == {other.src}", rel.val[name] == other.val, False)
            )
        val = sides[0].val
        for side in sides[1:]:
            val = val & side.val
        src = " & ".join(side.operand() for side in sides)
        return Code(f"({src}).any()", val.any())


def _correlation_equalities(
    query: exp.Select, outer_refs: set[str], node: exp.Expression
) -> tuple[list[tuple[exp.Column, exp.Expression]], list[exp.Expression]]:
    """WHERE of a correlated subquery -> ([(outer column, inner expression)], local conjuncts)."""
    keys: list[tuple[exp.Column, exp.Expression]] = []
    local: list[exp.Expression] = []
    where = query.args.get("where")
    for predicate in conjuncts(where.this if where else None):
        if not {c.table.lower() for c in predicate.find_all(exp.Column)} & outer_refs:
            local.append(predicate)
            continue
        sides = [predicate.this, predicate.expression] if isinstance(predicate, exp.EQ) else []
        outer = [s for s in sides if isinstance(s, exp.Column) and s.table.lower() in outer_refs]
        inner = [s for s in sides if s not in outer]
        if len(outer) != 1 or len(inner) != 1 or _reads(inner[0], outer_refs):
            raise unsupported(
                "EXISTS over joins correlated by something other than column equalities",
                predicate,
            )
        keys.append((outer[0], inner[0]))
    if any(_reads(q, outer_refs) for q in query.find_all(exp.Subquery, exp.Exists)):
        raise unsupported("EXISTS whose nested subquery reads the outer query", node)
    return keys, local


def _reads(node: exp.Expression, aliases: set[str]) -> bool:
    return bool({c.table.lower() for c in node.find_all(exp.Column)} & aliases)
