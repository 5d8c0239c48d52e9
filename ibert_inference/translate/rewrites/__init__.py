"""SQL -> SQL rewrites run on the qualified tree before translation, as sqlglot's optimizer runs
its rules: each module holds one transformation and exports one function of the same name.

>>> from sqlglot import parse_one
>>> rewrite(parse_one("SELECT a FROM t ORDER BY ALL", read="duckdb")).sql("duckdb")
'SELECT a FROM t ORDER BY a'
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from ibert_inference.translate.rewrites.correlated_in_as_exists import correlated_in_as_exists
from ibert_inference.translate.rewrites.distinct_on_as_qualify import distinct_on_as_qualify
from ibert_inference.translate.rewrites.expand_grouping_sets import expand_grouping_sets
from ibert_inference.translate.rewrites.order_by_all import order_by_all
from ibert_inference.translate.rewrites.quantified_comparisons_as_exists import (
    quantified_comparisons_as_exists,
)
from ibert_inference.translate.rewrites.top_one_as_aggregate import top_one_as_aggregate

RULES: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    order_by_all,
    distinct_on_as_qualify,
    expand_grouping_sets,
    correlated_in_as_exists,
    quantified_comparisons_as_exists,
    top_one_as_aggregate,
)


def _applies(rule: Callable[[exp.Expression], exp.Expression], tree: exp.Expression) -> bool:
    """A cheap look for what ``rule`` rewrites: most queries need no rewrite at all."""
    if rule is order_by_all:
        return any(o.this.name.upper() == "ALL" for o in tree.find_all(exp.Ordered))
    if rule is distinct_on_as_qualify:
        return any(d.args.get("on") is not None for d in tree.find_all(exp.Distinct))
    if rule is expand_grouping_sets:
        keys = ("rollup", "cube", "grouping_sets")
        return any(any(g.args.get(k) for k in keys) for g in tree.find_all(exp.Group))
    if rule is top_one_as_aggregate:
        return any(s.args.get("limit") for s in tree.find_all(exp.Select) if s is not tree)
    if rule is quantified_comparisons_as_exists:
        return tree.find(exp.All, exp.Any) is not None
    return True


def rewrite(tree: exp.Expression) -> exp.Expression:
    """Apply every rule of :data:`RULES` in order (in place: the tree is the caller's own)."""
    for rule in RULES:
        if _applies(rule, tree):
            tree = rule(tree)
    return tree
