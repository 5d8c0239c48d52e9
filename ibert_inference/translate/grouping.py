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

from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from ibert_inference.translate.aggregates import find_aggregates, group_key_name, has_window
from ibert_inference.translate.codegen import Code, column_ref
from ibert_inference.translate.core import (
    BoundTranslator,
    Context,
    Rel,
    Replacements,
    Resolver,
    claim_name,
    named_call,
)
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


@dataclass(frozen=True)
class Output:
    """One column the aggregation makes: its name, the SQL it stands for, its code."""

    name: str
    node: exp.Expression
    code: Code


def _group_keys(select: exp.Select, translator: BoundTranslator, taken: set[str]) -> list[Output]:
    projections = list(select.expressions)
    group = select.args.get("group")
    group_nodes = list(group.expressions) if group else []
    if group is not None and group.args.get("all"):
        # GROUP BY ALL: every projection without an aggregate is a key.
        group_nodes = [
            _inner(p) for p in projections if not find_aggregates(_inner(p)) and not has_window(p)
        ]
    # A name made up for a computed key must not be, ignoring case, a plain key's or an output's.
    reserved = {n.name for n in group_nodes if isinstance(n, exp.Column)}
    reserved |= {p.alias_or_name for p in projections}
    keys: list[Output] = []
    for node in group_nodes:
        name = group_key_name(node, projections, taken | reserved)
        taken.add(name)
        code = as_expr(translator.translate(node))
        if isinstance(node, exp.Column) and code.val.get_name().lower() == name.lower():
            name = code.val.get_name()  # keep the table's spelling, as DuckDB does
        if any(name.lower() == key.name.lower() for key in keys):
            # `SELECT a AS b ... GROUP BY a, b`: the alias took the column's name first
            name = claim_name(name, taken | reserved | {key.name for key in keys})
        keys.append(Output(name, node, code))
    return keys


def _metrics(
    select: exp.Select, translator: BoundTranslator, keys: list[Output], taken: set[str]
) -> list[Output]:
    """Pure aggregate projections by their alias, then every other aggregate the projection,
    HAVING or ORDER BY reads, by a readable name."""
    metrics: list[Output] = []
    for projection in select.expressions:
        node = _inner(projection)
        if any(node == k.node for k in keys) or not find_aggregates(node):
            continue
        if has_window(node) or _columns_outside_aggregates(node) or node.find(exp.Subquery):
            continue
        name = claim_name(projection.alias_or_name, taken)
        metrics.append(Output(name, node, as_expr(translator.translate(node))))
    rest: list[exp.Expression] = [_inner(p) for p in select.expressions]
    if select.args.get("having"):
        rest.append(select.args["having"].this)
    if select.args.get("order"):
        rest.extend(o.this for o in select.args["order"].expressions)
    for node in rest:
        if any(node == m.node for m in metrics) or any(node == k.node for k in keys):
            continue
        for aggregate in find_aggregates(node, into_windows=True):
            if any(aggregate == m.node for m in metrics):
                continue
            name = claim_name(readable_name(aggregate), taken)
            metrics.append(Output(name, aggregate, as_expr(translator.translate(aggregate))))
    return metrics


def _aggregate(rel: Rel, keys: list[Output], metrics: list[Output]) -> Rel:
    """``select(keys).distinct()``, ``agg(metrics)`` or ``group_by(keys).agg(metrics)``."""
    key_columns = [(k.name, k.code) for k in keys]
    metric_columns = [(m.name, m.code) for m in metrics]
    if not metrics:
        picked = named_call(rel, "select", key_columns)
        return picked.then(".distinct()", picked.val.distinct())
    if not keys:
        return named_call(rel, "agg", metric_columns)
    return named_call(named_call(rel, "group_by", key_columns), "agg", metric_columns)


def aggregate_stage(
    select: exp.Select, rel: Rel, ctx: Context, outer: Resolver | None
) -> tuple[Rel, Replacements]:
    """Group and aggregate ``rel``; return the grouped rel after HAVING and, for the projection,
    each key's and aggregate's column in it."""
    translator = rel_translator(ctx, rel, outer=outer)
    taken: set[str] = set()
    keys = _group_keys(select, translator, taken)
    metrics = _metrics(select, translator, keys, taken)
    grouped = _aggregate(rel, keys, metrics)
    names = {output.node: output.name for output in keys + metrics}

    def refs(table: Any) -> Replacements:
        return {node: Code(column_ref("_", n), table[n]) for node, n in names.items()}

    having = select.args.get("having")
    if having is not None and having.find(exp.Subquery):
        # Outer references in a HAVING subquery are group keys: name them by table too.
        for key in keys:
            if isinstance(key.node, exp.Column):
                grouped.columns[(key.node.table.lower(), key.node.name.lower())] = key.name
        grouped = decorrelate_scalars(select, grouped, ctx, within=having)
    if having is not None:
        post = rel_translator(ctx, grouped, refs(grouped.val), outer)
        predicate = as_expr(post.translate(having.this))
        grouped = grouped.then(f".filter({predicate.src})", grouped.val.filter(predicate.val))
    return grouped, refs(grouped.val)
