import pytest

from ibert_inference.schema.infer_sql import SchemaInferenceError, infer_schema


def test_types_come_from_how_columns_are_used():
    schema = infer_schema(
        "SELECT name, UPPER(city) FROM users "
        "WHERE age >= 18 AND active AND signup > DATE '2024-01-01' AND score > 1.5"
    )
    assert schema == {
        "users": {
            "active": "boolean",
            "age": "int64",
            "city": "string",
            "name": "string",
            "score": "float64",
            "signup": "date",
        }
    }


def test_aliases_ctes_and_correlated_subqueries_resolve_to_base_tables():
    schema = infer_schema(
        """
        WITH big AS (SELECT o.customer_id, o.total FROM orders AS o WHERE o.total > 100)
        SELECT c.name, b.total FROM customers c JOIN big b ON c.id = b.customer_id
        WHERE EXISTS (SELECT 1 FROM returns r WHERE r.customer_id = c.id)
        """
    )
    assert set(schema) == {"orders", "customers", "returns"}
    assert schema["orders"] == {"customer_id": "int64", "total": "int64"}
    assert set(schema["customers"]) == {"id", "name"}


def test_projection_aliases_are_not_columns():
    schema = infer_schema("SELECT a, COUNT(*) AS n FROM t GROUP BY a ORDER BY n DESC")
    assert schema == {"t": {"a": "string"}}


@pytest.mark.parametrize(
    "sql",
    ["SELECT 1", "SELECT a FROM t JOIN u ON t.id = u.id", "SELECT * FROM t"],
)
def test_queries_that_say_too_little_are_refused(sql: str):
    with pytest.raises(SchemaInferenceError):
        infer_schema(sql)


@pytest.mark.parametrize(
    ("sql", "column", "outer"),
    [
        # the wrong pair of issue 17: customer_id was placed in customers, not in orders
        (
            "SELECT o.id FROM orders o WHERE EXISTS "
            "(SELECT 1 FROM customers c WHERE c.id = customer_id)",
            "customer_id",
            "orders",
        ),
        (
            "SELECT id FROM orders WHERE amount > "
            "(SELECT AVG(r.amount) FROM refunds r WHERE r.order_id = id)",
            "id",
            "orders",
        ),
        ("SELECT a FROM t1 WHERE b IN (SELECT b FROM t2 WHERE a > 1)", "a", "t1"),
    ],
)
def test_an_unqualified_column_that_may_be_the_outer_querys_is_refused(sql, column, outer):
    with pytest.raises(SchemaInferenceError) as caught:
        infer_schema(sql)
    assert f"column {column!r} is unqualified in a subquery" in str(caught.value)
    assert f"enclosing query's {outer!r}" in str(caught.value)


def test_a_correlated_subquerys_qualified_outer_column_belongs_to_the_outer_table():
    schema = infer_schema(
        "SELECT o.id FROM orders o WHERE EXISTS "
        "(SELECT 1 FROM customers c WHERE c.id = o.customer_id AND c.vip)"
    )
    assert schema == {
        "customers": {"id": "int64", "vip": "boolean"},
        "orders": {"customer_id": "int64", "id": "int64"},
    }


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT a FROM t1 WHERE b IN (SELECT b FROM t2 WHERE c > 1)",
        "SELECT e.name FROM employees e WHERE e.salary > "
        "(SELECT AVG(salary) FROM employees WHERE dept = e.dept)",
    ],
)
def test_subqueries_whose_columns_are_their_own_are_still_inferred(sql):
    assert infer_schema(sql)
