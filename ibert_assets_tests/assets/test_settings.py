from dataclasses import fields
from pathlib import Path

import pytest

from ibert_assets.settings import Settings, SettingsError
from ibert_inference.model.language_model import ModelSettings
from ibert_inference.settings import ENVIRONMENT, MODEL_ENVIRONMENT, InferenceSettings


def test_environment_variables_override_the_defaults_with_their_types():
    settings = Settings.from_environment(
        {"IBERT_DATA_DIR": "/srv/data", "IBERT_MIN_TASK_EXAMPLES": "7", "IBERT_REPO_CACHE": "",
         "IBERT_BASE_MODEL": "/models/base", "IBERT_SANDBOX_TIMEOUT_S": "5"}
    )  # fmt: skip
    assert settings.data_dir == "/srv/data"
    assert settings.min_task_examples == 7 and isinstance(settings.min_task_examples, int)
    assert settings.repo_cache == ""  # empty means unset, not "the current folder"
    assert settings.base_model == "/models/base"
    assert settings.sandbox.timeout_s == 5.0  # the inference package's settings come along
    assert settings.environment == {"data_dir", "min_task_examples", "base_model",
                                    "sandbox_timeout_s"}  # fmt: skip


def test_without_variables_the_settings_are_the_defaults():
    assert Settings.from_environment({}) == Settings()
    assert Settings().base_model is None and Settings().store.base == "data"


def test_a_malformed_number_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match=r"IBERT_NEAR_DUP_THRESHOLD='high' is not a valid"):
        Settings.from_environment({"IBERT_NEAR_DUP_THRESHOLD": "high"})


def test_every_variable_sets_a_setting_and_every_model_variable_a_model_setting():
    """A variable whose setting was renamed would be read and silently dropped."""
    assert set(ENVIRONMENT) == {f.name for f in fields(Settings)} - {"model", "environment"}
    assert set(MODEL_ENVIRONMENT) == set(ModelSettings.model_fields)
    inference_only = {f.name for f in fields(InferenceSettings)} - {"model", "environment"}
    assert inference_only <= set(ENVIRONMENT)


@pytest.mark.parametrize(
    ("data_dir", "cache"),
    [
        ("/srv/ibert/data", Path("/srv/ibert/.cache/repos")),
        ("s3://bucket/ibert", Path.home() / ".cache" / "ibert" / "repos"),
        ("memory://ibert", Path.home() / ".cache" / "ibert" / "repos"),
    ],
)
def test_the_clone_cache_is_a_local_folder_even_for_a_remote_store(data_dir: str, cache: Path):
    assert Settings(data_dir=data_dir).clone_cache == cache
    assert Settings(data_dir=data_dir, repo_cache="/tmp/clones").clone_cache == Path("/tmp/clones")


def test_a_remote_stores_clones_go_to_ibert_s_cache_folder():
    settings = Settings.from_environment(
        {"IBERT_DATA_DIR": "s3://bucket/ibert", "IBERT_CACHE_DIR": "/var/cache/ibert"}
    )
    assert settings.clone_cache == Path("/var/cache/ibert/repos")
