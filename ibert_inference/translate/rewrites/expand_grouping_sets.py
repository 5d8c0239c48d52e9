"""``GROUP BY ROLLUP / CUBE / GROUPING SETS`` -> one ``GROUP BY`` per grouping set, ``UNION ALL``.

Keys outside a set read as NULL there, and ``GROUPING(k)`` as the bit that says so, as SQL
defines them.

>>> from sqlglot import parse_one
>>> sql = "SELECT a, GROUPING(a) AS g, COUNT(*) AS n FROM t GROUP BY ROLLUP (a)"
>>> print(expand_grouping_sets(parse_one(sql)).sql())
SELECT a, 0 AS g, COUNT(*) AS n FROM t GROUP BY a UNION ALL SELECT NULL AS a, 1 AS g, COUNT(*) AS n FROM t
"""  # noqa: E501

from __future__ import annotations

from sqlglot import exp

from ibert_inference.translate.core import unique_name


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


def _one_set(select: exp.Select, keys: list[exp.Expression], every_key: list) -> exp.Select:
    missing = [k for k in every_key if not any(k == e for e in keys)]

    def blank(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Grouping):
            targets = list(node.expressions) or [node.this]
            bits = [int(any(t == m for m in missing)) for t in targets]
            return exp.Literal.number(int("".join(map(str, bits)), 2))
        if any(node == m for m in missing) and not node.find_ancestor(exp.AggFunc):
            return exp.Null()
        return node

    part = select.copy()
    for arg in ("order", "limit", "offset", "with_", "with"):
        part.set(arg, None)
    part.set("group", exp.Group(expressions=[k.copy() for k in keys]) if keys else None)
    projections = []
    for projection in part.expressions:
        blanked = projection.transform(blank)
        if not isinstance(blanked, exp.Alias) and not projection.alias and blanked != projection:
            blanked = exp.alias_(blanked, projection.alias_or_name)  # NULL keeps the key's name
        projections.append(blanked)
    part.set("expressions", projections)
    if part.args.get("having"):
        part.set("having", part.args["having"].transform(blank))
    return part


def _order_by_grouping(select: exp.Select) -> exp.Expression:
    """ORDER BY GROUPING(k): each set computes it as a hidden column, an outer query sorts."""
    select = select.copy()
    order: exp.Order = select.args["order"]
    limit, offset = select.args.get("limit"), select.args.get("offset")
    with_ = select.args.get("with_") or select.args.get("with")
    names = [p.alias_or_name for p in select.expressions]
    taken = set(names)
    hidden: dict[exp.Expression, str] = {}
    for grouping in order.find_all(exp.Grouping):
        if grouping not in hidden:
            name = unique_name("grouping", taken)
            taken.add(name)
            hidden[grouping] = name
            select.append("expressions", exp.alias_(grouping.copy(), name))
    outputs = {
        (p.this if isinstance(p, exp.Alias) else p): p.alias_or_name for p in select.expressions
    }

    def by_name(node: exp.Expression) -> exp.Expression:
        if node in hidden:
            return exp.column(hidden[node])
        if node in outputs and not isinstance(node, exp.Literal):
            return exp.column(outputs[node])
        return node

    keys = [o.copy() for o in order.expressions]
    for key in keys:
        key.set("this", key.this.transform(by_name))
    for arg in ("order", "limit", "offset", "with_", "with"):
        select.set(arg, None)
    outer = exp.select(*[exp.column(n) for n in names]).from_(
        exp.Subquery(this=_expand(select), alias=exp.TableAlias(this=exp.to_identifier("sets")))
    )
    outer.set("order", exp.Order(expressions=keys))
    for arg, value in (("limit", limit), ("offset", offset), ("with_", with_)):
        if value is not None:
            outer.set(arg, value.copy())
    return outer


def _expand(select: exp.Select) -> exp.Expression:
    order = select.args.get("order")
    if order is not None and order.find(exp.Grouping) is not None:
        return _order_by_grouping(select)
    sets = grouping_sets(select.args["group"])
    assert sets is not None
    every_key: list[exp.Expression] = []
    for keys in sets:
        every_key.extend(k for k in keys if not any(k == e for e in every_key))
    parts = [_one_set(select, keys, every_key) for keys in sets]
    union: exp.Expression = parts[0]
    for part in parts[1:]:
        union = exp.Union(this=union, expression=part, distinct=False)
    for arg in ("order", "limit", "offset", "with_", "with"):
        if select.args.get(arg) is not None:
            union.set(arg, select.args[arg].copy())
    return union


def expand_grouping_sets(tree: exp.Expression) -> exp.Expression:
    """Expand every ROLLUP / CUBE / GROUPING SETS query of ``tree`` into a UNION ALL."""

    def rewrite(node: exp.Expression) -> exp.Expression:
        group = node.args.get("group") if isinstance(node, exp.Select) else None
        if not isinstance(node, exp.Select) or group is None or grouping_sets(group) is None:
            return node
        return _expand(node)

    return tree.transform(rewrite, copy=False)
