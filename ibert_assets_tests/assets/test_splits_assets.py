"""train_complete and its checks through dagster.materialize, over a store laid out by hand."""

import shutil
from pathlib import Path

import dagster as dg
import pytest

from ibert_assets.assembly import build_definitions
from ibert_assets.settings import Settings
from ibert_assets.store import (
    partition_path,
    read_partition,
    to_jsonl,
    write_atomic,
)
from ibert_assets_tests.conftest import make_record
from ibert_inference.dataset.record import Record

SPLITS = ("train", "validation", "test")


def qa_record(group: int, n: int) -> Record:
    return make_record(
        "qa",
        {"question": f"How do I group table t{group} by column c{n} and count its rows?"},
        {"answer": f"t{group}.group_by('c{n}').agg(n=_.count()) in group {group}"},
        group=f"template:demo/family_{group}",
    )


def store_multitask(base: Path, groups: int) -> None:
    records = [qa_record(g, n) for g in range(groups) for n in range(3)]
    write_atomic(partition_path(str(base), "multitask_examples", "qa"), to_jsonl(records))


def materialize(base: Path, **settings) -> dg.ExecuteInProcessResult:
    defs = build_definitions(Settings(data_dir=str(base), **settings))
    return dg.materialize(
        [*(defs.assets or ()), *(defs.asset_checks or ())],  # type: ignore[list-item]
        selection=dg.AssetSelection.assets("train_complete"),
        resources=defs.resources,
        raise_on_error=False,
    )


def check(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    (found,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return found


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("built")
    store_multitask(base, groups=40)
    result = materialize(base)
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    return base


@pytest.fixture
def built(built_once: Path, tmp_path: Path) -> Path:
    """A store where train_complete was materialized, the test's own copy to change."""
    shutil.copytree(built_once, tmp_path, dirs_exist_ok=True)
    return tmp_path


def test_every_split_is_stored_with_parquet_a_card_and_no_leak(built: Path):
    stored = {split: read_partition(str(built), "train_complete", split) for split in SPLITS}
    assert sum(map(len, stored.values())) == 120 and all(stored.values())
    groups = [{r.meta.extra("group") for r in stored[s]} for s in SPLITS]
    assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2])
    assert (built / "train_complete" / "test.parquet").exists()
    assert "| qa |" in (built / "train_complete" / "README.md").read_text()


def test_the_row_count_is_the_total_of_every_split(built: Path):
    result = materialize(built)
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["dagster/row_count"].value == metadata["records"].value == 120


def test_a_record_copied_into_another_split_fails_the_blocking_checks(built: Path):
    base = str(built)
    train = read_partition(base, "train_complete", "train")
    test = read_partition(base, "train_complete", "test")
    write_atomic(partition_path(base, "train_complete", "test"), to_jsonl([*test, train[0]]))
    defs = build_definitions(Settings(data_dir=base))
    key = dg.AssetKey("train_complete")
    result = dg.materialize(
        [*(defs.assets or ()), *(defs.asset_checks or ())],  # type: ignore[list-item]
        selection=dg.AssetSelection.checks(
            *(dg.AssetCheckKey(key, name) for name in ("no_leakage", "ids_unique"))
        ),
        resources=defs.resources,
        raise_on_error=False,
    )
    assert read_partition(base, "train_complete", "test")[-1] == train[0]  # only checks ran
    assert not check(result, "no_leakage").passed
    assert not check(result, "ids_unique").passed


def test_the_metadata_says_how_many_records_all_splits_hold(built: Path):
    result = materialize(built)
    (event,) = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["records_all_partitions"].value == 120
    assert "(120 in all)" in metadata["per_split"].md_str and "█" in metadata["per_split"].md_str
    assert "quality_per_task" in metadata and metadata["distinct_inputs"].value == 120
    leakage = check(result, "no_leakage")
    assert all(not isinstance(v.value, int | float) for v in leakage.metadata.values())


def test_the_quality_checks_read_every_split(built: Path):
    result = materialize(built)
    assert check(result, "one_target_per_input").passed
    assert check(result, "schemas_match_roles").passed


def test_the_checks_read_each_stored_split_once(built: Path, monkeypatch: pytest.MonkeyPatch):
    from ibert_assets import checks

    read: list[str] = []
    stored_lines = checks.stored_lines

    def counted(base: str, asset: str, partition: str) -> list[str]:
        read.append(partition)
        return stored_lines(base, asset, partition)

    monkeypatch.setattr(checks, "stored_lines", counted)
    defs = build_definitions(Settings(data_dir=str(built)))
    result = dg.materialize(
        [*(defs.assets or ()), *(defs.asset_checks or ())],  # type: ignore[list-item]
        selection=dg.AssetSelection.checks_for_assets("train_complete"),
        resources=defs.resources,
        raise_on_error=False,
    )
    assert check(result, "no_leakage").passed and check(result, "ids_unique").passed
    assert sorted(read) == sorted(SPLITS)  # no_leakage judged on the same reading as the rest
