from ibert_assets.quality import inputs_with_several_targets
from ibert_assets.tasks.canonical import canonical_style, one_target_per_input
from ibert_assets.tasks.sql_to_ibis import sql_to_ibis_records
from ibert_assets_tests.conftest import make_record
from ibert_inference.dataset.record import Record
from ibert_inference.verify.pair import verify_pair

SCHEMA = {"orders": {"amount": "float64", "status": "string", "count": "int64"}}
SQL = "SELECT status, SUM(amount) AS total FROM orders WHERE amount > 10 GROUP BY status"


def record(sql: str, code: str, source: str) -> Record:
    return make_record(
        "sql_to_ibis",
        {"sql": sql, "dialect": "duckdb"},
        {"ibis": code},
        tables=SCHEMA,
        source=source,
        group=f"g:{source}",
    )


def test_subscripts_become_attributes_only_where_the_meaning_is_the_same():
    code = "result = orders.filter(_['amount'] > 10).select(orders['status'], _['count'])"
    styled = canonical_style(code)
    assert styled == "result = orders.filter(_.amount > 10).select(orders.status, _['count'])"
    assert verify_pair("SELECT status, count FROM orders WHERE amount > 10", styled, SCHEMA).ok


def test_a_column_the_safe_evaluator_would_refuse_as_an_attribute_stays_a_subscript():
    # found by a default build: a synthetic `format` column restyled to `_.format`, which the
    # fresh-seed re-verification refused as unsafe
    schema = {"sale": {"format": "string", "pages": "int64"}}
    code = "result = sale.filter(_['format'] != 'paperback', _['pages'] > 100)"
    styled = canonical_style(code)
    assert styled == "result = sale.filter(_['format'] != 'paperback', _.pages > 100)"
    sql = "SELECT * FROM sale WHERE format <> 'paperback' AND pages > 100"
    assert verify_pair(sql, styled, schema).ok


def test_the_template_target_wins_and_the_rival_is_counted():
    template = record(
        SQL,
        "result = orders.filter(_.amount > 10).group_by('status').agg(total=_.amount.sum())",
        "template",
    )
    mined = record(
        SQL,
        "result = orders.filter(10 < _.amount).group_by('status').agg(total=_.amount.sum())",
        "mined",
    )
    kept, dropped = one_target_per_input([mined, template])
    assert [r.meta.source for r in kept] == ["template"] and dropped == 1


def test_sql_to_ibis_records_never_hold_an_input_with_two_targets():
    base = "result = orders.filter(_.amount > 10).group_by('status').agg(total=_.amount.sum())"
    records = [
        record(SQL, base, "mined"),
        record(SQL, base.replace("_.amount > 10", "_['amount'] > 10"), "augmented"),
        record(SQL, base.replace("_.amount > 10", "10 < _.amount"), "augmented"),
        record(SQL.replace("10", "20"), base.replace("10", "20"), "template"),
    ]
    assert inputs_with_several_targets(records)
    build = sql_to_ibis_records(records)
    assert inputs_with_several_targets(build.records) == {}
    assert len(build.records) == 2
    # the restyled subscript spelling is the mined target again; only the commuted one is a rival
    assert build.counts["restyled"] == 1 and build.counts["dropped_second_target"] == 1
