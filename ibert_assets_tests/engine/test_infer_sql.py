import pytest

from ibert_inference.schema.infer_sql import (
    SchemaInferenceError,
    infer_schema,
    infer_schema_with_notes,
)


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
    ["SELECT 1", "SELECT 1 FROM (SELECT 2 AS x)"],
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


# --- issue 27: the minimal reproductions of real dbt models ---------------------------------


def test_columns_used_through_a_select_star_import_cte_belong_to_its_base_table():
    schema = infer_schema(
        "with o as (select * from orders) select id, count(*) as n from o group by 1"
    )
    assert schema == {"orders": {"id": "int64"}}


def test_columns_through_ctes_derived_tables_and_unions_reach_their_base_tables():
    schema = infer_schema(
        """
        with orders as (select * from raw_orders),
             payments as (select order_id, amount from raw_payments where status = 'ok'),
             both_ as (select order_id from payments union all select id from orders)
        select o.id, p.amount, d.total
        from orders o
        join payments p on p.order_id = o.id
        join (select customer_id, sum(amount) as total from orders group by 1) d
          on d.customer_id = o.customer_id
        where o.id in (select order_id from both_)
        """
    )
    assert schema == {
        "raw_orders": {"amount": "float64", "customer_id": "int64", "id": "int64"},
        "raw_payments": {"amount": "float64", "order_id": "int64", "status": "string"},
    }


def test_an_unqualified_column_goes_to_the_only_source_that_can_hold_it():
    schema = infer_schema(
        """
        with a as (select id, region from t1), b as (select id as b_id, score from t2)
        select region, score from a join b on a.id = b.b_id where score > 1.5
        """
    )
    assert schema == {
        "t1": {"id": "int64", "region": "string"},
        "t2": {"id": "int64", "score": "float64"},
    }


def test_a_truly_ambiguous_column_gets_one_valid_assignment_said_in_the_notes():
    inferred = infer_schema_with_notes("SELECT a FROM t JOIN u ON t.id = u.id")
    assert inferred.tables == {"t": {"a": "string", "id": "int64"}, "u": {"id": "int64"}}
    assert inferred.notes == ("column 'a' could belong to any of 't', 'u'; assigned to 't'",)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "select user_id as server_id, coalesce(a, b) as user_id from t",
            {"a", "b", "user_id"},
        ),
        (
            "select d as d, x from t qualify row_number() over (partition by x order by d) = 1",
            {"d", "x"},
        ),
    ],
)
def test_an_output_alias_never_hides_a_source_column(sql, expected):
    assert set(infer_schema(sql, dialect="snowflake")["t"]) == expected


def test_types_from_usage_keep_the_query_well_typed():
    schema = infer_schema(
        """
        select o.id, coalesce(o.created, c.updated_at) as seen, c.code
        from orders o join customers c on o.customer_ref = c.code
        where c.code like 'A%' and o.received_at > current_timestamp - interval '1 day'
          and o.placed_on >= current_date
        """
    )
    assert schema["orders"]["customer_ref"] == schema["customers"]["code"] == "string"
    assert schema["orders"]["created"] == schema["customers"]["updated_at"] == "timestamp"
    assert schema["orders"]["received_at"] == "timestamp"
    assert schema["orders"]["placed_on"] == "date"


def test_qualified_table_names_in_every_dialect_name_the_table():
    assert infer_schema("select s.id from `proj.analytics.sessions` s", "bigquery") == {
        "sessions": {"id": "int64"}
    }
    assert infer_schema('select id from "memory"."main"."stg_orders"') == {
        "stg_orders": {"id": "int64"}
    }


def test_issue_25_two_ctes_over_one_table_need_no_qualification():
    schema = infer_schema(
        """
        WITH monthly AS (
            SELECT date_trunc('month', created_at) AS month, SUM(amount) AS revenue
            FROM orders GROUP BY 1
        ), ranked AS (
            SELECT month, revenue, RANK() OVER (ORDER BY revenue DESC) AS r FROM monthly
        )
        SELECT month, revenue FROM ranked WHERE r <= 3
        """,
        dialect="postgres",
    )
    assert schema == {"orders": {"amount": "float64", "created_at": "timestamp"}}


@pytest.mark.parametrize(
    "sql",
    ["SELECT * FROM t", "WITH o AS (SELECT * FROM t) SELECT * FROM o UNION ALL SELECT * FROM t"],
)
def test_a_table_read_only_whole_gets_one_stand_in_column_said_in_the_notes(sql):
    inferred = infer_schema_with_notes(sql)
    assert inferred.tables == {"t": {"unknown_columns": "string"}}
    assert inferred.notes == (
        "table 't' is read only through *: its columns are unknown; one stand-in column "
        "'unknown_columns' stands for them",
    )


def test_a_lateral_alias_is_the_alias_where_the_dialect_has_them():
    sql = (
        "select k, min(x) as lo, max(x) as hi, "
        "case when lo = hi then hi end as only_value from t group by k"
    )
    assert infer_schema(sql, dialect="snowflake") == {"t": {"k": "string", "x": "string"}}
    # Postgres has no lateral aliases: lo and hi there are columns of t
    assert set(infer_schema(sql, dialect="postgres")["t"]) == {"hi", "k", "lo", "x"}


def test_types_flow_through_min_max_and_coalesce_of_a_cte():
    schema = infer_schema(
        """
        with first_seen as (select user_id, min(activity_date) as first_day from events group by 1),
             counts as (select user_id, n from stats)
        select d.date_day, coalesce(c.n, 0) as n
        from days d
        join first_seen f on d.date_day >= f.first_day
        left join counts c on c.user_id = f.user_id
        where d.date_day > date '2024-01-01'
        """
    )
    assert schema["events"]["activity_date"] == schema["days"]["date_day"] == "date"
    assert schema["stats"]["n"] == "int64"
