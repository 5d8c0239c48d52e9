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


def _needed(tree: exp.Expression) -> set[Callable[[exp.Expression], exp.Expression]]:
    """The rules with something to rewrite, found in one walk: most queries need none."""
    needed: set[Callable[[exp.Expression], exp.Expression]] = set()
    for node in tree.walk():
        if isinstance(node, exp.Ordered) and node.this.name.upper() == "ALL":
            needed.add(order_by_all)
        elif isinstance(node, exp.Distinct) and node.args.get("on") is not None:
            needed.add(distinct_on_as_qualify)
        elif isinstance(node, exp.Group) and any(
            node.args.get(k) for k in ("rollup", "cube", "grouping_sets")
        ):
            needed.add(expand_grouping_sets)
        elif isinstance(node, exp.In) and node.args.get("query") is not None:
            needed.add(correlated_in_as_exists)
        elif isinstance(node, exp.All | exp.Any):
            needed.add(quantified_comparisons_as_exists)
        elif isinstance(node, exp.Select) and node is not tree and node.args.get("limit"):
            needed.add(top_one_as_aggregate)
    return needed


def rewrite(tree: exp.Expression) -> exp.Expression:
    """Apply every rule of :data:`RULES` in order (in place: the tree is the caller's own)."""
    needed = _needed(tree)
    for rule in RULES:
        if rule in needed:
            tree = rule(tree)
    return tree
