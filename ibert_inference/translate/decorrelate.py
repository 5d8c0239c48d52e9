"""Decorrelation: subqueries that read the enclosing query become joins the query can run.

- ``[NOT] EXISTS`` over joins or groups, correlated by equalities -> ``semi_join`` /
  ``anti_join`` on the keys; correlated otherwise (a range, a nested subquery reaching two levels
  out) -> the subquery runs once over the distinct outer values it reads, and the outer table is
  semi/anti-joined on them, NULL matching NULL.
- Correlated aggregate scalar subqueries -> grouped on the correlation keys (or over the outer
  values) and left-joined; ``COUNT`` of no rows stays 0 through a coalesce.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"k": "int64", "at": "int64"}}
>>> sql = "SELECT t.k, (SELECT COUNT(*) FROM t u WHERE u.at < t.at) AS earlier FROM t"
>>> print(sql_to_ibis(sql, schema).code, end="")
outer_values = t.select("at").distinct()
count_star_by_at = (
    outer_values.join(t, t.at < outer_values.at)
    .select(outer_values.at)
    .group_by("at")
    .agg(count_star=_.count())
)
result = (
    t.join(count_star_by_at, "at", how="left")
    .select("k", earlier=ibis.coalesce(_.count_star, 0))
)
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from ibert_inference.translate.aggregates import find_aggregates
from ibert_inference.translate.codegen import Chain, Code, column_ref, py
from ibert_inference.translate.core import (
    BoundTranslator,
    Context,
    Rel,
    Resolver,
    claim_name,
    conjuncts,
    outer_aliases,
    variable,
)
from ibert_inference.translate.expressions import as_expr
from ibert_inference.translate.parse import unsupported


def _query(node: exp.Expression) -> exp.Expression:
    return node.this if isinstance(node, exp.Subquery) else node


def named_translator(rel: Rel, ctx: Context, outer: Resolver | None) -> tuple[Rel, BoundTranslator]:
    """Assign ``rel`` to a variable and refer to its columns through it (``orders.amount``).

    Correlated ``(inner.key == outer.key).any()`` needs the outer table by name, not ``_``.
    """
    var, val = variable(rel, ctx, "filtered" if rel.chain.calls else rel.chain.base)
    ctx.used_vars.add(var)
    rel = Rel(Chain(var), val, rel.columns)
    translator = ctx.bind(ctx, rel, None, outer)
    base_resolve = translator.resolve

    def resolve(col: exp.Column) -> Code:
        code = base_resolve(col)
        if code.src.startswith("_"):
            return Code(var + code.src[1:], code.val)
        return code

    translator.resolve = resolve
    translator.table = Code(var, val)
    return rel, translator


def filter_with_subqueries(
    rel: Rel, predicates: list[exp.Expression], ctx: Context, outer: Resolver | None
) -> Rel:
    """Filter whose predicates hold subqueries: name the table so correlated ones can see it."""
    translator: BoundTranslator
    if any(p.find(exp.Exists) for p in predicates):
        rel, translator = named_translator(rel, ctx, outer)
    else:
        translator = ctx.bind(ctx, rel, None, outer)
    codes = [as_expr(translator.translate(p)) for p in predicates]
    return rel.then(
        f".filter({', '.join(c.src for c in codes)})", rel.val.filter(*[c.val for c in codes])
    )


def _split_correlation(
    inner: exp.Select, outer_refs: set[str], rel: Rel
) -> tuple[list[tuple[str, exp.Expression]], list[exp.Expression]]:
    """WHERE of a correlated subquery -> ([(outer column name, inner expression)], local preds)."""
    keys: list[tuple[str, exp.Expression]] = []
    local: list[exp.Expression] = []
    where = inner.args.get("where")
    for predicate in conjuncts(where.this if where else None):
        refs = {c.table.lower() for c in predicate.find_all(exp.Column)} & outer_refs
        if not refs:
            local.append(predicate)
            continue
        if not isinstance(predicate, exp.EQ):
            raise unsupported("correlation that is not an equality", predicate)
        sides = [predicate.this, predicate.expression]
        outer_side = [
            s for s in sides if isinstance(s, exp.Column) and s.table.lower() in outer_refs
        ]
        if len(outer_side) != 1:
            raise unsupported("correlation between two outer columns", predicate)
        inner_side = sides[1] if sides[0] is outer_side[0] else sides[0]
        if {c.table.lower() for c in inner_side.find_all(exp.Column)} & outer_refs:
            raise unsupported("correlation that is not an equality of columns", predicate)
        col = outer_side[0]
        keys.append((rel.columns[(col.table.lower(), col.name.lower())], inner_side))
    if not keys:
        raise unsupported("correlated subquery without an equality to an outer column", inner)
    return keys, local


def decorrelate_exists(
    predicates: list[exp.Expression], rel: Rel, ctx: Context
) -> tuple[Rel, list[exp.Expression]]:
    """Top-level ``[NOT] EXISTS`` over joins or groups -> ``semi_join`` / ``anti_join`` on keys.

    The single-table case keeps Ibis's ``(inner.key == outer.key).any()`` idiom instead.
    """
    aliases = {alias for alias, _col in rel.columns}
    kept = []
    for predicate in predicates:
        negated = isinstance(predicate, exp.Not) and isinstance(predicate.this, exp.Exists)
        exists = predicate.this if negated else predicate
        inner = _query(exists.this) if isinstance(exists, exp.Exists) else None
        if not isinstance(inner, exp.Select) or inner.args.get("limit"):
            kept.append(predicate)
            continue
        outer_refs = outer_aliases(inner)
        if not outer_refs or not outer_refs <= aliases:
            kept.append(predicate)
            continue
        simple = not (
            inner.args.get("joins") or inner.args.get("group") or inner.args.get("having")
        )
        nested = any(
            outer_aliases(_query(q)) & outer_refs
            for q in inner.find_all(exp.Subquery, exp.Exists)
            if q is not inner
        )
        if simple and not nested:
            kept.append(predicate)  # Ibis's own idiom: (inner.key == outer.key).any()
            continue
        null_safe = not _correlated_by_equalities(inner, outer_refs)
        if not null_safe:
            keys, local = _split_correlation(inner, outer_refs, rel)
            matches = inner.copy()
            matches.set("where", exp.Where(this=exp.and_(*local)) if local else None)
            matches.set("expressions", [exp.alias_(k.copy(), key) for key, k in keys])
            matches.set("distinct", exp.Distinct())
            matches.set("order", None)
            names = [k for k, _ in keys]
        else:
            matches, names = _matching_outer_values(inner, outer_refs, rel, ctx)
        sub_rel = ctx.translate_query(matches, ctx)
        var = ctx.program.assign("_".join(names) + "_matches", sub_rel.chain)
        how = "anti_join" if negated else "semi_join"
        if null_safe:
            # Outer values include NULL, and the subquery may hold for it: match NULL to NULL.
            left, left_val = variable(rel, ctx, "filtered")
            rel = Rel(Chain(left), left_val, rel.columns)
            preds = [f"{column_ref(left, n)}.identical_to({column_ref(var, n)})" for n in names]
            pred_vals = [left_val[n].identical_to(sub_rel.val[n]) for n in names]
            key_src = preds[0] if len(preds) == 1 else "[" + ", ".join(preds) + "]"
            value = getattr(left_val, how)(sub_rel.val, pred_vals)
        else:
            key_src = py(names[0]) if len(names) == 1 else "[" + ", ".join(map(py, names)) + "]"
            value = getattr(rel.val, how)(sub_rel.val, names if len(names) > 1 else names[0])
        rel = rel.then(f".{how}({var}, {key_src})", value)
    return rel, kept


def decorrelate_scalars(
    select: exp.Select, rel: Rel, ctx: Context, within: exp.Expression | None = None
) -> Rel:
    """Correlated aggregate subqueries -> a grouped table left-joined on the correlation keys.

    ``WHERE s.salary > (SELECT AVG(s2.salary) FROM salaries s2 WHERE s2.emp_id = s.emp_id)``
    becomes ``avg_salary_by_emp_id = salaries.group_by("emp_id").agg(avg_salary=...)`` joined
    to the outer table with ``how="left"``; ``COUNT`` of no rows stays 0 through a coalesce.
    """
    aliases = {alias for alias, _col in rel.columns}
    having = select.args.get("having")
    for sub in list((within or select).find_all(exp.Subquery)):
        if within is None and having is not None and sub.find_ancestor(exp.Having) is having:
            continue  # correlated with group keys: joined after the aggregation
        if sub.find_ancestor(exp.Select) is not select or isinstance(
            sub.parent, exp.From | exp.Join
        ):
            continue
        if isinstance(sub.parent, exp.In | exp.Exists):
            continue
        inner = sub.this
        outer_refs = outer_aliases(inner)
        if not outer_refs or not outer_refs <= aliases or not isinstance(inner, exp.Select):
            continue
        if len(inner.expressions) != 1 or inner.args.get("group") or inner.args.get("limit"):
            raise unsupported("correlated subquery that is not one aggregate", sub)
        projection = inner.expressions[0]
        value = projection.this if isinstance(projection, exp.Alias) else projection
        if not find_aggregates(value):
            raise unsupported("correlated scalar subquery without an aggregate", sub)
        taken = set(rel.val.columns)
        name = claim_name(projection.alias_or_name or "value", taken)
        null_safe = not _correlated_by_equalities(inner, outer_refs)
        if not null_safe:
            keys, local = _split_correlation(inner, outer_refs, rel)
            grouped = inner.copy()
            grouped.set("where", exp.Where(this=exp.and_(*local)) if local else None)
            grouped.set(
                "expressions",
                [exp.alias_(k.copy(), key) for key, k in keys] + [exp.alias_(value.copy(), name)],
            )
            grouped.set("group", exp.Group(expressions=[k.copy() for _key, k in keys]))
            grouped.set("order", None)
            key_names = [k for k, _ in keys]
        else:
            grouped, key_names = _over_outer_values(inner, value, name, outer_refs, rel, ctx)
        sub_rel = ctx.translate_query(grouped, ctx)
        var = ctx.program.assign(f"{name}_by_{'_'.join(key_names)}", sub_rel.chain)
        key_src = (
            py(key_names[0]) if len(key_names) == 1 else "[" + ", ".join(map(py, key_names)) + "]"
        )
        joined = rel.val.join(
            sub_rel.val, key_names if len(key_names) > 1 else key_names[0], how="left"
        )
        rel = rel.then(f'.join({var}, {key_src}, how="left")', joined)
        ctx.scalar_columns[sub] = (name, isinstance(value, exp.Count))
    return rel


def _correlated_by_equalities(inner: exp.Select, outer_refs: set[str]) -> bool:
    """Whether every correlated WHERE conjunct is ``inner expression = outer column``."""
    where = inner.args.get("where")
    for predicate in conjuncts(where.this if where else None):
        if not {c.table.lower() for c in predicate.find_all(exp.Column)} & outer_refs:
            continue
        if not isinstance(predicate, exp.EQ):
            return False
        sides = [predicate.this, predicate.expression]
        outer = [s for s in sides if isinstance(s, exp.Column) and s.table.lower() in outer_refs]
        if len(outer) != 1:
            return False
        other = sides[1] if sides[0] is outer[0] else sides[0]
        if {c.table.lower() for c in other.find_all(exp.Column)} & outer_refs:
            return False
    return True


def _over_outer_values(
    inner: exp.Select,
    value: exp.Expression,
    name: str,
    outer_refs: set[str],
    rel: Rel,
    ctx: Context,
) -> tuple[exp.Select, list[str]]:
    """A correlation that is not an equality (``p.at < o.at``): the subquery's aggregate for each
    distinct combination of the outer columns it reads, joined on any predicate.

    ``outer_values = orders.select("ordered_at").distinct()`` joined to the inner table on the
    subquery's WHERE and grouped by those columns; outer rows whose values match no inner row
    get no group, so the left join back gives NULL (and COUNT its coalesced 0), as SQL does.
    """
    if inner.args.get("joins"):
        # Over joined tables: the outer values join them as one more FROM item.
        grouped = _joined_to_outer_values(inner, outer_refs, rel, ctx)
        keys = [e.alias for e in grouped.expressions]
        grouped.append("expressions", exp.alias_(value.copy(), name))
        grouped.set(
            "group", exp.Group(expressions=[e.this.copy() for e in grouped.expressions[:-1]])
        )
        grouped.set("distinct", None)
        return grouped, keys
    var, key_names, to_outer_values = _outer_values(inner, outer_refs, rel, ctx)
    where = inner.args.get("where")
    condition = where.this.copy().transform(to_outer_values) if where else exp.true()
    grouped = (
        exp.select(
            *[exp.alias_(exp.column(k, table=var), k) for k in key_names],
            exp.alias_(value.copy(), name),
        )
        .from_(exp.Table(this=exp.to_identifier(var)))
        .join(inner.args["from_"].this.copy(), on=condition)
        .group_by(*[exp.column(k, table=var) for k in key_names])
    )
    return grouped, key_names


def _outer_values(
    inner: exp.Select, outer_refs: set[str], rel: Rel, ctx: Context
) -> tuple[str, list[str], Callable[[exp.Expression], exp.Expression]]:
    """The distinct combinations of the outer columns a subquery reads (at any depth), as a
    table the subquery can join: its variable, its column names, and a rewrite of outer
    column references into references to it."""
    refs: list[tuple[str, str]] = []
    for column in inner.find_all(exp.Column):
        key = (column.table.lower(), column.name.lower())
        if key[0] in outer_refs and key not in refs:
            refs.append(key)
    key_names = [rel.columns[key] for key in refs]
    values = rel.chain.then(f".select({', '.join(map(py, key_names))}).distinct()")
    var = ctx.program.assign("outer_values", values)
    ctx.ctes[var.lower()] = (var, rel.val.select(*key_names).distinct())

    def to_outer_values(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.table.lower() in outer_refs:
            return exp.column(rel.columns[(node.table.lower(), node.name.lower())], table=var)
        return node

    return var, key_names, to_outer_values


def _matching_outer_values(
    inner: exp.Select, outer_refs: set[str], rel: Rel, ctx: Context
) -> tuple[exp.Select, list[str]]:
    """``EXISTS`` whose correlation is not a set of equalities (a range, a nested subquery
    reaching two levels out): the outer values for which the subquery has a row.

    The subquery runs once over the outer values joined to its own tables (``FROM outer_values,
    part p WHERE ... AND NOT EXISTS (... ps.ps_suppkey = outer_values.s_suppkey)``), grouped by
    them as well when it groups; a nested subquery then correlates with one joined table.
    """
    matches = _joined_to_outer_values(inner, outer_refs, rel, ctx)
    if matches.args.get("group") is not None:
        keys = [e.this.copy() for e in matches.expressions]
        matches.set("group", exp.Group(expressions=keys + list(matches.args["group"].expressions)))
    return matches, [e.alias for e in matches.expressions]


def _joined_to_outer_values(
    inner: exp.Select, outer_refs: set[str], rel: Rel, ctx: Context
) -> exp.Select:
    """``SELECT DISTINCT outer_values.k ... FROM outer_values, <the subquery's FROM> WHERE ...``:
    the subquery with its outer references read from the outer values table."""
    var, key_names, to_outer_values = _outer_values(inner, outer_refs, rel, ctx)
    matches = inner.copy().transform(to_outer_values)
    assert isinstance(matches, exp.Select)
    first = matches.args["from_"].this
    matches.set("from_", exp.From(this=exp.Table(this=exp.to_identifier(var))))
    matches.set("joins", [exp.Join(this=first), *(matches.args.get("joins") or [])])
    matches.set("expressions", [exp.alias_(exp.column(k, table=var), k) for k in key_names])
    matches.set("distinct", exp.Distinct())
    matches.set("order", None)
    return matches
