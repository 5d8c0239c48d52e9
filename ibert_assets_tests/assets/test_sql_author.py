import pytest

from ibert_assets.mining.sql_author import SAMPLE_WEIGHT, sql_author


@pytest.mark.parametrize(
    ("sql", "path", "author"),
    [
        ('SELECT "t0"."a" FROM "orders" AS "t0" WHERE "t0"."b" > 1', "x.sql", "ibis"),
        ("SELECT t0.a FROM functional_alltypes AS t0", "docs/example.sql", "ibis"),
        ("SELECT a FROM orders", "ibis/backends/tests/snapshots/test_sql/out.sql", "ibis"),
        ("SELECT o.a FROM orders AS o JOIN t1 ON o.id = t1.id", "report.sql", "person"),
        ("SELECT total AS t1_total FROM sales", "notebook.ipynb", "person"),
    ],
)
def test_ibis_compiled_sql_is_told_from_hand_written(sql, path, author):
    assert sql_author(sql, path) == author


def test_hand_written_sql_weighs_more():
    assert SAMPLE_WEIGHT["person"] > SAMPLE_WEIGHT["ibis"]
