"""fine_tuned_model and model_evaluation through dagster.materialize, with the tiny model."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from ibert_assets.assembly import build_definitions
from ibert_assets.resources import ModelResource
from ibert_assets.settings import Settings
from ibert_assets.store import (
    DatasetStore,
    JsonlIOManagerFactory,
    partition_path,
    read_jsonl,
    to_jsonl,
    write_atomic,
)
from ibert_assets_tests.assets.test_sft import sql_record

TRAINING = {
    "base_model": "",  # set per test
    "learning_rate": 3e-3,
    "batch_size": 2,
    "max_length": 1024,
    "max_steps": 4,
    "eval_every": 2,
    "eval_examples": 4,
    "device": "cpu",
}


def store_splits(base: Path) -> None:
    splits = {
        "train": [sql_record(n) for n in range(12)],
        "validation": [sql_record(n) for n in range(100, 104)],
        "test": [
            *(sql_record(n) for n in range(200, 202)),
            *(sql_record(n, template="unseen") for n in range(300, 302)),
        ],
    }  # fmt: skip
    for split, records in splits.items():
        write_atomic(partition_path(str(base), "train_complete", split), to_jsonl(records))


def materialize(
    base: Path,
    asset: str,
    config: dict,
    partition: str | None = None,
    model_name: str = "",
    **settings,
) -> dg.ExecuteInProcessResult:
    defs = build_definitions(Settings(data_dir=str(base), **settings))
    store = DatasetStore(base_dir=str(base))
    model = ModelResource(
        dataset_store=store,
        model_name=model_name or None,
        device="cpu",
        max_new_tokens=6,
        temperature=0.0,
    )
    return dg.materialize(
        [*(defs.assets or ())],  # type: ignore[list-item]
        selection=dg.AssetSelection.assets(asset),
        partition_key=partition,
        resources={
            "io_manager": JsonlIOManagerFactory(store=store),
            "dataset_store": store,
            "model": model,
        },
        run_config={"ops": {asset: {"config": config}}},
        raise_on_error=False,
    )


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None and failure.cause is not None
    return failure.cause.message


@pytest.fixture
def trained(tmp_path: Path, tiny_model_dir: Path) -> tuple[Path, dg.ExecuteInProcessResult]:
    store_splits(tmp_path)
    config = {**TRAINING, "base_model": str(tiny_model_dir)}
    return tmp_path, materialize(tmp_path, "fine_tuned_model", config)


def test_fine_tuned_model_writes_a_model_folder_with_its_curve_in_metadata(
    trained: tuple[Path, dg.ExecuteInProcessResult], tiny_model_dir: Path
):
    base, result = trained
    assert result.success
    (materialization,) = result.asset_materializations_for_node("fine_tuned_model")
    metadata = materialization.metadata
    folder = base / "fine_tuned_model" / tiny_model_dir.name
    assert metadata["path"].value == str(folder)
    assert (folder / "model.safetensors").is_file() and (folder / "README.md").is_file()
    curve = metadata["loss_curve"].value.records
    assert [row.data["step"] for row in curve] == [0, 2, 4]
    assert metadata["validation_loss_after"].value < metadata["validation_loss_before"].value
    assert metadata["tokens_per_second"].value > 0
    chart = metadata["loss_chart"].value  # a Markdown table the UI renders, one row per step
    assert "| step | train loss | validation loss |" in chart and "| 4 | 5." in chart


def test_without_a_train_split_fine_tuning_says_what_to_build(tmp_path: Path, tiny_model_dir):
    result = materialize(
        tmp_path, "fine_tuned_model", {**TRAINING, "base_model": str(tiny_model_dir)}
    )
    assert not result.success
    message = failure_message(result)
    assert "train.jsonl does not exist: materialize that partition first" in message
    assert not (tmp_path / "fine_tuned_model").exists()


def test_the_settings_base_model_is_the_default_and_run_config_wins(tmp_path: Path):
    """IBERT_BASE_MODEL (the settings' base_model) reaches the asset as its config default."""
    store_splits(tmp_path)
    unset = {k: v for k, v in TRAINING.items() if k != "base_model"}
    missing = tmp_path / "missing.gguf"
    result = materialize(tmp_path, "fine_tuned_model", unset, base_model=str(missing))
    assert not result.success
    assert f"base model {missing} does not exist" in failure_message(result)
    config = {**TRAINING, "base_model": str(tmp_path / "other.gguf")}
    result = materialize(tmp_path, "fine_tuned_model", config, base_model=str(missing))
    assert f"base model {tmp_path / 'other.gguf'} does not exist" in failure_message(result)


def test_model_evaluation_compares_the_base_and_the_fine_tuned_model(
    trained: tuple[Path, dg.ExecuteInProcessResult], tiny_model_dir: Path
):
    base, _ = trained
    config = {"sample_size": 4}
    result = materialize(base, "model_evaluation", config, "sql_to_ibis", str(tiny_model_dir))
    assert result.success
    (materialization,) = result.asset_materializations_for_node("model_evaluation")
    metadata = materialization.metadata
    models = metadata["models"].value
    assert f"fine_tuned: {base / 'fine_tuned_model' / tiny_model_dir.name}" in models
    assert f"base: {tiny_model_dir}, 0 demonstrations" in models
    assert "base+retrieval" in models and "3 demonstrations" in models
    for variant in ("base", "base+retrieval", "fine_tuned"):
        assert f"{variant}/all/execution_accuracy" in metadata
    assert metadata["examples_by_templates"].value.count("|") > 0
    assert "held_out" in metadata["lift"].value and "seen" in metadata["lift"].value
    rows = read_jsonl(partition_path(str(base), "model_evaluation", "sql_to_ibis"))
    assert {r["variant"] for r in rows} == {"deterministic", "base", "base+retrieval", "fine_tuned"}
    assert {r["group"] for r in rows if r["variant"] == "fine_tuned"} == {"seen", "held_out"}


def test_the_training_asset_sits_between_the_splits_and_the_evaluation():
    defs = build_definitions(Settings())
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    training = specs["fine_tuned_model"]
    assert training.group_name == "training" and training.partitions_def is None
    assert {dep.asset_key.to_user_string() for dep in training.deps} == {"train_complete"}
    evaluation = {dep.asset_key.to_user_string() for dep in specs["model_evaluation"].deps}
    assert {"train_complete", "fine_tuned_model"} <= evaluation
