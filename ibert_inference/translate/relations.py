"""FROM and JOINs: the tables a SELECT reads, joined, with the columns the query uses picked.

Explicit joins become ``.join(right, predicates, how=...)``; comma joins take their predicates
from WHERE; after the joins one ``.select`` keeps the columns the rest of the query reads,
renamed ``alias_column`` when two tables share a name.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"a": "int64", "b": "string"}, "u": {"a": "int64", "c": "string"}}
>>> print(sql_to_ibis("SELECT t.b, u.c FROM t JOIN u ON t.a = u.a", schema).code, end="")
result = t.join(u, t.a == u.a).select(t.b, u.c)
"""

from __future__ import annotations

from typing import Any

import ibis
from sqlglot import exp

from ibert_inference.translate.codegen import Chain, column_ref, py, safe_arguments
from ibert_inference.translate.core import (
    Context,
    Rel,
    Source,
    claim_name,
    conjuncts,
    source_of,
)
from ibert_inference.translate.parse import unsupported
from ibert_inference.translate.scope import source_translator


def _aliases(node: exp.Expression) -> set[str]:
    return {c.table.lower() for c in node.find_all(exp.Column)}


_HOW = {"LEFT": "left", "RIGHT": "right", "FULL": "outer"}


def translate_from(select: exp.Select, ctx: Context) -> tuple[Rel, list[exp.Expression]]:
    """FROM and JOINs to a relation; returns the WHERE conjuncts not used as join predicates."""
    where = conjuncts(select.args["where"].this) if select.args.get("where") else []
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None:
        # SELECT without FROM reads one row that has no columns of its own.
        one_row = ibis.literal(1).name("one_row").as_table()
        return Rel(Chain('ibis.literal(1).name("one_row").as_table()'), one_row, {}), where
    seen: set[str] = set()
    first = source_of(from_.this, ctx, seen)
    joins = select.args.get("joins") or []
    if not joins:
        rel = Rel(
            Chain(first.var), first.val, {(first.alias, k): v for k, v in first.columns.items()}
        )
        return rel, where
    sources = [first]
    chain, val = Chain(first.var), first.val
    hidden: set[str] = set()
    used: list[exp.Expression] = []
    for join in joins:
        source = source_of(join.this, ctx, seen)
        sources.append(source)
        translator = source_translator(ctx, sources)
        kind = (join.args.get("kind") or "").upper()
        side = (join.args.get("side") or "").upper()
        on = join.args.get("on")
        if join.args.get("using"):
            raise unsupported("JOIN ... USING left by qualify", join)
        if on is None and kind in ("", "CROSS", "INNER") and not side:
            # Comma/cross join: WHERE conditions between the tables so far become its predicates.
            known = {s.alias for s in sources}
            predicates = [
                c
                for c in where
                if not c.find(exp.Subquery, exp.Exists)
                and _aliases(c) <= known
                and source.alias in _aliases(c)
                and len(_aliases(c)) > 1
            ]
            where = [c for c in where if not any(c is p for p in predicates)]
            if not predicates:
                chain = chain.then(f".cross_join({source.var})")
                val = val.cross_join(source.val)
                continue
            on_nodes = predicates
            how = "inner"
        else:
            on_nodes = conjuncts(on)
            how = {"SEMI": "semi", "ANTI": "anti"}.get(kind) or _HOW.get(side, "inner")
        if how in ("semi", "anti"):
            hidden.add(source.alias)
        used.extend(on_nodes)
        preds = [translator.translate(c) for c in on_nodes]
        pred_src = preds[0].src if len(preds) == 1 else "[" + ", ".join(p.src for p in preds) + "]"
        pred_val = preds[0].val if len(preds) == 1 else [p.val for p in preds]
        how_src = "" if how == "inner" else f", how={py(how)}"
        chain = chain.then(f".join({source.var}, {pred_src}{how_src})")
        val = val.join(source.val, pred_val, how=how)
    return _select_needed(select, sources, hidden, chain, val, used), where


def _select_needed(
    select: exp.Select,
    sources: list[Source],
    hidden: set[str],
    chain: Chain,
    val: Any,
    used: list[exp.Expression],
) -> Rel:
    """After a join, keep the columns the query uses, under unique names."""
    by_alias = {s.alias: s for s in sources if s.alias not in hidden}
    needed: list[tuple[str, str]] = []
    consumed = {id(c) for p in used for c in p.find_all(exp.Column)}
    for col in select.find_all(exp.Column):
        if id(col) in consumed:
            continue
        source = by_alias.get(col.table.lower())
        key = (col.table.lower(), col.name.lower())
        if source and col.name.lower() in source.columns and key not in needed:
            needed.append(key)
    if not needed:
        first = next(iter(by_alias.values()))
        needed.append((first.alias, next(iter(first.columns))))
    order = {s.alias: i for i, s in enumerate(sources)}
    needed.sort(key=lambda k: (order[k[0]], list(by_alias[k[0]].columns).index(k[1])))
    counts: dict[str, int] = {}
    for _alias, lowered in needed:
        counts[lowered] = counts.get(lowered, 0) + 1
    entries: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    columns: dict[tuple[str, str], str] = {}
    plain: list[str | None] = []
    # A shared name becomes alias_name, which must not be another picked column's name either.
    taken = {lowered for lowered, n in counts.items() if n == 1}
    for alias, lowered in needed:
        source = by_alias[alias]
        spelled = source.columns[lowered]
        name = spelled if counts[lowered] == 1 else claim_name(f"{alias}_{spelled}", taken)
        entries.append((name, column_ref(source.var, spelled)))
        plain.append(entries[-1][1] if name == spelled else None)
        values[name] = source.val[spelled]
        columns[(alias, lowered)] = name
    args = [safe_arguments(entries, plain)]
    joined = val.select(**values)
    refs = {name: (src, values[name]) for name, src in entries}
    return Rel(chain.then(f".select({', '.join(args)})"), joined, columns, (chain, val), refs)
