import pytest

from ibert_assets.quality import (
    inputs_with_several_targets,
    role_contradictions,
    role_of,
    sql_shape,
    sql_shapes,
    task_figures,
)


def test_shapes_ignore_names_literals_qualifiers_layout_and_dialect():
    one = sql_shape("SELECT o.id FROM orders AS o WHERE o.amount > 10 AND o.city = 'Oslo'")
    assert one == sql_shape("select ID\nfrom Items where Price > 7 and Name = 'x'")
    assert one == sql_shape('SELECT "id" FROM "t" WHERE "a" > 1 AND "b" = \'y\'', "postgres")


@pytest.mark.parametrize(
    "other",
    [
        "SELECT id FROM t WHERE a < 10 AND b = 'x'",  # another operator
        "SELECT id FROM t WHERE a > 10 OR b = 'x'",  # another connective
        "SELECT id FROM t JOIN u ON t.k = u.k WHERE a > 10 AND b = 'x'",  # a join
        "SELECT COUNT(*) AS n FROM t WHERE a > 10 AND b = 'x'",  # an aggregate
    ],
)
def test_shapes_tell_structures_apart(other):
    assert sql_shape(other) != sql_shape("SELECT id FROM t WHERE a > 10 AND b = 'x'")


def test_unparseable_sql_has_no_shape():
    assert sql_shape("SELECT FROM WHERE (") is None


def test_many_shapes_are_parsed_in_other_processes_as_one_would_be_here(
    monkeypatch: pytest.MonkeyPatch,
):
    from concurrent.futures import ProcessPoolExecutor

    from ibert_assets import quality

    found = [(f"SELECT a FROM t WHERE b > {n} AND c = 'x{n}'", "duckdb") for n in range(4)]
    found += [("SELECT FROM WHERE (", "duckdb"), ('SELECT "a" FROM "t" LIMIT 3', "postgres")]
    here = {key: quality._parsed_shape(*key) for key in found}
    pools: list[ProcessPoolExecutor] = []

    class CountedPool(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            pools.append(self)

    monkeypatch.setattr(quality, "ProcessPoolExecutor", CountedPool)
    monkeypatch.setattr(quality, "SPREAD_FROM", 2)
    monkeypatch.setattr(quality, "_SHAPES", {})
    assert sql_shapes([*found, *found]) == here
    assert len(pools) == 1 and here[("SELECT FROM WHERE (", "duckdb")] is None
    assert sql_shapes(found[:3]) == {key: here[key] for key in found[:3]}
    assert len(pools) == 1  # remembered: not parsed again


def record(task, input_, target, source="template"):
    from ibert_assets_tests.conftest import make_record

    return make_record(task, input_, target, source=source)


def test_figures_count_inputs_shapes_ambiguity_and_sources():
    records = [
        record("sql_to_ibis", {"sql": "SELECT a FROM t WHERE a > 1"}, {"ibis": "x"}),
        record("sql_to_ibis", {"sql": "SELECT a FROM t WHERE a > 1"}, {"ibis": "y"}, "mined"),
        record("sql_to_ibis", {"sql": "SELECT b FROM u WHERE b > 7"}, {"ibis": "z"}, "mined"),
        record("sql_to_ibis", {"sql": "SELECT b FROM u WHERE b < 7"}, {"ibis": "w"}),
        record("qa", {"question": "q"}, {"answer": "a"}, "docs"),
    ]
    figures = task_figures(records)
    sql = figures["sql_to_ibis"]
    assert (sql.records, sql.distinct_inputs, sql.distinct_shapes) == (4, 3, 2)
    assert sql.inputs_with_several_targets == 1
    assert sql.share_per_source == {"mined": 0.5, "template": 0.5}
    assert figures["qa"].distinct_shapes == 0
    assert len(inputs_with_several_targets(records)) == 1


@pytest.mark.parametrize(
    ("schema", "found"),
    [
        ({"t": {"quantity": "date"}}, ["t.quantity: date (a measure column)"]),
        ({"t": {"price": "boolean"}}, ["t.price: boolean (a measure column)"]),
        ({"t": {"customer_id": "boolean"}}, ["t.customer_id: boolean (a key column)"]),
        ({"t": {"is_open": "string"}}, ["t.is_open: string (a flag column)"]),
        ({"t": {"created_at": "float64"}}, ["t.created_at: float64 (a time column)"]),
        ({"t": {"quantity": "int64", "price": "decimal(10, 2)", "paid": "boolean"}}, []),
        ({"t": {"id": "int64", "signup_date": "date", "engine_on": "boolean"}}, []),
    ],
)
def test_role_contradictions(schema, found):
    assert role_contradictions(schema) == found


def test_roles_come_from_whole_name_parts():
    assert role_of("paid") is None and role_of("order_id") == "key" and role_of("id") == "key"


def test_two_mined_spellings_of_one_sql_input_are_one_input():
    first = record(
        "sql_to_ibis", {"sql": "SELECT a FROM t", "original_sql": "select a from t"}, {"ibis": "x"}
    )
    second = record(
        "sql_to_ibis", {"sql": "SELECT a FROM t", "original_sql": "SELECT a\nFROM t"}, {"ibis": "y"}
    )
    assert len(inputs_with_several_targets([first, second])) == 1


def test_source_figures_count_inputs_shapes_schema_structures_and_levels():
    from ibert_assets.quality import source_figures
    from ibert_assets_tests.conftest import make_record

    same_structure = [
        make_record(input={"sql": f"SELECT a FROM t WHERE a > {n}"}, source="synthetic",
                    tables={name: {"a": "int64"}}, difficulty="complex")
        for n, name in ((1, "t"), (2, "u"))
    ]  # fmt: skip
    other = make_record(
        input={"sql": "SELECT a, COUNT(*) AS n FROM t GROUP BY a"}, source="synthetic",
        tables={"t": {"a": "string"}}, difficulty="simple",
    )  # fmt: skip
    template = make_record(source="template")
    figures = source_figures([*same_structure, other, template])
    synthetic = figures["synthetic"]
    assert (synthetic.records, synthetic.distinct_inputs) == (3, 3)
    assert (synthetic.distinct_shapes, synthetic.distinct_schemas) == (2, 2)
    assert synthetic.levels == {"complex": 2, "simple": 1}
    assert figures["template"].records == 1
