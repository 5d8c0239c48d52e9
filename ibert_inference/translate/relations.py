"""Relations: FROM, joins, derived tables, CTEs, and the SELECT pipeline around them.

A query becomes one chain per CTE or derived table, each assigned to a variable named after it:
``source.join(...).select(...).filter(...).group_by(...).agg(...).order_by(...).limit(...)``.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"a": "int64", "b": "string"}}
>>> print(sql_to_ibis("SELECT b FROM t WHERE a > 1 ORDER BY b LIMIT 3", schema).code, end="")
result = t.filter(_.a > 1).select("b").order_by(_.b).limit(3)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ibis
from sqlglot import exp

from ibert_inference.translate.aggregates import (
    AggregateMixin,
    find_aggregates,
    has_window,
)
from ibert_inference.translate.codegen import (
    Chain,
    Code,
    Program,
    arguments,
    column_ref,
    is_identifier,
    py,
)
from ibert_inference.translate.dates import DateMixin
from ibert_inference.translate.expressions import ExpressionTranslator, as_expr, function
from ibert_inference.translate.parse import readable_name, unsupported
from ibert_inference.translate.strings import StringMixin
from ibert_inference.translate.subqueries import SubqueryMixin


@dataclass
class Rel:
    """A table being built: its chain, live value, and SQL (alias, column) -> Ibis column name."""

    chain: Chain
    val: Any
    columns: dict[tuple[str, str], str]
    # Right after a join: the chain before its column-picking select, and each picked column's
    # source reference, so that a plain projection can pick its columns from the join directly.
    join_base: tuple[Chain, Any] | None = None
    join_refs: dict[str, tuple[str, Any]] | None = None

    def then(self, call: str, val: Any, columns: dict[tuple[str, str], str] | None = None) -> Rel:
        return Rel(self.chain.then(call), val, self.columns if columns is None else columns)

    def output(self, alias: str = "") -> dict[tuple[str, str], str]:
        return {(alias, name.lower()): name for name in self.val.columns}


@dataclass
class Context:
    """What one translation shares: the program, schema tables and CTEs in scope."""

    program: Program
    tables: dict[str, Any]
    spelling: dict[str, str]
    dialect: str
    ctes: dict[str, tuple[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    used_vars: set[str] = field(default_factory=set)
    # correlated scalar subquery -> (column holding its value after the join, is a COUNT)
    scalar_columns: dict[exp.Expression, tuple[str, bool]] = field(default_factory=dict)


class Translator(SubqueryMixin, AggregateMixin, StringMixin, DateMixin, ExpressionTranslator):
    """Expression translator bound to a relation (``_``) and a query context."""

    def __init__(self, ctx: Context, resolve, table: Code, replacements=None, outer=None):
        super().__init__(resolve, replacements, ctx.dialect)
        self.ctx = ctx
        self.table = table
        self.outer = outer


def rel_translator(ctx: Context, rel: Rel, replacements=None, outer=None) -> Translator:
    def resolve(col: exp.Column) -> Code:
        key = (col.table.lower(), col.name.lower())
        name = rel.columns.get(key)
        if name is None and not col.table:
            matches = [v for (t, c), v in rel.columns.items() if c == key[1]]
            name = matches[0] if len(matches) == 1 else None
        if name is None:
            if outer is not None:
                return outer(col)
            raise unsupported(f"column reference {col.sql()}", col, "not in scope here")
        return Code(column_ref("_", name), rel.val[name])

    if ctx.scalar_columns:
        replacements = dict(replacements or {})
        for node, (name, is_count) in ctx.scalar_columns.items():
            if name in rel.val.columns and node not in replacements:
                code = Code(column_ref("_", name), rel.val[name])
                if is_count:
                    code = function("coalesce", code, Code("0", 0, literal=True))
                replacements[node] = code
    return Translator(ctx, resolve, Code("_", rel.val), replacements, outer)


# --- queries ----------------------------------------------------------------------------------
def translate_query(node: exp.Expression, ctx: Context, outer=None) -> Rel:
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
        from ibert_inference.translate.setops import translate_setop

        return translate_setop(node, ctx)
    if isinstance(node, exp.Select):
        group = node.args.get("group")
        if group is not None and any(
            group.args.get(k) for k in ("rollup", "cube", "grouping_sets")
        ):
            from ibert_inference.translate.grouping import expand_grouping_sets
            from ibert_inference.translate.setops import translate_setop

            return translate_setop(expand_grouping_sets(node), ctx)
        return translate_select(node, ctx, outer)
    raise unsupported(f"query {node.key.upper()}", node)


def variable(rel: Rel, ctx: Context, hint: str) -> tuple[str, Any]:
    """The relation as a name: itself when it is a bare name, else a new assignment."""
    if not rel.chain.calls and is_identifier(rel.chain.base):
        return rel.chain.base, rel.val
    return ctx.program.assign(hint, rel.chain), rel.val


@dataclass
class Source:
    alias: str
    var: str
    val: Any
    columns: dict[str, str]  # lower -> spelling


def source_of(node: exp.Expression, ctx: Context, seen: set[str]) -> Source:
    alias = node.alias_or_name.lower()
    if isinstance(node, exp.Table):
        name = node.name.lower()
        if name in ctx.ctes:
            var, val = ctx.ctes[name]
        else:
            var = ctx.spelling[name]
            val = ctx.tables[var]
    elif isinstance(node, exp.Subquery):
        rel = translate_query(node.this, ctx)
        var, val = variable(rel, ctx, alias or "derived")
    else:
        raise unsupported(f"FROM item {node.key.upper()}", node)
    if var in seen:
        # The same table twice in one FROM (self-join) needs distinct Ibis table objects.
        view = ctx.program.assign(alias, Chain(var, [".view()"]))
        var, val = view, val.view()
    seen.add(var)
    return Source(alias, var, val, {c.lower(): c for c in val.columns})


def source_translator(ctx: Context, sources: list[Source]) -> Translator:
    by_alias = {s.alias: s for s in sources}

    def resolve(col: exp.Column) -> Code:
        source = by_alias.get(col.table.lower())
        if source is None or col.name.lower() not in source.columns:
            raise unsupported(f"column reference {col.sql()} in a join condition", col)
        name = source.columns[col.name.lower()]
        return Code(column_ref(source.var, name), source.val[name])

    return Translator(ctx, resolve, Code("_", None))


def conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    if node is None:
        return []
    if isinstance(node, exp.Paren):
        return conjuncts(node.this)
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


def _aliases(node: exp.Expression) -> set[str]:
    return {c.table.lower() for c in node.find_all(exp.Column)}


_HOW = {"LEFT": "left", "RIGHT": "right", "FULL": "outer"}


def translate_from(select: exp.Select, ctx: Context) -> tuple[Rel, list[exp.Expression]]:
    """FROM and JOINs to a relation; returns the WHERE conjuncts not used as join predicates."""
    where = conjuncts(select.args["where"].this) if select.args.get("where") else []
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is None:
        raise unsupported("SELECT without FROM", select)
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


def _select_needed(select, sources, hidden, chain, val, used) -> Rel:
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
    for _alias, col in needed:
        counts[col] = counts.get(col, 0) + 1
    entries, values, columns, plain = [], {}, {}, []
    for alias, col in needed:
        source = by_alias[alias]
        spelled = source.columns[col]
        name = spelled if counts[col] == 1 else f"{alias}_{spelled}"
        entries.append((name, column_ref(source.var, spelled)))
        plain.append(entries[-1][1] if name == spelled else None)
        values[name] = source.val[spelled]
        columns[(alias, col)] = name
    args = [_safe_arguments(entries, plain)]
    joined = val.select(**values)
    refs = {name: (src, values[name]) for name, src in entries}
    return Rel(chain.then(f".select({', '.join(args)})"), joined, columns, (chain, val), refs)


# --- SELECT -----------------------------------------------------------------------------------
def translate_select(select: exp.Select, ctx: Context, outer=None) -> Rel:
    hidden: list[str] = []
    if select.args.get("qualify") is not None:
        select, hidden = _expose_qualify_windows(select)
    for arg in ("connect", "pivots", "laterals", "sample"):
        if select.args.get(arg):
            raise unsupported(arg.upper(), select)
    if select.args.get("distinct") and select.args["distinct"].args.get("on"):
        raise unsupported("DISTINCT ON", select)
    rel, where = translate_from(select, ctx)
    if select.find(exp.Subquery):
        from ibert_inference.translate.subqueries import decorrelate_scalars

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
    if is_aggregate:
        from ibert_inference.translate.grouping import aggregate_stage

        rel, post, replacements = aggregate_stage(select, rel, ctx, outer)
    else:
        post, replacements = rel, {}
    return _finish(select, rel, post, replacements, ctx, outer, hidden)


def _filter(rel: Rel, predicates: list[exp.Expression], ctx: Context, outer) -> Rel:
    if any(p.find(exp.Exists) for p in predicates):
        from ibert_inference.translate.subqueries import decorrelate_exists

        rel, predicates = decorrelate_exists(predicates, rel, ctx)
        if not predicates:
            return rel
    if any(p.find(exp.Subquery, exp.Exists) for p in predicates):
        from ibert_inference.translate.subqueries import filter_with_subqueries

        return filter_with_subqueries(rel, predicates, ctx, outer)
    translator = rel_translator(ctx, rel, outer=outer)
    codes = [as_expr(translator.translate(p)) for p in predicates]
    return rel.then(
        f".filter({', '.join(c.src for c in codes)})", rel.val.filter(*[c.val for c in codes])
    )


def _safe_arguments(entries: list[tuple[str, str]], plain: list | None = None) -> str:
    try:
        return arguments(entries, plain)
    except ValueError:
        return ", ".join(f"{_paren(src)}.name({py(name)})" for name, src in entries)


def _paren(src: str) -> str:
    return src if src.replace(".", "").replace("_", "").isalnum() else f"({src})"


def projection_args(
    select: exp.Select, rel: Rel, translator: Translator
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
            translator.ctx.warnings.append(f"duplicate output column {base!r} renamed to {name!r}")
        entries.append((name, code.src))
        values[name] = code.val
    return [_safe_arguments(entries)], values, list(values)


def _expose_qualify_windows(select: exp.Select) -> tuple[exp.Select, list[str]]:
    """QUALIFY's window calls that are not projections become extra, later dropped, columns."""
    select = select.copy()
    taken = {p.alias_or_name for p in select.expressions}
    hidden = []
    for window in select.args["qualify"].this.find_all(exp.Window):
        inners = [p.this if isinstance(p, exp.Alias) else p for p in select.expressions]
        if any(window == inner for inner in inners):
            continue
        name = readable_name(window.this)
        candidate, n = name, 2
        while candidate in taken:
            candidate, n = f"{name}_{n}", n + 1
        taken.add(candidate)
        hidden.append(candidate)
        select.expressions.append(exp.alias_(window.copy(), candidate))
    return select, hidden


def _qualify(select: exp.Select, rel: Rel, names: list[str], hidden: list[str], ctx) -> Rel:
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


def _finish(select, pre: Rel, rel: Rel, replacements, ctx: Context, outer, hidden=()) -> Rel:
    """Projection, DISTINCT, ORDER BY, LIMIT/OFFSET over ``rel`` (the grouped or source table)."""
    if not replacements and any(p.find(exp.Exists) for p in select.expressions):
        from ibert_inference.translate.subqueries import named_translator

        rel, translator = named_translator(rel, ctx, outer)
    else:
        translator = rel_translator(ctx, rel, replacements, outer)
    args, values, names = projection_args(select, rel, translator)
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
            rel = _order(
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
        rel = _qualify(select, rel, names, list(hidden), ctx)
    if select.args.get("distinct"):
        rel = rel.then(".distinct()", rel.val.distinct())
    if order is not None and not ordered_before:
        after = rel_translator(ctx, rel)
        alias_map = {}
        for projection, name in zip(select.expressions, names, strict=True):
            inner = projection.this if isinstance(projection, exp.Alias) else projection
            alias_map[inner] = Code(column_ref("_", name), rel.val[name])
        after.replacements = alias_map
        rel = _order(rel, order, after)
    return _limit(select, rel)


def _merge_join_select(select: exp.Select, rel: Rel, names: list[str]):
    """``join(...).select(a.x, b.y)`` instead of picking columns twice, for plain projections."""
    if rel.join_base is None or rel.join_refs is None:
        return None
    entries, plain, values = [], [], {}
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
    return chain.then(f".select({_safe_arguments(entries, plain)})"), val.select(**values)


def _order(rel: Rel, order: exp.Order, translator: Translator, alias_map=None) -> Rel:
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


def _limit(node: exp.Expression, rel: Rel) -> Rel:
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


__all__ = ["Context", "Rel", "has_window", "ibis", "readable_name", "translate_query"]
