from pathlib import Path

import pytest

from ibert_assets.settings import Settings, SettingsError, current_settings, use_settings


def test_environment_variables_override_the_defaults_with_their_types():
    settings = Settings.from_env(
        {"IBERT_DATA_DIR": "/srv/data", "IBERT_MIN_TASK_EXAMPLES": "7", "IBERT_REPO_CACHE": ""}
    )
    assert settings.data_dir == "/srv/data"
    assert settings.min_task_examples == 7 and isinstance(settings.min_task_examples, int)
    assert settings.repo_cache == ""  # empty means unset, not "the current folder"


def test_a_malformed_number_is_refused_naming_the_variable():
    with pytest.raises(SettingsError, match=r"IBERT_NEAR_DUP_THRESHOLD='high' is not a valid"):
        Settings.from_env({"IBERT_NEAR_DUP_THRESHOLD": "high"})


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


def test_installed_settings_win_over_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IBERT_DATA_DIR", "from-env")
    assert current_settings().data_dir == "from-env"
    use_settings(Settings(data_dir="chosen"))
    try:
        assert current_settings().data_dir == "chosen"
    finally:
        use_settings(None)
    assert current_settings().data_dir == "from-env"
