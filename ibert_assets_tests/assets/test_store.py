import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from ibert_assets.outcome import Outcome
from ibert_assets.resources import default_resources
from ibert_assets.settings import Settings
from ibert_assets.store import (
    DatasetStore,
    JsonlIOManagerFactory,
    SplitDataset,
    partition_path,
    read_jsonl,
    read_partition,
    read_rejects,
    to_jsonl,
    write_atomic,
)
from ibert_assets_tests.conftest import make_record
from ibert_inference.dataset.record import Record, RecordError
from ibert_inference.errors import DataStoreError

letters = dg.StaticPartitionsDefinition(["a", "b"])


def letter(name: str) -> Record:
    return make_record("qa", {"question": name}, {"answer": name.upper()}, source="docs")


def records_for(partition: str, extra: Any = None) -> list[Record]:
    rows = [letter(f"{partition}-{n}") for n in range(3)]
    if extra is not None:
        rows.insert(1, extra)  # midway, so a streaming writer would already have written row 0
    return rows


@dg.asset(partitions_def=letters)
def letters_dataset(context: dg.AssetExecutionContext) -> Outcome:
    poison = context.run.tags.get("poison")
    extra: Any = None
    if poison:
        circular: dict[str, Any] = {"question": "circular"}
        circular["self"] = circular  # the record cannot be serialized
        extra = letter("circular").replace(input=circular)
    return Outcome(
        records_for(context.partition_key, extra),
        rejects=[{"status": "mismatch", "reason": "differs on random-0"}],
    )


@dg.asset
def all_letters(letters_dataset: dict[str, list[Record]]) -> list[Record]:
    return [row for rows in letters_dataset.values() for row in rows]


def materialize(base: str, partition: str | None, *, poison: bool = False, assets=None):
    return dg.materialize(
        assets or [letters_dataset],
        partition_key=partition,
        resources={"io_manager": JsonlIOManagerFactory(store=DatasetStore(base_dir=base))},
        tags={"poison": "yes"} if poison else None,
        raise_on_error=False,
    )


def test_each_partition_is_one_jsonl_file_with_rejects_beside_it(tmp_path: Path):
    assert materialize(str(tmp_path), "a").success
    path = tmp_path / "letters_dataset" / "a.jsonl"
    assert [json.loads(line)["id"] for line in path.read_text().splitlines()] == [
        r.id for r in records_for("a")
    ]
    assert read_partition(str(tmp_path), "letters_dataset", "a") == records_for("a")
    assert read_rejects(str(tmp_path), "letters_dataset", "a")[0]["status"] == "mismatch"
    assert sorted(os.listdir(tmp_path / "letters_dataset")) == ["a.jsonl", "a.rejects.jsonl"]


def test_a_record_failing_midway_leaves_the_stored_file_intact(tmp_path: Path):
    assert materialize(str(tmp_path), "a").success
    path = tmp_path / "letters_dataset" / "a.jsonl"
    before = path.read_bytes()
    result = materialize(str(tmp_path), "a", poison=True)
    assert not result.success
    assert path.read_bytes() == before
    # no temporary file left behind either
    assert sorted(os.listdir(tmp_path / "letters_dataset")) == ["a.jsonl", "a.rejects.jsonl"]


def test_a_rename_that_never_happens_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = partition_path(str(tmp_path), "x", "p")
    write_atomic(path, '{"id": "old"}\n')

    def killed(*args: Any) -> None:
        raise KeyboardInterrupt  # the process dies between writing the copy and renaming it

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(path, '{"id": "new"}\n' * 1000)
    assert (tmp_path / "x" / "p.jsonl").read_text() == '{"id": "old"}\n'
    assert os.listdir(tmp_path / "x") == ["p.jsonl"]


def test_an_fsspec_memory_url_round_trips_and_downstream_gets_every_partition():
    base = f"memory://ibert-{uuid.uuid4().hex}"
    for partition in ("a", "b"):
        assert materialize(base, partition).success
    assert read_partition(base, "letters_dataset", "b") == records_for("b")
    assert read_rejects(base, "letters_dataset", "b")[0]["reason"] == "differs on random-0"

    downstream = dg.materialize(
        [letters_dataset.to_source_asset(), all_letters],
        resources={"io_manager": JsonlIOManagerFactory(store=DatasetStore(base_dir=base))},
    )
    combined = downstream.output_for_node("all_letters")
    assert all(isinstance(row, Record) for row in combined)
    assert combined == [*records_for("a"), *records_for("b")]


def test_the_base_comes_from_ibert_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IBERT_DATA_DIR", str(tmp_path / "elsewhere"))
    resources = default_resources(Settings.from_environment())
    assert isinstance(resources["dataset_store"].base_dir, dg.EnvVar)  # shown as such in the UI
    assert dg.materialize([letters_dataset], partition_key="b", resources=resources).success
    assert (tmp_path / "elsewhere" / "letters_dataset" / "b.jsonl").exists()


def test_explicit_settings_win_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("IBERT_DATA_DIR", str(tmp_path / "from-env"))
    chosen = Settings.from_environment().override(data_dir=str(tmp_path / "chosen"))
    resources = default_resources(chosen)
    assert resources["dataset_store"].base_dir == str(tmp_path / "chosen")
    assert dg.materialize([letters_dataset], partition_key="b", resources=resources).success
    assert (tmp_path / "chosen" / "letters_dataset" / "b.jsonl").exists()
    assert not (tmp_path / "from-env").exists()


def test_reading_a_missing_or_broken_partition_says_what_to_do(tmp_path: Path):
    with pytest.raises(DataStoreError, match="materialize that partition first"):
        read_partition(str(tmp_path), "letters_dataset", "a")
    (tmp_path / "letters_dataset").mkdir()
    good = letter("good").to_json()
    (tmp_path / "letters_dataset" / "a.jsonl").write_text(f'{good}\n{{"id": \n')
    with pytest.raises(DataStoreError, match=r"a\.jsonl:2: .*Invalid JSON"):
        read_partition(str(tmp_path), "letters_dataset", "a")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"task": "translate"}, "task"),
        ({"id": "not-a-content-hash"}, "id"),
        ({"meta": {"source": "elsewhere"}}, "meta.source"),
        ({"verification": {"method": "x", "status": "maybe"}}, "verification.status"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_a_stored_line_that_is_not_a_record_names_the_file_line_and_field(
    tmp_path: Path, change: dict[str, Any], field: str
):
    good = letter("good")
    corrupt = json.dumps({**good.to_dict(), **change})
    path = partition_path(str(tmp_path), "letters_dataset", "a")
    write_atomic(path, f"{good.to_json()}\n{good.to_json()}\n{corrupt}\n")
    with pytest.raises(RecordError) as info:
        read_partition(str(tmp_path), "letters_dataset", "a")
    message = str(info.value)
    assert message.startswith(f"{path}:3: {field}: "), message
    assert "\n" not in message  # one line


def test_a_downstream_asset_fails_on_a_corrupt_upstream_line(tmp_path: Path):
    base = str(tmp_path)
    for partition in ("a", "b"):
        assert materialize(base, partition).success
    path = partition_path(base, "letters_dataset", "b")
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"task": "qa"', '"task": "chat"')
    write_atomic(path, "\n".join(lines) + "\n")
    result = dg.materialize(
        [letters_dataset.to_source_asset(), all_letters],
        resources={"io_manager": JsonlIOManagerFactory(store=DatasetStore(base_dir=base))},
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert f"{path}:2: task: " in str(failure.step_failure_data.error)


def test_rows_that_are_not_records_are_read_as_plain_objects(tmp_path: Path):
    path = partition_path(str(tmp_path), "repo_snapshots", "demo")
    write_atomic(path, to_jsonl([{"repo": "demo", "commit": "abc"}]))
    assert read_jsonl(path) == [{"repo": "demo", "commit": "abc"}]
    with pytest.raises(RecordError, match=r"demo\.jsonl:1: id: Field required"):
        read_partition(str(tmp_path), "repo_snapshots", "demo")


def test_a_stored_schema_keeps_its_column_order(tmp_path: Path):
    """Column order is meaning: ``SELECT *`` and selectors like ``s.numeric()`` follow it."""
    schema = {"station": "string", "temp_min": "float64", "rain_mm": "float64", "day": "date"}
    record = make_record(tables={"weather": schema})
    write_atomic(partition_path(str(tmp_path), "a", "p"), to_jsonl([record]))
    stored = read_partition(str(tmp_path), "a", "p")
    assert list(stored[0].table_schemas["weather"]) == list(schema)


T1, T2, X1 = letter("t1"), letter("t2"), letter("x1")


@dg.asset
def cut() -> SplitDataset:
    return SplitDataset(
        {
            "train": Outcome([T1, T2]),
            "test": Outcome([X1], rejects=[{"id": "x0", "reason": "vacuous"}]),
        }
    )


@dg.asset(ins={"cut": dg.AssetIn(metadata={"split": "test"})})
def reads_test(cut: list[Record]) -> list[Record]:
    return cut


@dg.asset(ins={"cut": dg.AssetIn()})
def reads_every_split(cut: dict[str, list[Record]]) -> list[dict[str, Any]]:
    return [{"split": name, "n": len(rows)} for name, rows in sorted(cut.items())]


def test_a_split_dataset_is_one_file_per_split_and_read_one_split_at_a_time(tmp_path: Path):
    base = str(tmp_path)
    result = dg.materialize(
        [cut, reads_test, reads_every_split],
        resources={"io_manager": JsonlIOManagerFactory(store=DatasetStore(base_dir=base))},
    )
    assert read_partition(base, "cut", "train") == [T1, T2]
    assert read_rejects(base, "cut", "test") == [{"id": "x0", "reason": "vacuous"}]
    assert not (tmp_path / "cut.jsonl").exists()
    assert result.output_for_node("reads_test") == [X1]
    assert result.output_for_node("reads_every_split") == [
        {"split": "test", "n": 1},
        {"split": "train", "n": 2},
    ]


no_partitions = dg.StaticPartitionsDefinition([])


@dg.asset(partitions_def=no_partitions)
def nothing_listed() -> list[Record]:
    return []


@dg.asset(
    ins={
        "nothing_listed": dg.AssetIn(
            partition_mapping=dg.AllPartitionMapping(),
            metadata={"allow_missing_partitions": True},
        )
    }
)
def reads_every_listed(nothing_listed: dict[str, list[Record]]) -> list[dict[str, Any]]:
    return [{"partitions": len(nothing_listed)}]


def test_an_upstream_with_no_partitions_reads_as_empty(tmp_path: Path):
    """An empty repositories file: what reads every repository builds from none."""
    result = dg.materialize(
        [nothing_listed.to_source_asset(), reads_every_listed],
        resources={"io_manager": JsonlIOManagerFactory(store=DatasetStore(base_dir=str(tmp_path)))},
    )
    assert result.output_for_node("reads_every_listed") == [{"partitions": 0}]


@dg.asset
def slow_letters(cut: dict[str, list[Record]]) -> Outcome:
    time.sleep(0.6)  # reading inputs and building: time the builder does not see
    return Outcome([r for rows in cut.values() for r in rows], seconds=0.01)


def test_metadata_paths_exist_and_seconds_are_the_steps_as_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)  # a relative store, as data/ is by default
    result = dg.materialize(
        [cut, slow_letters],
        resources={"io_manager": JsonlIOManagerFactory(store=DatasetStore(base_dir="store"))},
    )
    monkeypatch.chdir(Path(__file__).parent)  # the paths open from anywhere
    metadata = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert metadata["cut"]["path"].value == str(tmp_path / "store" / "cut")
    assert metadata["cut"]["path_train"].value == str(tmp_path / "store" / "cut" / "train.jsonl")
    for values in metadata.values():
        paths = [v.value for k, v in values.items() if isinstance(v, dg.PathMetadataValue)]
        assert paths and all(Path(p).exists() for p in paths), paths
    durations = {e.step_key: e.step_success_data.duration_ms / 1000
                 for e in result.all_events if e.is_step_success}  # fmt: skip
    seconds = metadata["slow_letters"]["seconds"].value
    assert abs(seconds - durations["slow_letters"]) < 0.25, (seconds, durations)
    assert seconds > 0.6
