"""The query generator: deterministic, valid DuckDB SQL, meaningful by construction, at four
complexity levels, each with a question that names what the query does and nothing else."""

import re
from collections import Counter

import pytest
import sqlglot
from sqlglot import exp

from ibert_assets.quality import sql_shape
from ibert_assets.synthetic.queries import (
    LEVELS,
    NEW_TABLES_BONUS,
    Query,
    generate_queries,
    novelty,
    rough_shape,
    words,
)
from ibert_assets.synthetic.worlds import NUMERIC_ROLES, generate_world, iter_worlds
from ibert_inference.verify.databases import random_databases

WORLDS = 40
PER_WORLD = 15


@pytest.fixture(scope="module")
def generated():
    return [(w, generate_queries(w, PER_WORLD, seed=0)) for w in iter_worlds(WORLDS)]


def test_the_same_world_and_seed_give_the_same_queries_byte_for_byte():
    world = generate_world("world-0007")
    first = generate_queries(world, 30, seed=3)
    again = generate_queries(generate_world("world-0007"), 30, seed=3)
    assert [(q.sql, q.question, q.level) for q in first] == [
        (q.sql, q.question, q.level) for q in again
    ]
    assert [q.sql for q in generate_queries(world, 30, seed=4)] != [q.sql for q in first]


def test_every_query_parses_and_runs_on_duckdb(generated):
    for world, queries in generated:
        database = random_databases(world.schema(), seed=0, count=1)[0].connection
        for query in queries:
            sqlglot.parse_one(query.sql, read="duckdb")
            database.execute(query.sql).fetchall()


def test_the_levels_are_mixed_with_a_quarter_complex_or_more(generated):
    levels = Counter(q.level for _, queries in generated for q in queries)
    assert set(levels) == set(LEVELS)
    hard = levels["complex"] + levels["highly complex"]
    assert hard >= 0.25 * sum(levels.values()), levels


def test_every_construct_family_is_generated(generated):
    constructs = {c for _, queries in generated for q in queries for c in q.constructs}
    for wanted in (
        "join_inner", "join_left", "semi_join", "anti_join", "filter_in", "filter_between",
        "filter_like", "filter_null", "filter_date_range", "group_by", "having",
        "window_rank", "window_running", "window_lag", "window_framed", "cte",
        "scalar_subquery", "correlated_subquery", "exists", "set_union", "set_intersect",
        "set_except", "case", "function", "order_limit", "order_by", "window_partition",
    ):  # fmt: skip
        assert wanted in constructs


def _columns(world):
    return {c.name: c for t in world.tables for c in t.columns}


def test_sums_and_averages_are_over_measures_never_keys(generated):
    for world, queries in generated:
        columns = _columns(world)
        for query in queries:
            for node in sqlglot.parse_one(query.sql, read="duckdb").find_all(exp.Sum, exp.Avg):
                (column,) = list(node.find_all(exp.Column))
                assert columns[column.name].role in NUMERIC_ROLES, query.sql


def test_joins_follow_foreign_keys(generated):
    for world, queries in generated:
        keys = {frozenset((r.column, r.parent_column)) for r in world.relationships}
        for query in queries:
            for join in sqlglot.parse_one(query.sql, read="duckdb").find_all(exp.Join):
                on = join.args.get("on")
                if on is None:
                    continue
                left, right = on.left, on.right
                if left.name in ("parent_key",) or right.name in ("parent_key",):
                    continue  # the CTE's own name for the key it grouped by
                assert frozenset((left.name, right.name)) in keys, query.sql


def test_dates_are_compared_with_dates(generated):
    for world, queries in generated:
        columns = _columns(world)
        for query in queries:
            tree = sqlglot.parse_one(query.sql, read="duckdb")
            for node in tree.find_all(exp.GTE, exp.LT, exp.GT, exp.EQ):
                column, other = node.left, node.right
                if not isinstance(column, exp.Column) or column.name not in columns:
                    continue
                if columns[column.name].role in ("date", "timestamp"):
                    assert not isinstance(other, exp.Literal), query.sql


def _said(phrase: str, question: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", question) is not None


def test_the_question_names_every_filter_grouping_aggregate_and_ordering(generated):
    for _, queries in generated:
        for query in queries:
            for mention in query.mentions:
                assert _said(mention.strip("'"), query.question), (mention, query.question)


def test_the_question_names_no_column_the_query_does_not_use(generated):
    for world, queries in generated:
        for query in queries:
            used = " | ".join(query.mentions)
            nouns = " | ".join(words(t) for t in world.tables)
            for table in world.tables:
                for column in table.columns:
                    said = words(column)
                    if said in used or said in nouns or column.role in ("key", "foreign_key"):
                        continue  # the same words are named for another reason
                    assert not _said(said, query.question), (said, query.question)


def test_a_query_records_exactly_the_tables_it_reads():
    for world in iter_worlds(30):
        names = {t.name for t in world.tables}
        for query in generate_queries(world, 20):
            read = {t.name for t in sqlglot.parse_one(query.sql, read="duckdb").find_all(exp.Table)}
            assert set(query.tables) == read & names, query.sql


def test_no_query_compares_with_a_negative_number_or_words_it_awkwardly(generated):
    from ibert_assets.templates.coherence import awkward_wording, negative_comparisons

    for _, queries in generated:
        for query in queries:
            assert negative_comparisons(query.sql) == [], query.sql
            assert awkward_wording(query.question) == [], query.question
    # the checks themselves see what they are meant to
    assert negative_comparisons("SELECT a FROM t WHERE t.quantity > -5") != []
    assert awkward_wording("with quantity at least or above 5") != []


def test_a_world_writes_no_sql_shape_twice(generated):
    for _, queries in generated:
        shapes = [sql_shape(q.sql) for q in queries]
        assert len(set(shapes)) == len(shapes)


def test_worlds_write_few_shapes_another_world_wrote(generated):
    # short shapes (one column, one filter) are the ones every world writes: long ones are
    # preferred, and the worlds together repeat few shapes (the generator without the choice
    # of the longer shape repeated about a third)
    shapes = [sql_shape(q.sql) for _, queries in generated for q in queries]
    assert len(set(shapes)) >= 0.85 * len(shapes)


def test_the_rough_shape_tells_queries_apart_as_the_exact_one_does(generated):
    exact: dict[str, set[str | None]] = {}
    for _, queries in generated:
        for query in queries:
            exact.setdefault(rough_shape(query.sql), set()).add(sql_shape(query.sql))
    assert all(len(shapes) == 1 for shapes in exact.values())


def _query(sql: str, tables: tuple[str, ...]) -> Query:
    return Query(sql, (), "simple", "", (), tables)


def test_novelty_prefers_tables_not_read_yet_then_the_longer_shape():
    short = _query("SELECT a.x FROM t AS a", ("t",))
    longer = _query("SELECT a.x, a.y FROM t AS a WHERE a.z > 5 ORDER BY a.x LIMIT 3", ("t",))
    assert novelty(longer, set()) > novelty(short, set())
    # a query over tables no earlier query read wins over a somewhat longer one
    assert novelty(short, set()) > novelty(longer, {("t",)})
    assert novelty(short, set()) - novelty(short, {("t",)}) == NEW_TABLES_BONUS


def test_a_column_gets_one_condition_of_a_query_at_most():
    # a date said by its event ("listed before ...") and by its words ("date listed is
    # missing") is still one column: two conditions on it were empty by construction
    import random

    from ibert_assets.synthetic.queries import _Writer
    from ibert_assets.synthetic.worlds import Column, Table, World

    listed = Column("listed_on", "listed_on", "date", "date", nullable=True)
    table = Table(
        "listing", "listing", "fact", (Column("id", "listing_id", "key", "int64"), listed)
    )
    world = World("world-test", 0, "real_estate", "star", "snake", (table,))
    writer = _Writer(world, random.Random(0))
    for _ in range(200):
        where, _phrase = writer.filters(table, "l", 4)
        missing = "IS NULL" in where or "IS NOT NULL" in where
        assert not (missing and "DATE" in where), where
        assert where.count("DATE '") <= 2, where


def test_no_query_names_two_output_columns_alike(generated):
    # two outputs of one name cannot both be columns of an Ibis table (a parent's `amount`
    # beside the CTE's `amount` in world-0007 was a mismatch)
    queries = [q for _, found in generated for q in found]
    queries += generate_queries(generate_world("world-0007"), 24)
    for query in queries:
        selects = sqlglot.parse_one(query.sql, read="duckdb").selects
        names = [s.alias_or_name.lower() for s in selects]
        assert len(names) == len(set(names)), query.sql


def test_a_bound_stays_within_what_the_column_plausibly_holds():
    # "tenure years between 100 and 200", "a rating above 50": round numbers of the role,
    # not of the column; an upper bound at the largest value would be no filter at all
    import random

    from ibert_assets.synthetic.queries import _Writer
    from ibert_assets.synthetic.vocabularies import plausible_range
    from ibert_assets.synthetic.worlds import Column, World

    bounded = [
        Column("rating", "rating", "measure", "float64"),
        Column("occupancy_pct", "occupancy_pct", "measure", "float64"),
        Column("tenure_years", "tenure_years", "measure", "float64"),
        Column("bedrooms", "bedrooms", "count", "int32"),
        Column("gpa", "gpa", "measure", "float64"),
        Column("floor_area_m2", "floor_area_m2", "measure", "float64"),
        Column("credit_score", "credit_score", "measure", "int16"),
    ]
    writer = _Writer(World("world-test", 0, "hr", "star", "snake", ()), random.Random(0))
    seen = set()
    for column in bounded * 100:
        bounds = plausible_range(column.words)
        assert bounds is not None
        clause = writer.condition(column, f"t.{column.name}")
        assert clause is not None
        numbers = [int(n) for n in re.findall(r"\b\d+\b", clause.sql)]
        assert numbers and bounds[0] < min(numbers) and max(numbers) < bounds[1], clause.sql
        if "BETWEEN" in clause.sql:
            assert numbers[0] < numbers[1], clause.sql
        seen.add(clause.construct)
    assert {"filter", "filter_between"} <= seen


def test_the_plausible_ranges_name_words_of_the_vocabularies():
    from ibert_assets.synthetic.vocabularies import _RANGES, VOCABULARIES

    numeric = {w for v in VOCABULARIES.values() for w in (*v.measures, *v.counts)}
    assert set(_RANGES) - numeric == set()
    assert all(smallest < largest - 1 for smallest, largest in _RANGES.values())
