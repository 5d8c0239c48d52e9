import pytest

from ibert_inference.verify.pair import verify_expr, verify_pair

SHOP = {
    "orders": {
        "id": "int64",
        "customer_id": "int64",
        "amount": "decimal(10, 2)",
        "status": "string",
        "discount": "float64",
        "ordered_on": "date",
    },
    "customers": {"id": "int64", "name": "string", "city": "string"},
}


@pytest.mark.parametrize(
    ("sql", "ibis"),
    [
        (
            "SELECT status, COUNT(*) AS n, AVG(amount) AS avg_amount FROM orders GROUP BY status",
            "orders.group_by('status').agg(n=_.count(), avg_amount=_.amount.mean())",
        ),
        (
            "SELECT SUM(discount) AS total FROM orders WHERE status = 'paid'",
            "orders.filter(_.status == 'paid').agg(total=_.discount.sum())",
        ),
        (
            "SELECT c.name, o.amount FROM orders o JOIN customers c ON o.customer_id = c.id",
            "orders.join(customers, orders.customer_id == customers.id)"
            ".select(customers.name, orders.amount)",
        ),
        (
            "SELECT id, amount, ROW_NUMBER() OVER (PARTITION BY status ORDER BY amount, id) AS rn "
            "FROM orders",
            "orders.select('id', 'amount', rn=ibis.row_number().over("
            "group_by='status', order_by=['amount', 'id']) + 1)",
        ),
        (
            "SELECT status, amount FROM orders ORDER BY status",  # ties inside each status
            "orders.select('status', 'amount').order_by('status')",
        ),
        (
            "SELECT id FROM orders WHERE ordered_on > DATE '2024-03-01'",
            "orders.filter(_.ordered_on > ibis.date('2024-03-01')).select('id')",
        ),
    ],
)
def test_equivalent_pairs_verify(sql: str, ibis: str):
    verdict = verify_pair(sql, ibis, SHOP)
    assert verdict.ok, verdict.reason
    assert verdict.databases == 5


@pytest.mark.parametrize(
    ("label", "sql", "ibis", "status"),
    [
        (
            "wrong filter boundary",
            "SELECT id FROM orders WHERE amount >= 100",
            "orders.filter(_.amount > 100).select('id')",
            "mismatch",
        ),
        (
            "wrong join type",
            "SELECT c.name, o.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id",
            "customers.join(orders, orders.customer_id == customers.id).select('name', 'id')",
            "mismatch",
        ),
        (
            "missing DISTINCT",
            "SELECT DISTINCT status FROM orders",
            "orders.select('status')",
            "mismatch",
        ),
        (
            "wrong NULL handling",
            "SELECT id FROM orders WHERE status <> 'paid' OR status IS NULL",
            "orders.filter(_.status != 'paid').select('id')",
            "mismatch",
        ),
        (
            "order-dependent difference",
            "SELECT id FROM orders ORDER BY id DESC LIMIT 3",
            "orders.order_by('id').limit(3).select('id')",
            "mismatch",
        ),
        (
            "vacuous pair",
            "SELECT id FROM orders WHERE 1 = 0",
            "orders.filter(ibis.literal(False)).select('id')",
            "vacuous",
        ),
        ("broken SQL", "SELECT nope FROM orders", "orders.select('id')", "sql_error"),
        ("broken Ibis", "SELECT id FROM orders", "orders.select('nope')", "ibis_error"),
        ("hostile Ibis", "SELECT id FROM orders", "__import__('os')", "unsafe"),
    ],
)
def test_pairs_that_must_fail(label: str, sql: str, ibis: str, status: str):
    verdict = verify_pair(sql, ibis, SHOP)
    assert not verdict.ok, label
    assert verdict.status == status, verdict.reason
    assert verdict.reason


def test_decimal_average_keeps_its_scale_and_still_verifies():
    # Ibis keeps the DECIMAL scale of AVG where DuckDB returns a double
    verdict = verify_pair(
        "SELECT AVG(amount) AS a FROM orders", "orders.agg(a=_.amount.mean())", SHOP, seed=4
    )
    assert verdict.ok, verdict.reason


def test_limit_with_ties_at_the_cut_is_not_a_false_failure():
    verdict = verify_pair(
        "SELECT status FROM orders ORDER BY status LIMIT 4",
        "orders.select('status').order_by('status').limit(4)",
        SHOP,
    )
    assert verdict.ok, verdict.reason
    assert verdict.order_checked


def test_other_dialects_are_transpiled_before_running():
    verdict = verify_pair(
        "SELECT id::TEXT AS id FROM orders WHERE status ILIKE 'p%' ORDER BY 1 LIMIT 3",
        "orders.filter(_.status.ilike('p%')).order_by('id').limit(3)"
        ".select(id=_.id.cast('string'))",
        SHOP,
        dialect="postgres",
    )
    assert verdict.ok, verdict.reason


def test_dialect_null_ordering_is_part_of_the_meaning():
    # T-SQL sorts NULLs first, Ibis last: the transpiled SQL keeps T-SQL's meaning
    verdict = verify_pair(
        "SELECT TOP 3 customer_id FROM orders ORDER BY customer_id",
        "orders.order_by('customer_id').limit(3).select('customer_id')",
        SHOP,
        dialect="tsql",
    )
    assert verdict.status == "mismatch"


def test_verify_expr_takes_a_built_expression():
    import ibis

    orders = ibis.table(SHOP["orders"], name="orders")
    verdict = verify_expr("SELECT COUNT(*) AS n FROM orders", orders.agg(n=orders.count()), SHOP)
    assert verdict.ok and verdict.compiled_sql and "COUNT" in verdict.compiled_sql.upper()


def test_another_seed_is_another_check():
    sql, code = "SELECT id FROM orders WHERE discount > 20", "orders.filter(_.discount > 20)['id']"
    assert verify_pair(sql, code, SHOP, seed=1).ok
    assert verify_pair(sql, code, SHOP, seed=2).seed == 2


@pytest.mark.parametrize(
    "sql",
    ["SELECT id FROM orders; DROP TABLE orders", "DELETE FROM orders", "USE system", "DETACH x"],
)
def test_only_single_queries_run_on_the_shared_databases(sql: str):
    verdict = verify_pair(sql, "orders.select('id')", SHOP)
    assert verdict.status == "sql_error" and "single query" in (verdict.reason or "")
    assert verify_pair("SELECT id FROM orders", "orders.select('id')", SHOP).ok


def test_a_query_too_selective_for_small_tables_verifies_on_larger_ones():
    # tables of at most 30 rows never hold more than 40 orders; tables of 200-300 rows do
    sql = "SELECT COUNT(*) AS n FROM orders HAVING COUNT(*) > 40"
    ibis = "orders.agg(n=_.count()).filter(_.n > 40)"
    verdict = verify_pair(sql, ibis, SHOP)
    assert verdict.ok, verdict.reason
    assert verdict.databases == 7
    wrong = verify_pair(sql, "orders.agg(n=_.count() + 1).filter(_.n > 41)", SHOP)
    assert wrong.status == "mismatch" and "larger-" in (wrong.reason or "")


def test_an_impossible_filter_is_vacuous_after_the_larger_databases_too():
    verdict = verify_pair(
        "SELECT id FROM orders WHERE id > 5 AND id < 3",
        "orders.filter((_.id > 5) & (_.id < 3)).select('id')",
        SHOP,
    )
    assert verdict.status == "vacuous" and verdict.databases == 7


def test_sql_nested_too_deeply_to_parse_is_a_verdict_not_a_crash():
    # what a small model can write when it runs away: the parser recurses once per NOT
    verdict = verify_pair("SELECT id FROM orders WHERE " + "NOT " * 3000 + "TRUE", "orders", SHOP)
    assert verdict.status == "sql_error" and "nested too deeply" in (verdict.reason or "")


# --- near misses the generated databases must tell apart (each differs on a two-row database) ---

NEAR_MISS_SCHEMA = {"t": {"id": "int64", "s": "string"}}


@pytest.mark.parametrize(
    ("sql", "right", "wrong"),
    [
        pytest.param(
            r"SELECT id, regexp_replace(s, '\s+', ' ') AS r FROM t",
            r"t.select('id', r=_.s.re_replace(r'^(.*?)\s+', r'\1 '))",
            r"t.select('id', r=_.s.re_replace(r'\s+', ' '))",
            id="regexp_replace replaces the first match, re_replace all",
        ),
        pytest.param(
            "SELECT id FROM t WHERE s LIKE '%ab%'",
            "t.filter(_.s.like('%ab%')).select('id')",
            "t.filter(_.s.ilike('%ab%')).select('id')",
            id="LIKE is case-sensitive, ilike is not",
        ),
        pytest.param(
            "SELECT id FROM t WHERE LOWER(s) = 'bob'",
            "t.filter(_.s.lower() == 'bob').select('id')",
            "t.filter(_.s == 'bob').select('id')",
            id="LOWER(s) = 'bob' also matches 'Bob'",
        ),
    ],
)
def test_near_misses_are_rejected_and_the_right_answers_verified(sql, right, wrong):
    assert verify_pair(sql, right, NEAR_MISS_SCHEMA).ok
    verdict = verify_pair(sql, wrong, NEAR_MISS_SCHEMA)
    assert verdict.status == "mismatch", verdict


def test_a_verified_verdict_says_how_many_rows_were_compared():
    verdict = verify_pair("SELECT id FROM t", "t.select('id')", NEAR_MISS_SCHEMA)
    assert verdict.ok and verdict.rows_compared > verdict.databases


def test_outputs_the_sql_leaves_unnamed_are_compared_by_position_and_value():
    """``COUNT(*)`` is ``count_star()`` in DuckDB and ``count`` in Postgres: an answer may name
    such an output as it likes, but its values and every name the SQL gives still count."""
    sql = "SELECT status, COUNT(*), SUM(discount) AS total FROM orders GROUP BY status"
    right = "orders.group_by('status').agg(count_star=_.count(), total=_.discount.sum())"
    assert verify_pair(sql, right, SHOP).status == "verified"
    wrong_value = right.replace("_.count()", "_.discount.count()")
    assert verify_pair(sql, wrong_value, SHOP).status == "mismatch"
    wrong_name = right.replace("total=", "sum_discount=")
    verdict = verify_pair(sql, wrong_name, SHOP)
    assert verdict.status == "mismatch" and "named" in verdict.reason


def test_a_table_that_cannot_be_generated_is_the_schema_problem_not_a_failing_query():
    # a literal at the end of a date's range leaves no neighbour above it to plant
    verdict = verify_pair(
        "SELECT d FROM t WHERE d > DATE '9999-12-31'",
        "t.filter(_.d > ibis.date('9999-12-31')).select('d')",
        {"t": {"d": "date"}, "u": {"n": "int64"}},
    )
    assert verdict.status == "sql_error"
    assert verdict.reason is not None and verdict.reason.startswith("cannot generate databases")
