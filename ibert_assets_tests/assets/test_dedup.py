from ibert_assets.splits.dedup import deduplicate, exact_overlap, shingles


def record(rid: str, sql: str, ibis: str = "result = t", task: str = "sql_to_ibis") -> dict:
    return {"id": rid, "task": task, "input": {"sql": sql}, "target": {"ibis": ibis}}


LONG_SQL = (
    "SELECT customer_id, SUM(amount) AS total, COUNT(*) AS n FROM orders WHERE status = 'paid' "
    "AND amount > 100 AND region IN ('north', 'south', 'east') GROUP BY customer_id "
    "HAVING COUNT(*) > 2 ORDER BY total DESC LIMIT 10"
)


def test_exact_duplicates_are_dropped_whitespace_and_case_aside():
    result = deduplicate([record("a", "SELECT a FROM t"), record("b", "select  a\nFROM t")])
    assert [r["id"] for r in result.records] == ["a"]
    assert result.counts["exact_duplicates"] == 1


def test_near_duplicates_share_a_cluster_and_distinct_records_do_not():
    near = LONG_SQL.replace("LIMIT 10", "LIMIT 11")
    other = "SELECT name FROM employees WHERE salary BETWEEN 10 AND 20 ORDER BY name"
    result = deduplicate([record("a", LONG_SQL), record("b", near), record("c", other)])
    assert len(result.records) == 3
    assert result.cluster_of["a"] == result.cluster_of["b"]
    assert result.cluster_of["c"] != result.cluster_of["a"]


def test_threshold_is_configurable():
    near = LONG_SQL.replace("LIMIT 10", "LIMIT 11")
    strict = deduplicate([record("a", LONG_SQL), record("b", near)], threshold=0.99)
    assert strict.cluster_of["a"] != strict.cluster_of["b"]


def test_shingles_of_short_text():
    assert shingles("a b") == {"a b"}
    assert len(shingles("a b c d e f g", size=5)) == 3


def test_exact_overlap_finds_shared_inputs():
    assert exact_overlap([record("a", "SELECT 1")], [record("b", "select 1", ibis="x")])
    assert not exact_overlap([record("a", "SELECT 1")], [record("b", "SELECT 2")])
