"""config.yaml: discovered, the seed's keys honoured, anything else refused."""

import logging
import os
from pathlib import Path

import pytest

from ibert_inference.cli.config import CliConfig, ConfigError, find_config, load_config
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.settings import InferenceSettings


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_config_yaml_is_found_in_the_directory(tmp_path: Path):
    assert find_config(tmp_path) is None
    path = write(tmp_path, "max_tokens: 10\n")
    assert find_config(tmp_path) == path


def test_the_seed_keys_and_model_settings_are_sorted_apart(tmp_path: Path):
    config = load_config(
        write(tmp_path, "max_tokens: 32\ndata_dir: out\nlog_level: debug\ndevice: cpu\n"
              "model:\n  model_name: m\n")
    )  # fmt: skip
    assert (config.max_tokens, config.data_dir, config.log_level) == (32, "out", "DEBUG")
    assert config.model == {"device": "cpu", "model_name": "m"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_token: 3\n", "unknown setting 'max_token'"),
        ("model:\n  temprature: 1\n", "unknown setting 'model.temprature'"),
        ("max_tokens: lots\n", "max_tokens"),
        ("max_tokens: 0\n", "max_tokens must be a positive"),
        ("log_level: chatty\n", "log_level 'chatty' is not one of"),
        ("- a\n- b\n", "expected a mapping"),
        ("model: 3\n", "'model' must be a mapping"),
        ("max_tokens: [\n", "not valid yaml"),
    ],
)
def test_a_wrong_setting_is_refused_with_the_file_named(tmp_path: Path, text: str, message: str):
    with pytest.raises(ConfigError, match=r"config\.yaml") as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)


def test_data_dir_is_the_store_of_the_settings_and_the_log_level_applies(tmp_path: Path):
    root_level = logging.getLogger().level
    environment = dict(os.environ)
    try:
        config = load_config(write(tmp_path, "data_dir: built\nlog_level: error\n"))
        config.apply_log_level()
        settings = config.over(InferenceSettings.from_environment({}))
        assert settings.store == StoreLayout(str(tmp_path / "built"))  # beside the file
        assert logging.getLogger().level == logging.ERROR
        assert dict(os.environ) == environment  # told, not written into the environment
    finally:
        logging.getLogger().setLevel(root_level)


def test_an_explicit_environment_variable_wins_over_data_dir(tmp_path: Path):
    config = CliConfig(data_dir="built", source=str(tmp_path / "config.yaml"))
    from_variable = InferenceSettings.from_environment({"IBERT_DATA_DIR": "/elsewhere"})
    assert config.over(from_variable).store.base == "/elsewhere"
    assert CliConfig().over(from_variable) is from_variable


def test_the_shipped_example_is_a_valid_config():
    example = Path(__file__).resolve().parents[2] / "config.yaml.example"
    config = load_config(example)
    assert config.max_tokens and config.log_level and config.data_dir


def test_model_settings_are_the_environment_then_the_file_then_the_flags(tmp_path: Path):
    from ibert_inference.cli.main import _model, build_parser

    args = build_parser().parse_args(["complete", "--max-tokens", "9", "--temperature", "0.7"])
    args.settings = CliConfig(max_tokens=7, data_dir="built", model={"device": "cpu"},
                              source=str(tmp_path / "config.yaml"))  # fmt: skip
    environment = InferenceSettings.from_environment(
        {"IBERT_MODEL_NAME": "/models/env", "IBERT_DEVICE": "cuda", "IBERT_MAX_NEW_TOKENS": "3",
         "IBERT_BATCH_SIZE": "2", "IBERT_CACHE_DIR": str(tmp_path / "cache")}
    )  # fmt: skip
    args.runtime = args.settings.over(environment)
    model = _model(args)
    assert model is not None
    settings = model.settings
    assert settings.model_name == "/models/env" and settings.batch_size == 2  # the environment's
    assert settings.device == "cpu"  # the file's over the environment's
    assert settings.max_new_tokens == 9 and settings.temperature == 0.7  # the flags' over both
    assert model.store == StoreLayout(str(tmp_path / "built")) and model.cache == tmp_path / "cache"
    args.no_model = True
    assert _model(args) is None


def test_a_huge_config_file_is_refused_before_it_is_parsed(tmp_path: Path):
    """4.9 MB of `max_tokens: [1, 1, ...]` took 40 s and 1.1 GB in the ibert process."""
    import time

    path = write(tmp_path, "max_tokens: [" + "1, " * 1_600_000 + "1]\n")
    started = time.monotonic()
    with pytest.raises(ConfigError, match=r"over 65,536 bytes.*max_config_bytes"):
        load_config(path)
    assert time.monotonic() - started < 0.2


def test_a_config_file_at_the_limit_is_still_read(tmp_path: Path):
    text = "max_tokens: 8\n"
    path = write(tmp_path, text + "#" * (64 * 1024 - len(text) - 1) + "\n")
    assert load_config(path).max_tokens == 8
    path.write_text(path.read_text() + "#")
    with pytest.raises(ConfigError, match="max_config_bytes"):
        load_config(path)
