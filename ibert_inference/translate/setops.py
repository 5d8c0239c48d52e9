"""UNION [ALL] / INTERSECT / EXCEPT: ``a.union(b, distinct=True)`` with columns aligned by position.

SQL matches set-operation columns by position, Ibis by name: the right side is renamed to the
left side's names (and cast to a common type) when they differ.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"a": "int64"}, "u": {"a": "int64"}}
>>> print(sql_to_ibis("SELECT a FROM t UNION SELECT a FROM u", schema).code, end="")
result = t.union(u, distinct=True)
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

from ibert_inference.translate.codegen import Chain, arguments, column_ref, py
from ibert_inference.translate.core import Context, Rel
from ibert_inference.translate.parse import unsupported
from ibert_inference.translate.scope import rel_translator
from ibert_inference.translate.select import limit_rows, order_rows

_PLAIN_SELECT = re.compile(r'\.select\("[^"]+"(, "[^"]+")*\)')
_METHODS = {exp.Union: "union", exp.Intersect: "intersect", exp.Except: "difference"}


def _operands(node: exp.SetOperation) -> list[exp.Expression]:
    """Flatten left-deep chains of the same operation (a UNION b UNION c)."""
    left = node.this
    same = (
        type(left) is type(node)
        and bool(left.args.get("distinct")) == bool(node.args.get("distinct"))
        and not left.args.get("order")
        and not left.args.get("limit")
    )
    return [*(_operands(left) if same else [left]), node.expression]


def translate_setop(node: exp.SetOperation, ctx: Context) -> Rel:
    """Set operation over queries, columns matched by position, then ORDER BY and LIMIT."""
    method = _METHODS.get(type(node))
    if method is None:
        raise unsupported(f"set operation {node.key.upper()}", node)
    if node.args.get("by_name"):
        raise unsupported("UNION BY NAME", node)
    rels = [ctx.translate_query(q, ctx) for q in _operands(node)]
    first = rels[0]
    names = list(first.val.columns)
    for rel in rels:
        if len(rel.val.columns) != len(names):
            raise unsupported("set operation over queries with different column counts", node)
    # SQL matches columns by position and takes a common type; NULL-typed columns (a NULL
    # placeholder) take the type of the first part that has one.
    targets = []
    for i in range(len(names)):
        dtypes = [rel.val.schema().types[i] for rel in rels]
        known = [d for d in dtypes if not d.is_null()]
        targets.append(known[0] if known else dtypes[0])
    parts: list[Chain] = []
    values: list[Any] = []
    for rel in rels:
        chain, val = rel.chain, rel.val
        entries: list[tuple[str, str]] = []
        exprs: dict[str, Any] = {}
        for name, theirs, want in zip(names, val.columns, targets, strict=True):
            ref, column = column_ref("_", theirs), val[theirs]
            if column.type() != want:
                ref, column = f"{ref}.cast({py(str(want))})", column.cast(want)
            entries.append((name, ref))
            exprs[name] = column
        if any(src != column_ref("_", name) for name, src in entries):
            if chain.calls and _PLAIN_SELECT.fullmatch(chain.calls[-1]):
                # `.select("dest")` then `.select(code=_.dest)` reads better as one select.
                chain = Chain(chain.base, chain.calls[:-1])
            chain = chain.then(f".select({arguments(entries)})")
            val = val.select(**exprs)
        parts.append(chain)
        values.append(val)
    distinct = bool(node.args.get("distinct"))
    texts = [p.inline() for p in parts[1:]]
    if any(len(t) > 60 for t in texts):
        texts = [ctx.program.assign(f"{method}_part", p) if p.calls else p.base for p in parts[1:]]
    flag = (
        ", distinct=True"
        if distinct and method == "union"
        else (", distinct=False" if not distinct and method != "union" else "")
    )
    call = f".{method}({', '.join(texts)}{flag})"
    val = getattr(values[0], method)(*values[1:], distinct=distinct)
    rel = Rel(
        Chain(parts[0].base, [*parts[0].calls, call]), val, {("", n.lower()): n for n in names}
    )
    if node.args.get("order"):
        rel = order_rows(rel, node.args["order"], rel_translator(ctx, rel))
    return limit_rows(node, rel)
