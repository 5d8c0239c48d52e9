"""The multitask checks' thresholds are Dagster config: run config overrides the settings."""

from pathlib import Path

import dagster as dg

from ibert_assets.multitask.assets import MinimumExamplesConfig, multitask_checks
from ibert_assets.multitask.assets import multitask_examples as asset
from ibert_assets.partitions import task_partitions
from ibert_assets.resources import default_resources
from ibert_assets.settings import Settings, current_settings

CHECK_OP = "multitask_examples_minimum_examples"


def build_qa_from_nothing(base: Path, minimum: int | None) -> dg.AssetCheckEvaluation:
    """The qa partition over upstream assets that were never built: no examples at all."""
    config = {"ops": {CHECK_OP: {"config": {"minimum": minimum}}}} if minimum is not None else {}
    upstream = [dg.AssetSpec(key, partitions_def=task_partitions) for key in asset.dependency_keys]
    result = dg.materialize(
        [asset, *multitask_checks, *upstream],
        selection=dg.AssetSelection.assets(asset) - dg.AssetSelection.checks_for_assets(asset)
        | dg.AssetSelection.checks(dg.AssetCheckKey(asset.key, "minimum_examples")),
        partition_key="qa",
        resources=default_resources(Settings(data_dir=str(base))),
        run_config=config,
        raise_on_error=False,
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_the_minimum_comes_from_run_config(tmp_path: Path):
    assert build_qa_from_nothing(tmp_path, 0).passed
    too_few = build_qa_from_nothing(tmp_path, 1)
    assert not too_few.passed
    assert too_few.description == "0 examples (minimum 1)"


def test_the_default_minimum_is_the_settings_value(tmp_path: Path):
    assert MinimumExamplesConfig().minimum == current_settings().min_task_examples > 0
    assert not build_qa_from_nothing(tmp_path, None).passed
