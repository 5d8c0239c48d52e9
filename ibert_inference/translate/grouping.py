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

from sqlglot import exp

from ibert_inference.translate.aggregates import find_aggregates, group_key_name, has_window
from ibert_inference.translate.codegen import Code, arguments, column_ref
from ibert_inference.translate.expressions import as_expr
from ibert_inference.translate.parse import readable_name


def _inner(projection: exp.Expression) -> exp.Expression:
    return projection.this if isinstance(projection, exp.Alias) else projection


def _columns_outside_aggregates(node: exp.Expression) -> bool:
    if isinstance(node, exp.AggFunc | exp.Filter | exp.Subquery):
        return False
    if isinstance(node, exp.Column):
        return True
    return any(_columns_outside_aggregates(c) for c in node.iter_expressions())


def aggregate_stage(select: exp.Select, rel, ctx, outer):
    """Group and aggregate ``rel``; return (rel after HAVING, same, replacements for the rest)."""
    from ibert_inference.translate.relations import Rel, rel_translator

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
    for node in group_nodes:
        name = group_key_name(node, projections, taken)
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
        name = _unique(projection.alias_or_name, taken)
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
            name = _unique(readable_name(aggregate), taken)
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

    def refs(table) -> dict:
        return {node: Code(column_ref("_", n), table[n]) for node, n in names.items()}

    replacements = refs(val)
    having = select.args.get("having")
    if having is not None and having.find(exp.Subquery):
        from ibert_inference.translate.subqueries import decorrelate_scalars

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
    return grouped, grouped, replacements


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _set_items(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Tuple):
        return list(node.expressions)
    if isinstance(node, exp.Paren):
        return [node.this]
    return [node]


def grouping_sets(group: exp.Group) -> list[list[exp.Expression]] | None:
    """The grouping sets ROLLUP / CUBE / GROUPING SETS stand for (None for a plain GROUP BY)."""
    if not any(group.args.get(k) for k in ("rollup", "cube", "grouping_sets")):
        return None
    combos: list[list[exp.Expression]] = [list(group.expressions)]
    for rollup in group.args.get("rollup") or []:
        keys = list(rollup.expressions)
        options = [keys[:i] for i in range(len(keys), -1, -1)]
        combos = [c + o for c in combos for o in options]
    for cube in group.args.get("cube") or []:
        keys = list(cube.expressions)
        options = [
            [k for i, k in enumerate(keys) if mask & (1 << (len(keys) - 1 - i))]
            for mask in range(2 ** len(keys) - 1, -1, -1)
        ]
        combos = [c + o for c in combos for o in options]
    for sets in group.args.get("grouping_sets") or []:
        options = [_set_items(s) for s in sets.expressions]
        combos = [c + o for c in combos for o in options]
    return combos


def expand_grouping_sets(select: exp.Select) -> exp.Expression:
    """``GROUP BY ROLLUP (a, b)`` -> ``... GROUP BY a, b UNION ALL ... GROUP BY a UNION ALL ...``.

    Keys outside a set read as NULL and ``GROUPING(k)`` as 1 there, as SQL defines them.
    """
    sets = grouping_sets(select.args["group"])
    assert sets is not None
    every_key: list[exp.Expression] = []
    for keys in sets:
        every_key.extend(k for k in keys if not any(k == e for e in every_key))
    parts: list[exp.Select] = []
    for keys in sets:
        missing = [k for k in every_key if not any(k == e for e in keys)]

        def blank(node: exp.Expression, missing=missing) -> exp.Expression:
            if isinstance(node, exp.Grouping):
                targets = list(node.expressions) or [node.this]
                bits = [int(any(t == m for m in missing)) for t in targets]
                return exp.Literal.number(int("".join(map(str, bits)), 2))
            if any(node == m for m in missing) and not node.find_ancestor(exp.AggFunc):
                return exp.Null()
            return node

        part = select.copy()
        part.set("order", None)
        part.set("limit", None)
        part.set("offset", None)
        part.set("group", exp.Group(expressions=[k.copy() for k in keys]) if keys else None)
        part.set("expressions", [p.transform(blank) for p in part.expressions])
        if part.args.get("having"):
            part.set("having", part.args["having"].transform(blank))
        parts.append(part)
    union: exp.Expression = parts[0]
    for part in parts[1:]:
        union = exp.Union(this=union, expression=part, distinct=False)
    for arg in ("order", "limit", "offset"):
        if select.args.get(arg) is not None:
            union.set(arg, select.args[arg].copy())
    return union
