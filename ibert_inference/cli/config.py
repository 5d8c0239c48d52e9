"""The CLI's settings file: ``config.yaml`` in the working directory, or ``--config FILE``.

The seed system's keys are honoured: ``max_tokens`` (new tokens per model answer), ``data_dir``
(the dataset store: the qa corpus, fine-tuned models, demonstrations; ``IBERT_DATA_DIR`` wins
over it) and ``log_level``. Model settings go at the top
level (``model_name: ...``) or under ``model:``. Any other key is refused with the list of known
ones: a setting is never silently ignored. ``config.yaml.example`` shows every key.

>>> settings = parse_config({"max_tokens": 64, "model_name": "my-model"}, source="config.yaml")
>>> settings.max_tokens, settings.model
(64, {'model_name': 'my-model'})
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ibert_inference.errors import IbertError

if TYPE_CHECKING:
    from ibert_inference.settings import InferenceSettings

CONFIG_NAMES = ("config.yaml", "config.yml")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_SEED_KEYS = ("max_tokens", "data_dir", "log_level")


class ConfigError(IbertError):
    """The settings file is unreadable or holds a key or value iBERT does not know."""


@dataclass(frozen=True)
class CliConfig:
    """What a settings file says, checked (a dataclass: the CLI's fast paths skip pydantic)."""

    max_tokens: int | None = None
    data_dir: str | None = None
    log_level: str | None = None
    model: dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def data_path(self) -> str | None:
        """``data_dir`` as a path: relative to the settings file, not to the working directory."""
        if not self.data_dir:
            return None
        base = Path(self.source).parent if self.source else Path()
        return str((base / self.data_dir).expanduser())

    def over(self, environment: InferenceSettings) -> InferenceSettings:
        """The environment's settings with this file's ``data_dir``, unless ``IBERT_DATA_DIR``
        set one (an explicit variable wins, as it always has)."""
        data_dir = self.data_path()
        if data_dir is None or "data_dir" in environment.environment:
            return environment
        return environment.override(data_dir=data_dir)

    def apply_log_level(self) -> None:
        """Honour ``log_level`` in this process's logging."""
        if self.log_level:
            logging.basicConfig(level=self.log_level)
            logging.getLogger().setLevel(self.log_level)


def find_config(directory: Path | None = None) -> Path | None:
    """``config.yaml`` (or ``config.yml``) in ``directory`` (default: the working directory)."""
    directory = directory or Path.cwd()
    for name in CONFIG_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path) -> CliConfig:
    """Read and check a YAML or TOML settings file."""
    from ibert_inference.bounded_yaml import load_yaml
    from ibert_inference.sandbox import current_settings

    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    limit = current_settings().max_config_bytes
    # read at most the limit (and one byte more to know): the size on disk may change meanwhile
    with path.open("rb") as file:
        raw = file.read(limit + 1)
    if len(raw) > limit:
        raise ConfigError(
            f"{path}: the file is over {limit:,} bytes, the limit of a settings file "
            "(max_config_bytes): a settings file holds a few keys; remove what is not a setting"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = load_yaml(text, str(path))
    except Exception as exc:  # both parsers' errors name line and column
        message = " ".join(str(exc).split())
        kind = path.suffix.lstrip(".") or "config"
        raise ConfigError(f"{path}: not valid {kind}: {message}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings (key: value), got {data!r:.80}")
    return parse_config(data, source=str(path))


def parse_config(data: dict[str, Any], *, source: str) -> CliConfig:
    """Sort ``data`` into the seed's keys and model settings; refuse anything else."""
    section = data.get("model", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{source}: 'model' must be a mapping of model settings")
    model = dict(section)
    model_fields = _model_fields() if set(data) - set(_SEED_KEYS) - {"model"} or section else set()
    seed: dict[str, Any] = {}
    unknown = []
    for key, value in data.items():
        if key == "model":
            continue
        if key in _SEED_KEYS:
            seed[key] = value
        elif key in model_fields:
            model[key] = value
        else:
            unknown.append(key)
    unknown += [f"model.{key}" for key in section if key not in model_fields]
    if unknown:
        known = ", ".join([*_SEED_KEYS, "model", *sorted(model_fields)])
        raise ConfigError(
            f"{source}: unknown setting {', '.join(map(repr, unknown))}: remove it; "
            f"known settings are {known}"
        )
    level = seed.get("log_level")
    if level is not None:
        if str(level).upper() not in LOG_LEVELS:
            raise ConfigError(
                f"{source}: log_level {level!r} is not one of {', '.join(LOG_LEVELS)}"
            )
        seed["log_level"] = str(level).upper()
    tokens = seed.get("max_tokens")
    if tokens is not None and (not isinstance(tokens, int) or isinstance(tokens, bool)):
        raise ConfigError(f"{source}: max_tokens must be a whole number, got {tokens!r}")
    if tokens is not None and tokens <= 0:
        raise ConfigError(f"{source}: max_tokens must be a positive number of tokens")
    if seed.get("data_dir") is not None and not isinstance(seed["data_dir"], str):
        raise ConfigError(f"{source}: data_dir must be a path, got {seed['data_dir']!r}")
    return CliConfig(**seed, model=model, source=source)


def _model_fields() -> set[str]:
    # imported only when a file has model settings: the model module brings in pydantic
    from ibert_inference.model.language_model import ModelSettings

    return set(ModelSettings.model_fields)
