import pytest

from ibert_assets.templates.augment import (
    Pair,
    change_literals,
    commute_operands,
    flip_comparison,
    rename_identifiers,
    subscript_columns,
    variants,
)
from ibert_inference.verify import verify_pair

JOIN = Pair(
    "SELECT c.name, SUM(o.amount) AS total FROM orders o JOIN customers c "
    "ON o.customer_id = c.id WHERE o.amount > 25 GROUP BY c.name",
    "j = orders.join(customers, orders.customer_id == customers.id)\n"
    "result = j.filter(_.amount > 25).group_by('name').agg(total=_.amount.sum())",
    {
        "orders": {"amount": "float64", "customer_id": "int64"},
        "customers": {"id": "int64", "name": "string"},
    },
)


@pytest.mark.parametrize(
    "operator",
    [rename_identifiers, change_literals, flip_comparison, commute_operands, subscript_columns],
)
def test_each_operator_makes_a_verified_variant(operator):
    variant = operator(JOIN, 3)
    assert variant is not None
    assert (variant.sql, variant.ibis) != (JOIN.sql, JOIN.ibis)
    verdict = verify_pair(variant.sql, variant.ibis, variant.schema)
    assert verdict.ok, (variant, verdict.reason)


def test_renames_are_consistent_across_schema_sql_and_ibis():
    variant = rename_identifiers(JOIN, 1)
    old = {"orders", "customers", "amount", "customer_id", "name"}
    new_names = set(variant.schema) | {c for cols in variant.schema.values() for c in cols}
    assert not old & new_names
    for name in new_names:
        assert name in variant.sql and name in variant.ibis


def test_operators_that_do_not_apply_return_none():
    plain = Pair("SELECT a FROM t", "result = t.select('a')", {"t": {"a": "int64"}})
    assert flip_comparison(plain, 0) is None
    assert change_literals(plain, 0) is None
    assert commute_operands(plain, 0) is None


def test_variants_include_renamed_copies_of_each_variant():
    produced = list(variants(JOIN, seed=2, renames=1))
    operators = {v.operator for v in produced}
    assert {"rename", "flip_comparison", "flip_comparison+rename"} <= operators
    assert len(produced) >= 3 * 2
