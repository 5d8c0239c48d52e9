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

RULES: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    order_by_all,
    distinct_on_as_qualify,
    expand_grouping_sets,
    correlated_in_as_exists,
)


def rewrite(tree: exp.Expression) -> exp.Expression:
    """Apply every rule of :data:`RULES` in order."""
    for rule in RULES:
        tree = rule(tree)
    return tree
