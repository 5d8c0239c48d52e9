from pathlib import Path

import dagster as dg

from ibert_assets.quality_checks import one_target_check, role_check
from ibert_assets.store import partition_path, to_jsonl, write_atomic
from ibert_assets_tests.assets.test_splits_assets import materialize
from ibert_assets_tests.conftest import make_record
from ibert_inference.dataset.record import Record


def pair(sql: str, code: str, schema: dict | None = None) -> Record:
    return make_record(
        "sql_to_ibis",
        {"sql": sql, "dialect": "duckdb"},
        {"ibis": code},
        tables={"t": schema or {"a": "int64"}},
        group=f"g:{sql}",
    )


def test_an_sql_input_with_two_targets_fails_other_tasks_are_counted():
    clean = [pair("SELECT a FROM t", "result = t.select('a')")]
    assert one_target_check(clean).passed
    twice = [*clean, pair("SELECT a FROM t", "result = t.select(_.a)")]
    outcome = one_target_check(twice)
    assert not outcome.passed and outcome.metadata["strict_ambiguous_inputs"] == 1
    completions = [
        r.replace(task="code_completion", input={"prefix": "x"}, target={"completion": r.ibis_code})
        for r in twice
    ]
    outcome = one_target_check(completions)
    assert outcome.passed and outcome.metadata["other_ambiguous_inputs"] == 1


def test_a_schema_typed_against_its_roles_fails():
    assert role_check([pair("SELECT a FROM t", "r", {"quantity": "int64"})]).passed
    outcome = role_check([pair("SELECT a FROM t", "r", {"quantity": "date"})])
    assert not outcome.passed and "t.quantity: date" in outcome.metadata["contradictions"][0]


def test_the_checks_run_on_the_stored_split_through_dagster(tmp_path: Path):
    records = [
        pair(f"SELECT a FROM t WHERE a > {i}", f"result = t.filter(_.a > {i}).select('a')")
        for i in range(30)
    ]
    records.append(pair("SELECT a FROM t WHERE a > 3", "result = t.filter(3 < _.a).select('a')"))
    records.append(pair("SELECT 1 AS x FROM t", "result = t.select(x=1)", {"price": "boolean"}))
    write_atomic(
        partition_path(str(tmp_path), "multitask_examples", "sql_to_ibis"), to_jsonl(records)
    )
    result = materialize(tmp_path)  # train_complete: every split in one step, checked as one
    evaluations: dict[str, dg.AssetCheckEvaluation] = {
        e.check_name: e for e in result.get_asset_check_evaluations()
    }
    assert not evaluations["one_target_per_input"].passed
    assert not evaluations["schemas_match_roles"].passed
