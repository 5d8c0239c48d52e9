"""``x > ALL (SELECT y ...)`` -> ``NOT EXISTS (SELECT ... WHERE (x > y) IS NOT TRUE)``; ANY -> EXISTS.

In a WHERE clause a row is kept when its predicate is TRUE. ``x > ALL (S)`` is TRUE exactly when
no row of S makes ``x > y`` FALSE or NULL (an empty S included); ``x > ANY (S)`` when some row
makes it TRUE. Only top-level WHERE conjuncts are rewritten: under NOT or OR the NULL answer
would count, and these rewrites do not keep it. Inner aliases are renamed so that the
comparison can name both sides.

>>> from sqlglot import parse_one
>>> sql = "SELECT t.a FROM t WHERE t.a > ALL (SELECT t.b FROM t WHERE t.c = 1)"
>>> print(quantified_comparisons_as_exists(parse_one(sql)).sql())
SELECT t.a FROM t WHERE NOT EXISTS(SELECT t_2.b FROM t AS t_2 WHERE t_2.c = 1 AND NOT (t.a > t_2.b) IS TRUE)
"""  # noqa: E501

from __future__ import annotations

from sqlglot import exp

from ibert_inference.translate.core import conjuncts, unique_name

_COMPARISONS = (exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NEQ, exp.EQ)


def _subquery_select(node: exp.Expression) -> exp.Select | None:
    query = node.this
    if isinstance(query, exp.Subquery):
        query = query.this
    if not isinstance(query, exp.Select) or len(query.expressions) != 1:
        return None
    if any(query.args.get(k) for k in ("group", "having", "limit", "qualify", "with_", "with")):
        return None
    if any(True for _ in query.find_all(exp.AggFunc, exp.Window)):
        return None
    return query


def _rename_aliases(inner: exp.Select, taken: set[str]) -> None:
    """Give the inner FROM items fresh aliases (and their columns with them)."""
    items = [inner.args["from_"].this] + [j.this for j in inner.args.get("joins") or []]
    for item in items:
        if not isinstance(item, exp.Table):
            continue
        old = item.alias_or_name
        new = unique_name(old, taken)
        taken.add(new)
        item.set("alias", exp.TableAlias(this=exp.to_identifier(new)))
        for column in inner.find_all(exp.Column):
            if column.table.lower() == old.lower():
                column.set("table", exp.to_identifier(new))


def _as_exists(predicate: exp.Expression, taken: set[str]) -> exp.Expression:
    quantified = predicate.expression if isinstance(predicate, _COMPARISONS) else None
    if not isinstance(quantified, exp.All | exp.Any):
        return predicate
    is_all = isinstance(quantified, exp.All)
    if isinstance(predicate, exp.EQ) and not is_all:
        return predicate  # = ANY is IN, which the translator keeps as isin
    inner = _subquery_select(quantified)
    if inner is None or inner.args.get("from_") is None:
        return predicate
    inner = inner.copy()
    _rename_aliases(inner, taken)
    projection = inner.expressions[0]
    value = projection.this if isinstance(projection, exp.Alias) else projection
    comparison = type(predicate)(this=predicate.this.copy(), expression=value.copy())
    test: exp.Expression = comparison
    if is_all:
        test = exp.Not(this=exp.Is(this=exp.Paren(this=comparison), expression=exp.true()))
    where = inner.args.get("where")
    inner.set("where", exp.Where(this=exp.and_(where.this, test) if where else test))
    inner.set("distinct", None)
    exists = exp.Exists(this=inner)
    return exp.Not(this=exists) if is_all else exists


def quantified_comparisons_as_exists(tree: exp.Expression) -> exp.Expression:
    """Rewrite ``op ALL`` / ``op ANY`` subquery comparisons of every WHERE clause in ``tree``."""
    taken = {t.alias_or_name.lower() for t in tree.find_all(exp.Table)}
    for where in list(tree.find_all(exp.Where)):
        if where.find(exp.All, exp.Any) is None:
            continue
        parts = [_as_exists(c, taken) for c in conjuncts(where.this)]
        where.set("this", exp.and_(*parts) if len(parts) > 1 else parts[0])
    return tree
