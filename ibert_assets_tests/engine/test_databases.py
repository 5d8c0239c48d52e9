import datetime as dt
import hashlib

import duckdb
import pytest

from ibert_inference.errors import SchemaError
from ibert_inference.verify.boundary_values import Pattern
from ibert_inference.verify.databases import (
    DrawnTables,
    GeneratedDatabase,
    QueryLiterals,
    larger_databases,
    query_literals,
    random_databases,
)

EVERY_DTYPE = {
    "t": {
        "i8": "int8",
        "i64": "int64",
        "u32": "uint32",
        "f32": "float32",
        "f64": "float64",
        "dec": "decimal(12, 3)",
        "s": "string",
        "b": "boolean",
        "d": "date",
        "ts": "timestamp",
        "tm": "time",
        "arr": "array<string>",
        "st": "struct<x: int64, y: string>",
        "m": "map<string, int64>",
    }
}


def rows(db, sql):
    return db.connection.execute(sql).fetchall()


def test_every_dtype_generates_and_round_trips():
    dbs = random_databases(EVERY_DTYPE, seed=5)
    assert [db.name for db in dbs] == ["random-0", "random-1", "random-2", "empty", "nulls"]
    (described,) = [rows(dbs[0], "DESCRIBE t")]
    types = {name: kind for name, kind, *_ in described}
    assert types["dec"] == "DECIMAL(12,3)" and types["arr"] == "VARCHAR[]"
    assert types["st"].startswith("STRUCT") and types["m"].startswith("MAP")
    assert rows(dbs[0], "SELECT count(*) FROM t")[0][0] >= 12


def test_empty_and_null_heavy_databases():
    dbs = {db.name: db for db in random_databases(EVERY_DTYPE, seed=5)}
    assert rows(dbs["empty"], "SELECT count(*) FROM t") == [(0,)]
    total, nulls = rows(dbs["nulls"], "SELECT count(*), count(*) FILTER (WHERE s IS NULL) FROM t")[
        0
    ]
    assert nulls > total / 2


def test_same_seed_same_data_other_seed_other_data():
    first = rows(random_databases(EVERY_DTYPE, seed=1)[0], "SELECT i64, s, d FROM t")
    again = rows(random_databases(dict(EVERY_DTYPE), seed=1)[0], "SELECT i64, s, d FROM t")
    other = rows(random_databases(EVERY_DTYPE, seed=2)[0], "SELECT i64, s, d FROM t")
    assert first == again and first != other


def test_literals_make_filters_bite_both_ways():
    sql = "SELECT * FROM t WHERE s = 'zebra' AND i64 > 1000 AND d > DATE '2030-05-01'"
    literals = query_literals(sql)
    assert literals.by_column["d"] == (dt.date(2030, 5, 1),)
    counts = [
        rows(
            db,
            "SELECT count(*) FILTER (WHERE s = 'zebra'), count(*) FILTER (WHERE i64 > 1000), "
            "count(*) FILTER (WHERE i64 <= 1000), count(*) FILTER (WHERE d > DATE '2030-05-01') "
            "FROM t",
        )[0]
        for db in random_databases(EVERY_DTYPE, seed=3, literals=literals)[:3]
    ]
    # across the random databases every filter selects some rows and leaves others
    assert all(sum(column) > 0 for column in zip(*counts, strict=True))


def test_like_patterns_plant_matching_strings():
    literals = query_literals("SELECT * FROM t WHERE s LIKE 'Ze%' OR s ILIKE '%q_z'")
    assert set(literals.by_column["s"]) == {Pattern("Ze%", "like"), Pattern("%q_z", "like")}
    assert isinstance(literals, QueryLiterals)
    (db,) = random_databases(EVERY_DTYPE, seed=0, literals=literals)[:1]
    strings = {row[0] for row in rows(db, "SELECT s FROM t")}
    assert {"Ze", "ze", "qaz", "QAZ"} <= strings


def test_key_columns_share_a_small_range_so_joins_match():
    schema = {"a": {"id": "int64"}, "b": {"a_id": "int64"}}
    db = random_databases(schema, seed=0)[0]
    assert rows(db, "SELECT count(*) FROM a JOIN b ON a.id = b.a_id")[0][0] > 0


def test_unsupported_dtypes_are_named():
    with pytest.raises(SchemaError, match="'span'"):
        random_databases({"t": {"span": "interval('s')"}})


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/passwd')",
        "COPY t TO '/tmp/ibert-leak.csv'",
        "SET enable_external_access = true",
        "ATTACH '/tmp/ibert-other.duckdb' AS other",
    ],
)
def test_sql_from_outside_cannot_touch_files_or_settings(sql: str):
    import duckdb

    db = random_databases(EVERY_DTYPE, seed=5)[0]
    with pytest.raises(duckdb.Error):
        db.connection.execute(sql)
    assert rows(db, "SELECT count(*) > 0 FROM t") == [(True,)]


def test_a_query_gets_the_tables_it_names_and_the_same_rows_as_with_every_table():
    schema = {"orders": {"id": "int64"}, "customers": {"order_id": "int64", "s": "string"}}
    (lazy,) = larger_databases(schema, seed=4, count=1)
    (eager,) = larger_databases(schema, seed=4, count=1)  # the same rows, generated again
    assert set(lazy.unregistered) == {"orders", "customers"}
    named = lazy.execute("SELECT * FROM Customers ORDER BY ALL").fetchall()
    assert set(lazy.unregistered) == {"orders"}  # only what the query names reached DuckDB
    assert named == eager.connection.execute("SELECT * FROM customers ORDER BY ALL").fetchall()
    assert not eager.unregistered


def test_a_table_named_in_another_spelling_is_still_found():
    (db,) = larger_databases({'we"ird': {"x": "int64"}, "other": {"y": "int64"}}, count=1)
    # the text holds we""ird, not the name we"ird: every table is registered, and it runs
    assert db.execute('SELECT count(*) FROM "we""ird"').fetchone()[0] == db.row_counts['we"ird']
    assert not db.unregistered
    with pytest.raises(duckdb.CatalogException):
        db.execute("SELECT * FROM nowhere")


def test_databases_of_one_set_are_separate():
    empty, nulls = random_databases(EVERY_DTYPE, seed=6)[-2:]
    assert rows(empty, "SELECT count(*) FROM t") == [(0,)]
    assert rows(nulls, "SELECT count(*) FROM t")[0][0] > 0


def test_evicted_databases_release_their_memory():
    import gc

    from ibert_inference.verify.databases import _instance

    schema = {"t": {"a": "int64"}}
    for seed in range(40):  # more sets than the cache holds
        random_databases(schema, seed=1000 + seed)
    gc.collect()
    (attached,) = _instance().root.execute("SELECT count(*) FROM duckdb_databases()").fetchone()
    assert attached <= 16 * 5 + 3  # the cached sets, plus DuckDB's own system catalogs


def test_a_literal_compared_with_an_alias_is_still_planted():
    # Ibis compiles HAVING SUM(a) > 5000 as WHERE "total" > 5000 over a subquery: "total" is no
    # column, and the literal must still reach the integer columns
    found = query_literals('SELECT * FROM (SELECT SUM(a) AS total FROM t) WHERE "total" > 5000')
    assert found.by_column == {"total": (5000,)}
    dbs = random_databases({"t": {"a": "int64"}}, seed=3, literals=found)
    values = {
        row[0] for db in dbs[:3] for row in db.connection.execute("SELECT a FROM t").fetchall()
    }
    assert values & {4999, 5000, 5001}


# --- adversarial values: what near misses need to disagree on --------------------------------


def column_values(dbs, sql):
    return {row[0] for db in dbs for row in db.connection.execute(sql).fetchall()}


def test_every_boundary_value_of_a_literal_is_in_the_first_random_database():
    literals = query_literals(
        "SELECT * FROM t WHERE i64 > 100 AND s = 'bob' AND d >= DATE '2024-05-15'"
    )
    (db,) = random_databases(EVERY_DTYPE, seed=4, literals=literals)[:1]
    assert {100, 99, 101, 0, -100} <= column_values([db], "SELECT i64 FROM t")
    assert {"bob", "Bob", "BOB", " bob", "bob ", ""} <= column_values([db], "SELECT s FROM t")
    dates = column_values([db], "SELECT d FROM t")
    assert {dt.date(2024, 5, 14), dt.date(2024, 5, 31), dt.date(2024, 6, 1)} <= dates
    assert {dt.date(2024, 5, 12), dt.date(2024, 5, 13), dt.date(2024, 2, 29)} <= dates


def test_a_regex_pattern_gets_strings_with_several_matches():
    literals = query_literals(r"SELECT regexp_replace(s, '\s+', ' ') FROM t")
    (db,) = random_databases(EVERY_DTYPE, seed=4, literals=literals)[:1]
    counts = {
        row[0]
        for row in db.connection.execute(
            r"SELECT len(regexp_extract_all(s, '\s+')) FROM t"
        ).fetchall()
    }
    assert {2, 3} <= counts


def test_every_group_holds_several_rows_with_different_values():
    literals = query_literals("SELECT s, SUM(f64) FROM t GROUP BY s")
    for db in random_databases(EVERY_DTYPE, seed=4, literals=literals)[:1]:
        groups = db.connection.execute(
            "SELECT s, count(*), count(DISTINCT f64) FROM t GROUP BY s"
        ).fetchall()
        assert all(rows >= 2 for _, rows, _ in groups)
        assert sum(distinct >= 2 for _, _, distinct in groups) >= len(groups) // 2


def test_nulls_in_every_column_of_two_databases_and_none_in_the_third():
    columns = list(EVERY_DTYPE["t"])
    counts = ", ".join(f"count(*) - count({c})" for c in columns)
    nulls = [rows(db, f"SELECT {counts} FROM t")[0] for db in random_databases(EVERY_DTYPE)[:3]]
    assert all(missing > 0 for missing in nulls[0]) and all(missing > 0 for missing in nulls[1])
    assert all(missing == 0 for missing in nulls[2])


def test_a_duplicate_row_makes_distinct_matter():
    for db in random_databases({"t": {"a": "float64", "b": "string"}}, seed=9)[:3]:
        total, distinct = rows(
            db, "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT * FROM t)) FROM t"
        )[0]
        assert distinct < total


def test_a_literal_compared_with_an_expression_is_planted_in_its_column():
    found = query_literals("SELECT * FROM t WHERE lower(s) = 'bob' AND abs(i64) > 7")
    assert found.by_column["s"] == ("bob",) and found.by_column["i64"] == (7,)
    assert 7 in found.loose  # and kept loose for the other columns of its type


def test_columns_of_one_type_are_set_apart_by_the_query_numbers():
    schema = {"t": {"lo": "int64", "hi": "int64"}}
    found = query_literals("SELECT * FROM t WHERE hi - lo >= -50")
    differences = column_values(
        random_databases(schema, seed=2, literals=found)[:1], "SELECT hi - lo FROM t"
    )
    assert {0, 1, -50} <= differences


def test_a_null_tested_column_is_null_in_half_the_rows_so_a_null_row_can_win():
    schema = {"t": {"id": "int64", "delay": "int64"}}
    found = query_literals("SELECT id FROM t WHERE id IS NOT NULL ORDER BY delay DESC LIMIT 1")
    assert found.null_tested == ("id",)
    top_ids = [
        rows(db, "SELECT id FROM t ORDER BY delay DESC NULLS LAST, id NULLS FIRST LIMIT 1")[0][0]
        for seed in range(6)
        for db in random_databases(schema, seed=seed, literals=found)[:2]
    ]
    assert None in top_ids  # a dropped "id IS NOT NULL" changes the top row somewhere


def test_the_third_database_keeps_single_row_groups():
    # HAVING COUNT(*) > 1 and >= 1 differ only where some group has a single row
    literals = query_literals("SELECT s, COUNT(*) FROM t GROUP BY s HAVING COUNT(*) > 1")
    third = random_databases({"t": {"s": "string", "v": "int64"}}, seed=4, literals=literals)[2]
    sizes = [n for (n,) in rows(third, "SELECT count(*) FROM t GROUP BY s")]
    assert 1 in sizes


def test_columns_set_apart_stay_within_their_type():
    # a loose 0.0001 cannot move a DECIMAL(10, 2), nor 1e6 an int8 column: no such value is made
    schema = {"t": {"a": "decimal(10, 2)", "b": "decimal(10, 2)", "i": "int8", "j": "int8"}}
    found = query_literals("SELECT * FROM t WHERE a * 0.0001 > b AND i + 1000000 > j")
    for db in random_databases(schema, seed=1, literals=found)[:3]:
        assert rows(db, "SELECT count(*) FROM t")[0][0] > 0


def test_a_table_that_failed_to_load_is_loaded_again_not_forgotten():
    # databases are cached per schema: a load that failed once (a transient error) must not
    # leave the cached database without the table for every later pair of that schema
    attempts = []

    def flaky(cursor, name):
        attempts.append(name)
        if len(attempts) == 1:
            raise duckdb.InvalidInputException("a load that fails once")
        cursor.execute(f"CREATE TEMP TABLE {name} AS SELECT 1 AS a")

    database = GeneratedDatabase(name="flaky", cursor=duckdb.connect(), unregistered={"t": flaky})
    with pytest.raises(duckdb.InvalidInputException):
        database.execute("SELECT a FROM t")
    assert database.execute("SELECT a FROM t").fetchall() == [(1,)]
    assert attempts == ["t", "t"]


def test_the_rows_a_pair_is_verified_on_stay_those_drawn_with_every_table_at_once():
    # a verdict rests on these rows: drawing tables only as far as a query reads must not change
    # them. The digest was taken when every table of a database was drawn as it was built;
    # the tables are read last to first, so that each is drawn before the ones ahead of it
    schema = {
        **EVERY_DTYPE,
        "orders": {"id": "int64", "amount": "decimal(10, 2)", "status": "string"},
        "customers": {"id": "int64", "city": "string"},
    }
    literals = query_literals(
        "SELECT * FROM customers c JOIN orders o ON o.id = c.id "
        "WHERE o.amount > 25 AND c.city = 'Paris' AND o.status LIKE 'p%'"
    )
    digest = hashlib.sha256()
    databases = [
        *random_databases(schema, seed=3, literals=literals),
        *larger_databases(schema, seed=3, literals=literals),
    ]
    for database in databases:
        for table in reversed(list(schema)):
            rows = database.execute(f'SELECT * FROM "{table}"').fetchall()
            digest.update(repr((database.name, table, rows)).encode())
    assert digest.hexdigest() == "da2ebdb718ccbc145bb0aa207f289cab28b66a019cef03d118dc15d925d0cb1a"


def test_tables_are_drawn_in_schema_order_and_no_further_than_asked():
    drawn = []

    def draw(dtypes):
        drawn.append(list(dtypes))
        return [dict.fromkeys(dtypes, len(drawn))]

    tables = DrawnTables({"a": {"x": "int64"}, "b": {"y": "int64"}, "c": {"z": "int64"}}, draw)
    assert tables.rows("b") == [{"y": 2}]  # after a, from the same stream
    assert tables.rows("a") == [{"x": 1}]
    assert drawn == [["x"], ["y"]]  # c, after the last table read, is never drawn
    with pytest.raises(KeyError):
        tables.rows("nowhere")


def test_a_query_reading_the_first_table_leaves_the_others_undrawn():
    schema = {"orders": {"id": "int64"}, "customers": {"id": "int64"}}
    (database,) = larger_databases(schema, count=1)
    database.execute("SELECT count(*) FROM orders").fetchall()
    assert database.tables is not None
    assert database.tables.drawn() == ["orders"]
    assert database.row_counts["customers"] >= 200  # drawn when asked for
    assert database.tables.drawn() == ["orders", "customers"]
