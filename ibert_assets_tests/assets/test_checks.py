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


def _stored_and_checked(
    tmp_path, lines: list[str], only: str | None = None, **options
) -> tuple[dict, set[str]]:
    """The check evaluations of ``dataset_checks(**options)`` over a stored partition holding
    ``lines`` (of the check ``only`` where one is named), by name, and the steps that judged
    them."""
    import dagster as dg

    from ibert_assets.checks import dataset_checks
    from ibert_assets.quality_checks import QUALITY_JUDGEMENTS
    from ibert_assets.resources import default_resources
    from ibert_assets.settings import Settings
    from ibert_assets.store import partition_path, write_atomic

    letters = dg.StaticPartitionsDefinition(["a"])

    @dg.asset(name="pairs", partitions_def=letters)
    def stored() -> dg.MaterializeResult:
        return dg.MaterializeResult()  # the partition is already on disk

    write_atomic(partition_path(str(tmp_path), "pairs", "a"), "".join(f"{x}\n" for x in lines))
    checks = dataset_checks(
        stored, letters, rejection_rate=False, also=QUALITY_JUDGEMENTS, **options
    )
    selection = (
        dg.AssetSelection.assets(stored).without_checks()
        | dg.AssetSelection.checks(dg.AssetCheckKey(stored.key, only))
        if only
        else None
    )
    run = dg.materialize(
        [stored, *checks],
        selection=selection,
        partition_key="a",
        resources=default_resources(Settings(data_dir=str(tmp_path))),
        raise_on_error=False,
    )
    steps = {e.step_key for e in run.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    return {e.check_name: e for e in run.get_asset_check_evaluations()}, steps


def test_the_records_are_judged_in_one_step_and_a_wrong_pair_still_fails(tmp_path):
    found, steps = _stored_and_checked(tmp_path, [RIGHT.to_json(), WRONG.to_json()])
    assert set(found) == {
        "records_match_schema", "ids_unique", "reverified_on_fresh_seed",
        "one_target_per_input", "schemas_match_roles",
    }  # fmt: skip
    assert len(steps) == 1
    reverified = found["reverified_on_fresh_seed"]
    assert not reverified.passed and WRONG.id in reverified.metadata["examples"].value[0]
    assert reverified.description.startswith("partition a FAILED: 1 of 2 pairs fail")
    # the sql_to_ibis input has two targets: the quality check in the same step says so
    assert not found["one_target_per_input"].passed
    assert found["records_match_schema"].passed and found["ids_unique"].passed


def test_a_line_that_is_no_record_fails_the_record_checks_and_the_schema_names_the_field(tmp_path):
    import json

    broken = json.dumps({**RIGHT.to_dict(), "task": "not_a_task"})
    found, _ = _stored_and_checked(tmp_path, [RIGHT.to_json(), broken], reverify=False)
    schema = found["records_match_schema"]
    assert not schema.passed and "task" in schema.metadata["examples"].value[0]
    for name in ("ids_unique", "one_target_per_input", "schemas_match_roles"):
        assert not found[name].passed
        assert (
            "no valid record" in found[name].description and "record 2" in found[name].description
        )


def test_one_check_of_the_shared_step_runs_alone_when_it_alone_is_selected(tmp_path):
    found, steps = _stored_and_checked(
        tmp_path, [RIGHT.to_json(), WRONG.to_json()], only="ids_unique"
    )
    assert set(found) == {"ids_unique"} and found["ids_unique"].passed and len(steps) == 1
