import sqlglot

from ibert_inference.verify.generated_sql import (
    NOW,
    fixed_now,
    fixed_now_sql,
    for_generated_databases,
)

SCHEMA = {"sessions": {"id": "int64"}, "stg_orders": {"id": "int64"}}


def test_qualified_names_of_schema_tables_become_bare_names_in_every_dialect():
    cases = [
        ("SELECT id FROM `proj.analytics.sessions`", "bigquery"),
        ('SELECT id FROM "memory"."main"."stg_orders"', "duckdb"),
        ('SELECT s.id FROM DB.SCHEMA."SESSIONS" AS s', "snowflake"),
    ]
    for sql, dialect in cases:
        tree = for_generated_databases(sqlglot.parse_one(sql, read=dialect), SCHEMA)
        (table,) = tree.find_all(sqlglot.exp.Table)
        assert not table.args.get("db") and not table.args.get("catalog"), sql


def test_tables_outside_the_schema_keep_their_qualifiers():
    tree = sqlglot.parse_one("SELECT 1 FROM other.place")
    assert for_generated_databases(tree, SCHEMA) is tree


def test_every_spelling_of_now_is_one_fixed_instant():
    sql = "SELECT NOW(), CURRENT_TIMESTAMP, CURRENT_DATE, GETDATE(), SYSDATE() FROM t"
    fixed = fixed_now(sqlglot.parse_one(sql, read="snowflake")).sql("duckdb")
    assert fixed.count(NOW.isoformat(sep=" ")) == 4
    assert fixed.count(f"'{NOW.date().isoformat()}'") == 1


def test_the_compiled_ibis_gets_the_same_instant():
    compiled = 'SELECT * FROM "t" WHERE "t"."ts" > CURRENT_TIMESTAMP - INTERVAL 7 DAY'
    assert "CAST('2023-12-25 12:00:00' AS TIMESTAMP)" in fixed_now_sql(compiled)
    assert fixed_now_sql('SELECT "a" FROM "t"') == 'SELECT "a" FROM "t"'


def test_countif_keeps_its_zero_where_duckdbs_count_if_is_null():
    tree = sqlglot.parse_one("SELECT COUNTIF(x > 1) AS n FROM t", read="bigquery")
    sql = for_generated_databases(tree, SCHEMA).sql("duckdb")
    assert sql == "SELECT COUNT(CASE WHEN x > 1 THEN 1 END) AS n FROM t"
