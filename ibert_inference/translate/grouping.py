"""GROUP BY, HAVING and aggregate projections: ``.group_by(keys).agg(metrics)`` then ``.filter``.

Projections that are pure aggregates become ``agg`` metrics named by their alias; aggregates used
only in HAVING or ORDER BY become extra metrics that the final ``select`` leaves out.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"a": "int64", "x": "float64"}}
>>> sql = "SELECT a, SUM(x) AS total FROM t GROUP BY a HAVING COUNT(*) > 1"
>>> print(sql_to_ibis(sql, schema).code, end="")
result = (
    t.group_by("a")
    .agg(total=_.x.sum(), count_star=_.count())
    .filter(_.count_star > 1)
    .select("a", "total")
)
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from ibert_inference.translate.aggregates import find_aggregates, group_key_name, has_window
from ibert_inference.translate.codegen import Code, arguments, column_ref
from ibert_inference.translate.core import Context, Rel, Replacements, Resolver, claim_name
from ibert_inference.translate.decorrelate import decorrelate_scalars
from ibert_inference.translate.expressions import as_expr
from ibert_inference.translate.parse import readable_name
from ibert_inference.translate.scope import rel_translator


def _inner(projection: exp.Expression) -> exp.Expression:
    return projection.this if isinstance(projection, exp.Alias) else projection


def _columns_outside_aggregates(node: exp.Expression) -> bool:
    if isinstance(node, exp.AggFunc | exp.Filter | exp.Subquery):
        return False
    if isinstance(node, exp.Column):
        return True
    return any(_columns_outside_aggregates(c) for c in node.iter_expressions())


def aggregate_stage(
    select: exp.Select, rel: Rel, ctx: Context, outer: Resolver | None
) -> tuple[Rel, Replacements]:
    """Group and aggregate ``rel``; return the grouped rel after HAVING and, for the projection,
    each key's and aggregate's column in it."""
    projections = list(select.expressions)
    group = select.args.get("group")
    translator = rel_translator(ctx, rel, outer=outer)
    taken: set[str] = set()
    keys: list[tuple[str, exp.Expression, Code]] = []
    group_nodes = list(group.expressions) if group else []
    if group is not None and group.args.get("all"):
        # GROUP BY ALL: every projection without an aggregate is a key.
        group_nodes = [
            _inner(p) for p in projections if not find_aggregates(_inner(p)) and not has_window(p)
        ]
    # A name made up for a computed key must not be, ignoring case, a plain key's or an output's.
    reserved = {n.name for n in group_nodes if isinstance(n, exp.Column)}
    reserved |= {p.alias_or_name for p in projections}
    for node in group_nodes:
        name = group_key_name(node, projections, taken | reserved)
        taken.add(name)
        code = as_expr(translator.translate(node))
        if isinstance(node, exp.Column) and code.val.get_name().lower() == name.lower():
            name = code.val.get_name()  # keep the table's spelling, as DuckDB does
        keys.append((name, node, code))
    metrics: list[tuple[str, exp.Expression, Code]] = []
    for projection in projections:
        node = _inner(projection)
        if any(node == k[1] for k in keys) or not find_aggregates(node):
            continue
        if has_window(node) or _columns_outside_aggregates(node) or node.find(exp.Subquery):
            continue
        name = claim_name(projection.alias_or_name, taken)
        metrics.append((name, node, as_expr(translator.translate(node))))
    rest: list[exp.Expression] = [_inner(p) for p in projections]
    if select.args.get("having"):
        rest.append(select.args["having"].this)
    if select.args.get("order"):
        rest.extend(o.this for o in select.args["order"].expressions)
    for node in rest:
        if any(node == m[1] for m in metrics) or any(node == k[1] for k in keys):
            continue
        for aggregate in find_aggregates(node, into_windows=True):
            if any(aggregate == m[1] for m in metrics):
                continue
            name = claim_name(readable_name(aggregate), taken)
            metrics.append((name, aggregate, as_expr(translator.translate(aggregate))))
    key_args = [arguments([(name, code.src) for name, _n, code in keys])]
    metric_args = [arguments([(name, code.src) for name, _n, code in metrics])]
    key_vals = {name: code.val for name, _n, code in keys}
    metric_vals = {name: code.val for name, _n, code in metrics}
    if not metrics:
        chain = rel.chain.then(f".select({', '.join(key_args)})").then(".distinct()")
        val = rel.val.select(**key_vals).distinct()
    elif not keys:
        chain = rel.chain.then(f".agg({', '.join(metric_args)})")
        val = rel.val.aggregate(**metric_vals)
    else:
        chain = rel.chain.then(f".group_by({', '.join(key_args)})").then(
            f".agg({', '.join(metric_args)})"
        )
        val = rel.val.group_by(**key_vals).aggregate(**metric_vals)
    columns = {("", n.lower()): n for n in val.columns}
    grouped = Rel(chain, val, columns)
    names = {node: name for name, node, _code in keys + metrics}

    def refs(table: Any) -> Replacements:
        return {node: Code(column_ref("_", n), table[n]) for node, n in names.items()}

    replacements = refs(val)
    having = select.args.get("having")
    if having is not None and having.find(exp.Subquery):
        # Outer references in a HAVING subquery are group keys: name them by table too.
        for name, node, _code in keys:
            if isinstance(node, exp.Column):
                grouped.columns[(node.table.lower(), node.name.lower())] = name
        grouped = decorrelate_scalars(select, grouped, ctx, within=having)
        val = grouped.val
        replacements = refs(val)
    if having is not None:
        post = rel_translator(ctx, grouped, replacements, outer)
        predicate = as_expr(post.translate(having.this))
        grouped = grouped.then(f".filter({predicate.src})", val.filter(predicate.val))
        replacements = refs(grouped.val)
    return grouped, replacements
