"""train_complete and its checks through dagster.materialize, over a store laid out by hand."""

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from ibert_assets.definitions import defs
from ibert_assets.record import make_id
from ibert_assets.store import (
    DatasetStore,
    JsonlIOManagerFactory,
    partition_path,
    read_partition,
    to_jsonl,
    write_atomic,
)
from ibert_inference.model import ModelResource

SPLITS = ("train", "validation", "test")


def qa_record(group: int, n: int) -> dict[str, Any]:
    input_ = {"question": f"How do I group table t{group} by column c{n} and count its rows?"}
    target = {"answer": f"t{group}.group_by('c{n}').agg(n=_.count()) in group {group}"}
    return {
        "id": make_id("qa", input_, target),
        "task": "qa",
        "context": {"tables": {}},
        "input": input_,
        "target": target,
        "meta": {"source": "template", "group": f"template:demo/family_{group}"},
    }


def store_multitask(base: Path, groups: int) -> None:
    records = [qa_record(g, n) for g in range(groups) for n in range(3)]
    write_atomic(partition_path(str(base), "multitask_examples", "qa"), to_jsonl(records))


def materialize_split(base: Path, split: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [*(defs.assets or ()), *(defs.asset_checks or ())],  # type: ignore[list-item]
        selection=dg.AssetSelection.assets("train_complete"),
        partition_key=split,
        resources={
            "io_manager": JsonlIOManagerFactory(base_dir=str(base)),
            "dataset_store": DatasetStore(base_dir=str(base)),
            "model": ModelResource(),  # model_evaluation needs one defined; nothing loads it
        },
        raise_on_error=False,
    )


def leakage(result: dg.ExecuteInProcessResult) -> dg.AssetCheckEvaluation:
    (found,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "no_leakage"]
    return found


@pytest.fixture
def built(tmp_path: Path) -> Path:
    store_multitask(tmp_path, groups=40)
    for split in SPLITS:
        assert materialize_split(tmp_path, split).success
    return tmp_path


def test_every_split_is_stored_with_parquet_a_card_and_no_leak(built: Path):
    stored = {split: read_partition(str(built), "train_complete", split) for split in SPLITS}
    assert sum(map(len, stored.values())) == 120 and all(stored.values())
    groups = [{r["meta"]["group"] for r in stored[s]} for s in SPLITS]
    assert not (groups[0] & groups[1] or groups[0] & groups[2] or groups[1] & groups[2])
    assert (built / "train_complete" / "test.parquet").exists()
    assert "| qa |" in (built / "train_complete" / "README.md").read_text()
    result = materialize_split(built, "test")
    check = leakage(result)
    assert check.passed
    assert check.metadata["compared_with"].value == ["train", "validation"]


def test_a_split_rebuilt_on_new_data_is_not_compared_with_stale_ones(built: Path):
    store_multitask(built, groups=55)  # new groups: the assignment is cut from other data
    check = leakage(materialize_split(built, "test"))
    assert check.passed
    assert check.metadata["not_comparable"].value == ["train", "validation"]
    assert "rebuild to compare" in (check.description or "")
    for split in ("train", "validation"):
        materialize_split(built, split)
    assert leakage(materialize_split(built, "test")).metadata["compared_with"].value == [
        "train",
        "validation",
    ]


def test_a_split_says_how_many_records_all_splits_hold(tmp_path: Path):
    store_multitask(tmp_path, groups=40)
    result = materialize_split(tmp_path, "test")
    (materialization,) = result.asset_materializations_for_node("train_complete")
    metadata = materialization.metadata
    test_rows = len(read_partition(str(tmp_path), "train_complete", "test"))
    assert metadata["dagster/row_count"].value == test_rows < 120
    assert metadata["records_all_partitions"].value == 120
    assert "(120 in all)" in metadata["per_split"].md_str and "█" in metadata["per_split"].md_str
    check = leakage(result)
    assert all(not isinstance(v.value, int | float) for v in check.metadata.values())
