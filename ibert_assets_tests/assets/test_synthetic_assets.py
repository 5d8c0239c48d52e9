"""``synthetic_examples``: one world materialized through Dagster with its checks, stored as
verified pairs that flow into the tasks like template pairs."""

from pathlib import Path

import dagster as dg
import pytest
import sqlglot
from sqlglot import exp

from ibert_assets.resources import default_resources
from ibert_assets.settings import Settings, SettingsError
from ibert_assets.synthetic.assets import synthetic_definitions, synthetic_partitions
from ibert_assets.synthetic.examples import build_synthetic_examples, world_group
from ibert_assets.tasks import build_task
from ibert_inference import verify_pair
from ibert_inference.dataset.record import Record


@pytest.fixture(scope="module")
def build():
    return build_synthetic_examples("world-0001", queries=12)


def test_partitions_are_one_per_world_as_the_settings_say():
    keys = synthetic_partitions(Settings(synthetic_worlds=3)).get_partition_keys()
    assert keys == ["world-0000", "world-0001", "world-0002"]


def test_a_negative_number_of_worlds_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match="IBERT_SYNTHETIC_WORLDS=-1"):
        synthetic_partitions(Settings(synthetic_worlds=-1))
    assert synthetic_partitions(Settings(synthetic_worlds=0)).get_partition_keys() == []


def test_only_verified_pairs_are_kept_and_every_query_is_accounted_for(build):
    counts = build.outcome.counts
    accounted = counts["verified"] + counts["duplicates"]
    accounted += sum(n for name, n in counts.items() if name.startswith("rejected_"))
    assert accounted == counts["generated"] == 12
    assert build.outcome.records, dict(counts)
    for record in build.outcome.records:
        assert record.status == "verified" and record.meta.source == "synthetic"
        assert record.group_key() == world_group("world-0001")
        assert record.meta.description and record.meta.difficulty in (
            "simple", "moderate", "complex", "highly complex",
        )  # fmt: skip
    statuses = {key.partition(":")[0] for key in build.by_construct}
    assert "verified" in statuses


def test_a_record_schema_holds_the_tables_its_query_reads_with_their_world_types(build):
    world = build.world
    for record in build.outcome.records:
        read = {t.name for t in sqlglot.parse_one(record.input.sql).find_all(exp.Table)}  # type: ignore[union-attr]
        assert set(record.table_schemas) == read & {t.name for t in world.tables}
        for table, columns in record.table_schemas.items():
            assert columns == world.schema()[table]


def test_an_incoherent_world_is_not_built(monkeypatch):
    from ibert_assets.synthetic import examples

    monkeypatch.setattr(examples, "world_problems", lambda world: ["booking references hotel"])
    with pytest.raises(examples.SyntheticWorldError, match=r"world-0001.*booking references"):
        build_synthetic_examples("world-0001", queries=1)


def test_a_stored_pair_verifies_again_on_other_databases(build):
    record = build.outcome.records[0]
    sql, code = record.input.sql, record.target.ibis  # type: ignore[union-attr]
    assert verify_pair(sql, code, record.table_schemas, seed=101).ok


def test_synthetic_pairs_reach_the_tasks_like_template_pairs(build):
    built = build_task(
        "sql_to_ibis", template_pairs=[], augmented_pairs=[], mined=[], docs=[],
        synthetic_pairs=build.outcome.records,
    )  # fmt: skip
    assert {r.meta.source for r in built.records} == {"synthetic"}
    assert len(built.records) >= len(build.outcome.records) * 0.8
    qa = build_task(
        "qa", template_pairs=[], augmented_pairs=[], mined=[], docs=[],
        synthetic_pairs=build.outcome.records,
    )  # fmt: skip
    assert qa.records and all(r.group_key() == world_group("world-0001") for r in qa.records)


def test_one_partition_materializes_with_its_checks(tmp_path: Path):
    settings = Settings(data_dir=str(tmp_path), synthetic_worlds=2)
    domain = synthetic_definitions(settings)
    (asset,) = domain.assets or ()
    result = dg.materialize(
        [asset, *(domain.asset_checks or ())],  # type: ignore[list-item]
        partition_key="world-0001",
        resources=default_resources(settings),
        run_config={"ops": {"synthetic_examples": {"config": {"queries_per_world": 6}}}},
    )
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert evaluations
    failed = {e.check_name for e in evaluations if not e.passed}
    assert failed <= {"rejection_rate"}  # a warning: refusals are the fuzzer's findings
    stored = tmp_path / "synthetic_examples" / "world-0001.jsonl"
    records = [Record.from_json(line) for line in stored.read_text().splitlines()]
    assert records and all(r.meta.extra("world") == "world-0001" for r in records)
    metadata = result.asset_materializations_for_node("synthetic_examples")[0].metadata
    assert "by_construct" in metadata and "complexity" in metadata


def test_every_check_of_a_world_is_judged_in_one_step(tmp_path: Path):
    settings = Settings(data_dir=str(tmp_path), synthetic_worlds=1)
    domain = synthetic_definitions(settings)
    (asset,) = domain.assets or ()
    result = dg.materialize(
        [asset, *(domain.asset_checks or ())],  # type: ignore[list-item]
        partition_key="world-0000",
        resources=default_resources(settings),
        run_config={"ops": {"synthetic_examples": {"config": {"queries_per_world": 4}}}},
    )
    checked = {
        event.asset_check_evaluation_data.check_name: event.step_key
        for event in result.all_events
        if event.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert {"one_target_per_input", "schemas_match_roles", "records_match_schema",
            "rejection_rate"} <= set(checked)  # fmt: skip
    # one step reads the stored world for all of them (a step costs Dagster ~0.1-0.3 s)
    assert len(set(checked.values())) == 1
