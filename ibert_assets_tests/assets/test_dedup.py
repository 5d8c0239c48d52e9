from ibert_assets.splits.dedup import deduplicate, normalized_input, shingles
from ibert_assets_tests.conftest import make_record
from ibert_inference.dataset.record import Record


def record(sql: str, ibis: str = "result = t", task: str = "sql_to_ibis", **meta) -> Record:
    return make_record(task, {"sql": sql}, {"ibis": ibis}, **meta)


LONG_SQL = (
    "SELECT customer_id, SUM(amount) AS total, COUNT(*) AS n FROM orders WHERE status = 'paid' "
    "AND amount > 100 AND region IN ('north', 'south', 'east') GROUP BY customer_id "
    "HAVING COUNT(*) > 2 ORDER BY total DESC LIMIT 10"
)


def test_exact_duplicates_are_dropped_whitespace_and_case_aside():
    a, b = record("SELECT a FROM t"), record("select  a\nFROM t")
    result = deduplicate([a, b])
    assert [r.id for r in result.records] == [min(a.id, b.id)]  # records are taken by id
    assert result.counts["exact_duplicates"] == 1


def test_near_duplicates_share_a_cluster_and_distinct_records_do_not():
    near = LONG_SQL.replace("LIMIT 10", "LIMIT 11")
    other = "SELECT name FROM employees WHERE salary BETWEEN 10 AND 20 ORDER BY name"
    a, b, c = record(LONG_SQL), record(near), record(other)
    result = deduplicate([a, b, c])
    assert len(result.records) == 3
    assert result.cluster_of[a.id] == result.cluster_of[b.id]
    assert result.cluster_of[c.id] != result.cluster_of[a.id]


def test_threshold_is_configurable():
    a, b = record(LONG_SQL), record(LONG_SQL.replace("LIMIT 10", "LIMIT 11"))
    strict = deduplicate([a, b], threshold=0.99)
    assert strict.cluster_of[a.id] != strict.cluster_of[b.id]


def test_shingles_of_short_text():
    assert shingles("a b") == {"a b"}
    assert len(shingles("a b c d e f g", size=5)) == 3


def test_an_input_is_the_same_whatever_its_case_and_target():
    assert normalized_input(record("SELECT 1")) == normalized_input(record("select 1", ibis="x"))
    assert normalized_input(record("SELECT 1")) != normalized_input(record("SELECT 2"))
