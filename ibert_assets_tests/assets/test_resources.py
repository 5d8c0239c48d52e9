"""The Dagster resources: the dataset store, the I/O manager, and the model over a plain Model."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ibert_assets.resources import MODEL_RESOURCE_KEY, ModelResource, default_resources
from ibert_assets.settings import Settings
from ibert_assets.store import DatasetStore
from ibert_inference.model.language_model import Model, ModelSettings


def test_the_resource_gives_a_plain_model_reading_the_dataset_store(tmp_path: Path):
    store = DatasetStore(base_dir=str(tmp_path / "data"))
    resource = ModelResource(dataset_store=store, device="cpu", few_shot=2,
                             ibert_cache=str(tmp_path / "cache"))  # fmt: skip
    model = resource.get_model()
    assert isinstance(model, Model)
    assert model.settings == ModelSettings(device="cpu", few_shot=2)
    assert model.store == store.layout and model.cache == tmp_path / "cache"
    assert model.examples_file() == tmp_path / "data" / "train_complete" / "train.jsonl"


def test_the_resource_s_fields_are_the_model_settings():
    fields = set(ModelResource.model_fields) - {"dataset_store", "ibert_cache"}
    assert fields == set(ModelSettings.model_fields)


def test_an_asset_gets_the_model_with_run_config_over_the_settings(tmp_path: Path):
    seen: list[Model] = []

    @dg.asset
    def uses_the_model(model: ModelResource) -> None:
        seen.append(model.get_model())

    settings = Settings(data_dir=str(tmp_path), model={"model_name": "/models/a", "device": "cpu"})
    resources = default_resources(settings)
    run_config = {"resources": {MODEL_RESOURCE_KEY: {"config": {"model_name": "/models/b"}}}}
    job = dg.Definitions(assets=[uses_the_model], resources=resources)
    assert job.get_implicit_global_asset_job_def().execute_in_process(run_config=run_config).success
    assert dg.materialize([uses_the_model], resources=resources).success
    configured, default = seen
    # Dagster's rule: a run's config for a resource replaces its configured values
    assert configured.settings.model_name == "/models/b" and configured.settings.device == "auto"
    assert default.settings.model_name == "/models/a" and default.settings.device == "cpu"
    assert configured.store.base == default.store.base == str(tmp_path)


def test_the_store_shows_ibert_data_dir_only_when_the_variable_set_it(tmp_path: Path):
    from_variable = Settings.from_environment({"IBERT_DATA_DIR": str(tmp_path)})
    assert isinstance(default_resources(from_variable)["dataset_store"].base_dir, dg.EnvVar)
    told = from_variable.override(data_dir=str(tmp_path / "flag"))
    assert default_resources(told)["dataset_store"].base_dir == str(tmp_path / "flag")
