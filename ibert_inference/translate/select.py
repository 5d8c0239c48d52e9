"""The SELECT pipeline: WHERE, grouping, projection, QUALIFY, DISTINCT, ORDER BY, LIMIT.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"a": "int64", "b": "string"}}
>>> sql = "SELECT DISTINCT b FROM t WHERE a > 1 ORDER BY b LIMIT 3"
>>> print(sql_to_ibis(sql, schema).code, end="")
result = t.filter(_.a > 1).select("b").distinct().order_by(_.b).limit(3)
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ibert_inference.translate.aggregates import find_aggregates
from ibert_inference.translate.codegen import Chain, Code, column_ref, py, safe_arguments
from ibert_inference.translate.core import (
    BoundTranslator,
    Context,
    Rel,
    Replacements,
    Resolver,
    claim_name,
)
from ibert_inference.translate.decorrelate import (
    decorrelate_exists,
    decorrelate_scalars,
    filter_with_subqueries,
    named_translator,
)
from ibert_inference.translate.expressions import as_expr
from ibert_inference.translate.grouping import aggregate_stage
from ibert_inference.translate.parse import readable_name, unsupported
from ibert_inference.translate.relations import translate_from
from ibert_inference.translate.scope import Translator, rel_translator


def translate_select(select: exp.Select, ctx: Context, outer: Resolver | None = None) -> Rel:
    """One SELECT (without ROLLUP, DISTINCT ON, ORDER BY ALL: the rewrites removed them)."""
    hidden: list[str] = []
    if select.args.get("qualify") is not None:
        select, hidden = _expose_qualify_windows(select)
    for arg in ("connect", "pivots", "laterals", "sample"):
        if select.args.get(arg):
            raise unsupported(arg.upper(), select)
    rel, where = translate_from(select, ctx)
    if select.find(exp.Subquery):
        rel = decorrelate_scalars(select, rel, ctx)
    if where:
        rel = _filter(rel, where, ctx, outer)
    projections = list(select.expressions)
    group = select.args.get("group")
    is_aggregate = (
        bool(group)
        or bool(select.args.get("having"))
        or any(find_aggregates(p) for p in projections)
    )
    replacements: Replacements = {}
    if is_aggregate:
        rel, replacements = aggregate_stage(select, rel, ctx, outer)
    return _finish(select, rel, replacements, ctx, outer, hidden)


def _filter(
    rel: Rel, predicates: list[exp.Expression], ctx: Context, outer: Resolver | None
) -> Rel:
    if any(p.find(exp.Exists) for p in predicates):
        rel, predicates = decorrelate_exists(predicates, rel, ctx)
        if not predicates:
            return rel
    if any(p.find(exp.Subquery, exp.Exists) for p in predicates):
        return filter_with_subqueries(rel, predicates, ctx, outer)
    translator = rel_translator(ctx, rel, outer=outer)
    codes = [as_expr(translator.translate(p)) for p in predicates]
    return rel.then(
        f".filter({', '.join(c.src for c in codes)})", rel.val.filter(*[c.val for c in codes])
    )


def projection_args(
    select: exp.Select, rel: Rel, translator: BoundTranslator, ctx: Context
) -> tuple[list[str], dict[str, Any], list[str]]:
    """Select arguments (source), values by output name, and output names in order."""
    entries: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for projection in select.expressions:
        name = projection.alias_or_name
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        code = as_expr(translator.translate(inner))
        if isinstance(inner, exp.Column) and name.lower() == inner.name.lower():
            # An unaliased column keeps the table's spelling of its name (DuckDB's rule).
            actual = code.val.get_name()
            name = actual if actual.lower() == name.lower() else name
        base, n = name, 2
        while name in values:
            name, n = f"{base}_{n}", n + 1
        if name != base:
            ctx.warnings.append(f"duplicate output column {base!r} renamed to {name!r}")
        entries.append((name, code.src))
        values[name] = code.val
    return [safe_arguments(entries)], values, list(values)


def _expose_qualify_windows(select: exp.Select) -> tuple[exp.Select, list[str]]:
    """QUALIFY's window calls that are not projections become extra, later dropped, columns."""
    select = select.copy()
    taken = {p.alias_or_name for p in select.expressions}
    hidden = []
    for window in select.args["qualify"].this.find_all(exp.Window):
        inners = [p.this if isinstance(p, exp.Alias) else p for p in select.expressions]
        if any(window == inner for inner in inners):
            continue
        candidate = claim_name(readable_name(window.this), taken)
        hidden.append(candidate)
        select.expressions.append(exp.alias_(window.copy(), candidate))
    return select, hidden


def _qualify(
    select: exp.Select, rel: Rel, names: list[str], hidden: list[str], ctx: Context
) -> Rel:
    translator = rel_translator(ctx, rel)
    translator.replacements = {
        (p.this if isinstance(p, exp.Alias) else p): Code(column_ref("_", n), rel.val[n])
        for p, n in zip(select.expressions, names, strict=True)
    }
    predicate = as_expr(translator.translate(select.args["qualify"].this))
    rel = rel.then(f".filter({predicate.src})", rel.val.filter(predicate.val))
    if hidden:
        rel = rel.then(f".drop({', '.join(py(h) for h in hidden)})", rel.val.drop(*hidden))
        rel.columns = {key: name for key, name in rel.columns.items() if name not in hidden}
    return rel


def _finish(
    select: exp.Select,
    rel: Rel,
    replacements: Replacements,
    ctx: Context,
    outer: Resolver | None,
    hidden: list[str],
) -> Rel:
    """Projection, DISTINCT, ORDER BY, LIMIT/OFFSET over ``rel`` (the grouped or source table)."""
    order_keys: list[str] = []
    if _orders_beyond_windowed_outputs(select):
        select, order_keys = _expose_order_keys(select, ctx)
    translator: BoundTranslator
    if not replacements and any(p.find(exp.Exists) for p in select.expressions):
        rel, translator = named_translator(rel, ctx, outer)
    else:
        translator = rel_translator(ctx, rel, replacements, outer)
    args, values, names = projection_args(select, rel, translator, ctx)
    identity = list(rel.val.columns) == names and all(
        translator.translate(p.this if isinstance(p, exp.Alias) else p).src == column_ref("_", n)
        for p, n in zip(select.expressions, names, strict=True)
    )
    order = select.args.get("order")
    out_columns = {("", n.lower()): n for n in names}
    ordered_before = False
    if order is not None:
        alias_of = {}
        for projection, name in zip(select.expressions, names, strict=True):
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            alias_of[inner] = name
        resolved_after = all(
            (
                isinstance(o.this, exp.Column)
                and not o.this.table
                and o.this.name.lower() in {n.lower() for n in names}
            )
            or o.this in alias_of
            for o in order.expressions
        )
        if not resolved_after:
            if select.args.get("distinct"):
                raise unsupported("ORDER BY a column not selected with DISTINCT", order)
            rel = order_rows(
                rel, order, rel_translator(ctx, rel, replacements, outer), alias_map=select
            )
            ordered_before = True
    merged = _merge_join_select(select, rel, names) if not ordered_before else None
    if merged is not None:
        rel = Rel(merged[0], merged[1], out_columns)
    elif not identity:
        rel = Rel(
            rel.chain.then(f".select({', '.join(args)})"), rel.val.select(**values), out_columns
        )
    else:
        rel = Rel(rel.chain, rel.val, out_columns)
    if select.args.get("qualify") is not None:
        rel = _qualify(select, rel, names, hidden, ctx)
    if select.args.get("distinct"):
        rel = rel.then(".distinct()", rel.val.distinct())
    if order is not None and not ordered_before:
        after = rel_translator(ctx, rel)
        alias_map = {}
        for projection, name in zip(select.expressions, names, strict=True):
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            if name in rel.val.columns:  # QUALIFY's helper columns are gone by now
                alias_map[inner] = Code(column_ref("_", name), rel.val[name])
        after.replacements = alias_map
        rel = order_rows(rel, order, after)
    rel = limit_rows(select, rel)
    if order_keys:
        rel = rel.then(f".drop({', '.join(py(k) for k in order_keys)})", rel.val.drop(*order_keys))
        rel.columns = {key: name for key, name in rel.columns.items() if name not in order_keys}
    return rel


def _resolved_after(select: exp.Select, key: exp.Expression) -> bool:
    """Whether an ORDER BY key names an output (by its alias, or as the projection itself)."""
    names = {p.alias_or_name.lower() for p in select.expressions}
    inners = [p.this if isinstance(p, exp.Alias) else p for p in select.expressions]
    plain = isinstance(key, exp.Column) and not key.table and key.name.lower() in names
    return plain or any(key == inner for inner in inners)


def _orders_beyond_windowed_outputs(select: exp.Select) -> bool:
    """ORDER BY keys beyond the outputs, beside a window function in the projection.

    Ordering before the projection is then wrong: computing the window reorders the rows.
    """
    order = select.args.get("order")
    if order is None or select.args.get("distinct"):
        return False
    if not any(p.find(exp.Window) for p in select.expressions):
        return False
    return not all(_resolved_after(select, o.this) for o in order.expressions)


def _expose_order_keys(select: exp.Select, ctx: Context) -> tuple[exp.Select, list[str]]:
    """ORDER BY keys that are not outputs become extra output columns, dropped after the sort.

    Output aliases inside such a key stand for their projections, as in the ORDER BY itself.
    """
    select = select.copy()
    taken = {p.alias_or_name for p in select.expressions} | ctx.schema_columns
    by_alias = {p.alias.lower(): p.this for p in select.expressions if isinstance(p, exp.Alias)}
    exposed: list[str] = []
    for ordered in select.args["order"].expressions:
        key = ordered.this
        if _resolved_after(select, key):
            continue
        if isinstance(key, exp.Column) and not key.table and key.name.lower() in by_alias:
            key = by_alias[key.name.lower()]
        name = claim_name(readable_name(key), taken)
        select.expressions.append(exp.alias_(key.copy(), name))
        ordered.set("this", exp.column(name))
        exposed.append(name)
    return select, exposed


def _merge_join_select(select: exp.Select, rel: Rel, names: list[str]) -> tuple[Chain, Any] | None:
    """``join(...).select(a.x, b.y)`` instead of picking columns twice, for plain projections."""
    if rel.join_base is None or rel.join_refs is None:
        return None
    entries: list[tuple[str, str]] = []
    plain: list[str | None] = []
    values: dict[str, Any] = {}
    for projection, name in zip(select.expressions, names, strict=True):
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        if not isinstance(inner, exp.Column):
            return None
        picked = rel.columns.get((inner.table.lower(), inner.name.lower()))
        if picked is None:
            return None
        src, val = rel.join_refs[picked]
        entries.append((name, src))
        plain.append(src if src.rsplit(".", 1)[-1] == name else None)
        values[name] = val
    chain, val = rel.join_base
    return chain.then(f".select({safe_arguments(entries, plain)})"), val.select(**values)


def order_rows(
    rel: Rel,
    order: exp.Order,
    translator: Translator,
    alias_map: exp.Select | None = None,
) -> Rel:
    if alias_map is not None:
        # Output aliases used in ORDER BY stand for their projection's expression.
        by_name = {}
        for projection in alias_map.expressions:
            if isinstance(projection, exp.Alias):
                by_name[projection.alias.lower()] = projection.this
        fixed = []
        for o in order.expressions:
            if (
                isinstance(o.this, exp.Column)
                and not o.this.table
                and o.this.name.lower() in by_name
            ):
                o = o.copy()
                o.set("this", by_name[o.this.name.lower()].copy())
            fixed.append(o)
        keys = [translator.order_key(o) for o in fixed]
    else:
        keys = [translator.order_key(o) for o in order.expressions]
    return rel.then(
        f".order_by({', '.join(k.src for k in keys)})", rel.val.order_by(*[k.val for k in keys])
    )


def limit_rows(node: exp.Expression, rel: Rel) -> Rel:
    limit = node.args.get("limit")
    offset = node.args.get("offset")
    if limit is None and offset is None:
        return rel
    n = _int(limit.expression if limit is not None else None, node)
    skip = _int(offset.expression if offset is not None else None, node)
    args = [repr(n)] + ([f"offset={skip}"] if skip else [])
    return rel.then(f".limit({', '.join(args)})", rel.val.limit(n, offset=skip or 0))


def _int(node: exp.Expression | None, where: exp.Expression) -> int | None:
    if node is None:
        return None
    if isinstance(node, exp.Literal) and node.is_int:
        return int(node.this)
    raise unsupported("LIMIT/OFFSET with a non-constant value", where)
