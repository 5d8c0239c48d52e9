"""The dataset checks as plain functions, on real pairs verified again on another seed."""

from ibert_assets.checks import reverify_check, schema_check, unique_ids_check
from ibert_assets_tests.conftest import make_record
from ibert_inference.dataset.record import Record

ORDERS = {"id": "int64", "amount": "float64", "status": "string"}


def pair(sql: str, ibis: str) -> Record:
    return make_record(
        "sql_to_ibis", {"sql": sql, "dialect": "duckdb"}, {"ibis": ibis}, tables={"orders": ORDERS}
    )


RIGHT = pair("SELECT id FROM orders WHERE amount > 10", "orders.filter(_.amount > 10).select('id')")
WRONG = pair("SELECT id FROM orders WHERE amount > 10", "orders.filter(_.amount > 11).select('id')")
EMPTY = pair(
    "SELECT id FROM orders WHERE id > 5 AND id < 3",
    "orders.filter((_.id > 5) & (_.id < 3)).select('id')",
)


def test_a_pair_that_disagrees_on_the_new_seed_fails_the_check():
    outcome = reverify_check([RIGHT, WRONG], seed=1000)
    assert not outcome.passed
    assert outcome.metadata["failed"] == 1 and WRONG.id in outcome.metadata["examples"][0]
    assert "1 of 2 pairs fail with seed 1000" in outcome.description


def test_a_pair_empty_on_every_new_database_is_shown_not_failed():
    outcome = reverify_check([RIGHT, EMPTY], seed=1000)
    assert outcome.passed
    assert outcome.metadata["vacuous"] == 1 and outcome.metadata["vacuous_examples"] == [EMPTY.id]
    assert "1 empty on every database" in outcome.description


def test_no_records_at_all_fails_where_records_are_required():
    assert not reverify_check([], seed=1000).passed
    assert reverify_check([], seed=1000, require_records=False).passed


def test_schema_and_id_checks_name_what_is_wrong():
    broken = {**RIGHT.to_dict(), "task": "not_a_task"}  # a stored line, as the check reads it
    outcome = schema_check([broken])
    assert not outcome.passed and "task" in outcome.metadata["examples"][0]
    repeated = unique_ids_check([RIGHT, RIGHT])
    assert not repeated.passed and repeated.metadata["repeated_ids"] == [RIGHT.id]


def test_an_sql_input_in_another_dialect_is_reverified_as_read_in_that_dialect():
    from ibert_assets.checks import verify_record

    sql = "SELECT id, CAST(amount AS DOUBLE PRECISION) AS a FROM orders WHERE name ILIKE 'a%'"
    record = make_record(
        "sql_to_ibis",
        {"sql": sql, "dialect": "postgres"},
        {
            "ibis": "result = orders.filter(_.name.ilike('a%'))"
            ".select('id', a=_.amount.cast('float64'))"
        },
        tables={"orders": {"id": "int64", "amount": "int64", "name": "string"}},
    )
    assert verify_record(record, seed=1000).ok


def test_a_partitions_check_result_says_which_partition_it_judged(tmp_path):
    """The UI lists a check's latest result beside another partition's: each names its own."""
    import dagster as dg

    from ibert_assets.checks import dataset_checks
    from ibert_assets.outcome import Outcome
    from ibert_assets.store import DatasetStore, JsonlIOManagerFactory

    letters = dg.StaticPartitionsDefinition(["clean", "rejecting"])

    @dg.asset(partitions_def=letters)
    def pairs(context: dg.AssetExecutionContext) -> Outcome:
        rejects = [{"status": "wrong", "reason": "x"}] * (context.partition_key == "rejecting")
        return Outcome([RIGHT], rejects=rejects * 3)

    checks = dataset_checks(pairs, letters, reverify=False, max_rejection_rate=0.2)
    store = DatasetStore(base_dir=str(tmp_path))
    resources = {"dataset_store": store, "io_manager": JsonlIOManagerFactory(store=store)}
    results = {}
    for partition in letters.get_partition_keys():
        run = dg.materialize([pairs, *checks], partition_key=partition, resources=resources)
        for evaluation in run.get_asset_check_evaluations():
            results[partition, evaluation.check_name] = evaluation
    clean, rejecting = results["clean", "rejection_rate"], results["rejecting", "rejection_rate"]
    assert clean.passed and clean.description.startswith("partition clean passed: ")
    assert not rejecting.passed
    assert rejecting.description.startswith("partition rejecting FAILED: rejection rate 75.0%")
    assert rejecting.metadata["partition"].value == "rejecting"
