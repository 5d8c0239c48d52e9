"""The multitask checks' thresholds are Dagster config: run config overrides the settings."""

from pathlib import Path

import dagster as dg

from ibert_assets.multitask.assets import multitask_definitions
from ibert_assets.partitions import task_partitions
from ibert_assets.resources import default_resources
from ibert_assets.settings import Settings

CHECK_OP = "multitask_examples_minimum_examples"


def build_qa_from_nothing(
    base: Path, minimum: int | None, settings: Settings | None = None
) -> dg.AssetCheckEvaluation:
    """The qa partition over upstream assets that were never built: no examples at all."""
    settings = settings or Settings(data_dir=str(base))
    domain = multitask_definitions(settings)
    (asset,) = domain.assets or ()
    assert isinstance(asset, dg.AssetsDefinition)
    config = {"ops": {CHECK_OP: {"config": {"minimum": minimum}}}} if minimum is not None else {}
    upstream = [dg.AssetSpec(key, partitions_def=task_partitions) for key in asset.dependency_keys]
    result = dg.materialize(
        [asset, *(domain.asset_checks or ()), *upstream],  # type: ignore[list-item]
        selection=dg.AssetSelection.assets(asset) - dg.AssetSelection.checks_for_assets(asset)
        | dg.AssetSelection.checks(dg.AssetCheckKey(asset.key, "minimum_examples")),
        partition_key="qa",
        resources=default_resources(settings),
        run_config=config,
        raise_on_error=False,
    )
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_the_minimum_comes_from_run_config(tmp_path: Path):
    assert build_qa_from_nothing(tmp_path, 0).passed
    too_few = build_qa_from_nothing(tmp_path, 1)
    assert not too_few.passed
    assert too_few.description == "partition qa FAILED: 0 examples (minimum 1)"


def test_the_default_minimum_is_the_settings_value(tmp_path: Path):
    assert not build_qa_from_nothing(tmp_path, None).passed  # the default: 500
    zero = Settings(data_dir=str(tmp_path), min_task_examples=0)
    assert build_qa_from_nothing(tmp_path, None, zero).passed
    too_few_again = build_qa_from_nothing(tmp_path, 1, zero)
    assert too_few_again.description == "partition qa FAILED: 0 examples (minimum 1)"
