"""Each semantic mutation operator, pinned with a pair whose mutant the verifier must reject."""

from __future__ import annotations

import pytest

from ibert_inference.verify.pair import verify_pair
from ibert_inference.verify.semantic_mutations import OPERATOR_NAMES, mutants

SCHEMA = {
    "orders": {
        "id": "int64",
        "customer_id": "int64",
        "amount": "float64",
        "status": "string",
        "note": "string",
    },
    "customers": {"id": "int64", "name": "string"},
}
FILTERED = ("SELECT id FROM orders WHERE amount > 100 AND status = 'paid'",
            "orders.filter((_.amount > 100) & (_.status == 'paid')).select('id')")  # fmt: skip
COUNTED = ("SELECT status, COUNT(customer_id) AS n FROM orders GROUP BY status",
           "orders.group_by('status').agg(n=_.customer_id.count())")  # fmt: skip

PINNED = {
    "comparison_flip": FILTERED,
    "and_or_swap": FILTERED,
    "conjunct_dropped": FILTERED,
    "literal_plus_one": FILTERED,
    "join_kind": (
        "SELECT o.id, c.name FROM orders o JOIN customers c ON o.customer_id = c.id",
        "orders.join(customers, orders.customer_id == customers.id).select('id', 'name')",
    ),
    "distinct_dropped": (
        "SELECT DISTINCT status FROM orders",
        "orders.select('status').distinct()",
    ),
    "aggregate_swap": (
        "SELECT status, SUM(amount) AS s, MIN(amount) AS lo FROM orders GROUP BY status",
        "orders.group_by('status').agg(s=_.amount.sum(), lo=_.amount.min())",
    ),
    "count_nunique": COUNTED,
    "count_rows_not_values": COUNTED,
    "limit_changed": (
        "SELECT id FROM orders ORDER BY id LIMIT 3",
        "orders.order_by('id').limit(3).select('id')",
    ),
    "sort_direction": (
        "SELECT id, amount FROM orders ORDER BY amount DESC",
        "orders.order_by(_.amount.desc()).select('id', 'amount')",
    ),
    "nulls_first": (
        "SELECT id, amount FROM orders ORDER BY amount DESC NULLS LAST",
        "orders.order_by(_.amount.desc()).select('id', 'amount')",
    ),
    "window_partition": (
        "SELECT id, SUM(amount) OVER (PARTITION BY status) AS s FROM orders",
        "orders.select('id', s=_.amount.sum().over(group_by='status'))",
    ),
    "window_frame": (
        "SELECT id, amount, SUM(amount) OVER (ORDER BY id, amount "
        "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM orders",
        "orders.select('id', 'amount', s=_.amount.sum().over(order_by=['id', 'amount'], "
        "rows=(-1, 0)))",
    ),
    "string_case": (
        "SELECT id FROM orders WHERE LOWER(status) = 'paid'",
        "orders.filter(_.status.lower() == 'paid').select('id')",
    ),
    "pattern_semantics": (
        "SELECT id FROM orders WHERE status LIKE '%ai%'",
        "orders.filter(_.status.like('%ai%')).select('id')",
    ),
    "first_not_all": (
        r"SELECT id, regexp_replace(note, '\s+', ' ', 'g') AS n FROM orders",
        r"orders.select('id', n=_.note.re_replace(r'\s+', ' '))",
    ),
    "position_base": (
        "SELECT id, SUBSTRING(status, 2, 3) AS s FROM orders",
        "orders.select('id', s=_.status.substr(1, 3))",
    ),
    "division": (
        "SELECT id, customer_id / 2 AS half FROM orders",
        "orders.select('id', half=_.customer_id / 2)",
    ),
    "sample_population": (
        "SELECT status, STDDEV_SAMP(amount) AS sd FROM orders GROUP BY status",
        "orders.group_by('status').agg(sd=_.amount.std())",
    ),
    "coalesce_dropped": (
        "SELECT id, COALESCE(note, 'none') AS n FROM orders",
        "orders.select('id', n=_.note.fill_null('none'))",
    ),
    "null_check_flip": (
        "SELECT id FROM orders WHERE note IS NULL",
        "orders.filter(_.note.isnull()).select('id')",
    ),
}


def test_every_operator_is_pinned():
    assert set(PINNED) == set(OPERATOR_NAMES) and len(OPERATOR_NAMES) >= 15


@pytest.mark.parametrize("operator", sorted(PINNED))
def test_the_verifier_kills_every_mutant_of_the_pinned_pair(operator: str):
    sql, code = PINNED[operator]
    assert verify_pair(sql, code, SCHEMA).ok, "the original pair must verify"
    produced = [mutant for name, mutant in mutants(code, [operator])]
    assert produced, f"{operator} found no site in {code!r}"
    for mutant in produced:
        verdict = verify_pair(sql, mutant, SCHEMA)
        assert not verdict.ok, f"{operator} mutant verified: {mutant}"
        assert verdict.status in ("mismatch", "ibis_error"), verdict


def test_mutants_change_one_site_at_a_time():
    code = "t.filter((_.a > 1) & (_.b < 2))"
    flipped = [m for _, m in mutants(code, ["comparison_flip"])]
    assert flipped == ["t.filter((_.a >= 1) & (_.b < 2))", "t.filter((_.a > 1) & (_.b <= 2))"]


def test_an_operator_without_a_site_yields_nothing():
    assert mutants("t.select('a')", ["division", "window_frame"]) == []
