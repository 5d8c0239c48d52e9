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

from sqlglot import exp

from ibert_inference.translate.aggregates import (
    AggregateMixin,
)
from ibert_inference.translate.codegen import (
    Chain,
    Code,
    Program,
    column_ref,
    is_identifier,
    py,
    safe_arguments,
)
from ibert_inference.translate.dates import DateMixin
from ibert_inference.translate.expressions import ExpressionTranslator, function
from ibert_inference.translate.parse import unsupported
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

            return translate_query(expand_grouping_sets(node), ctx)
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
    args = [safe_arguments(entries, plain)]
    joined = val.select(**values)
    refs = {name: (src, values[name]) for name, src in entries}
    return Rel(chain.then(f".select({', '.join(args)})"), joined, columns, (chain, val), refs)


def translate_select(select: exp.Select, ctx: Context, outer=None) -> Rel:
    from ibert_inference.translate.select import translate_select as translate

    return translate(select, ctx, outer)
