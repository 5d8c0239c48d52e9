"""Every ``IBERT_*`` environment variable, and the one module that reads them.

Settings reach the code as values. The edges read them once and pass on what they read: the
``ibert`` command (environment, then ``config.yaml``, then its flags), ``ibert-build`` (its flags
over the environment) and the one line of ``ibert_assets/definitions.py`` that builds the Dagster
definitions for ``dagster dev`` and ``dagster asset materialize``. Below the edges nothing reads
the environment and nothing writes it.

>>> settings = InferenceSettings.from_environment(
...     {"IBERT_DATA_DIR": "/srv/ibert", "IBERT_SANDBOX_WORKERS": "2", "IBERT_DEVICE": "cpu"}
... )
>>> settings.store.base, settings.sandbox.workers, dict(settings.model)
('/srv/ibert', 2, {'device': 'cpu'})
>>> sorted(settings.environment)
['data_dir', 'sandbox_workers']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Self

from ibert_inference.dataset.layout import DEFAULT_BASE, StoreLayout
from ibert_inference.errors import IbertError
from ibert_inference.sandbox.pool import SandboxSettings

ENVIRONMENT: dict[str, str] = {
    # where the dataset store and iBERT's own cache are
    "data_dir": "IBERT_DATA_DIR",
    "cache_dir": "IBERT_CACHE_DIR",
    # the sandbox's limits
    "sandbox_timeout_s": "IBERT_SANDBOX_TIMEOUT_S",
    "sandbox_workers": "IBERT_SANDBOX_WORKERS",
    "sandbox_statement_timeout_s": "IBERT_SANDBOX_STATEMENT_TIMEOUT_S",
    "sandbox_compile_timeout_s": "IBERT_SANDBOX_COMPILE_TIMEOUT_S",
    "sandbox_duckdb_memory": "IBERT_SANDBOX_DUCKDB_MEMORY",
    # the pipeline (ibert_assets.settings.Settings)
    "repos_file": "IBERT_REPOS_FILE",
    "templates_dir": "IBERT_TEMPLATES_DIR",
    "repo_cache": "IBERT_REPO_CACHE",
    "min_task_examples": "IBERT_MIN_TASK_EXAMPLES",
    "synthetic_worlds": "IBERT_SYNTHETIC_WORLDS",
    "near_duplicate_threshold": "IBERT_NEAR_DUP_THRESHOLD",
    "max_rejection_rate": "IBERT_MAX_REJECTION_RATE",
    "base_model": "IBERT_BASE_MODEL",
    # where Dagster runs the steps: "multiprocess" (one machine) or "celery" (workers)
    "executor": "IBERT_EXECUTOR",
    # "static" (from the files, when the definitions load) or "dynamic" (in the instance)
    "partitions": "IBERT_PARTITIONS",
}
"""Setting -> variable, for the settings of :class:`InferenceSettings` and its subclasses."""

MODEL_ENVIRONMENT: dict[str, str] = {
    "model_name": "IBERT_MODEL_NAME",
    "revision": "IBERT_MODEL_REVISION",
    "gguf_file": "IBERT_GGUF_FILE",
    "device": "IBERT_DEVICE",
    "dtype": "IBERT_DTYPE",
    "temperature": "IBERT_TEMPERATURE",
    "max_new_tokens": "IBERT_MAX_NEW_TOKENS",
    "batch_size": "IBERT_BATCH_SIZE",
    "cache_dir": "IBERT_MODEL_CACHE_DIR",
    "local_files_only": "IBERT_LOCAL_FILES_ONLY",
    "load_in_8bit": "IBERT_LOAD_IN_8BIT",
    "few_shot": "IBERT_FEW_SHOT",
    "examples_path": "IBERT_EXAMPLES_PATH",
    "threads": "IBERT_THREADS",
}
"""Model setting -> variable: one per field of ``ModelSettings`` (validated there)."""


class SettingsError(IbertError, ValueError):
    """An ``IBERT_*`` variable holds a value of the wrong kind."""


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The cache without ``IBERT_CACHE_DIR``: ``$XDG_CACHE_HOME/ibert``, else ``~/.cache/ibert``."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ibert"


# huggingface_hub's spelling of a true environment flag
_TRUE = {"1", "on", "yes", "true"}


def hub_offline() -> bool:
    """Whether the hub must not be contacted: ``HF_HUB_OFFLINE`` (or transformers' older
    ``TRANSFORMERS_OFFLINE``) set, read now rather than when huggingface_hub was imported."""
    flags = (os.environ.get("HF_HUB_OFFLINE", ""), os.environ.get("TRANSFORMERS_OFFLINE", ""))
    return any(flag.strip().lower() in _TRUE for flag in flags)


def hub_cache(cache_dir: str | None = None) -> Path:
    """The Hugging Face cache transformers reads: ``cache_dir`` if given, else ``HF_HUB_CACHE``,
    else ``$HF_HOME/hub``, else ``~/.cache/huggingface/hub`` (huggingface_hub's own order)."""
    if cache_dir:
        return Path(cache_dir).expanduser()
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "huggingface" / "hub"


def _home_cache() -> str:
    return str(Path.home() / ".cache" / "ibert")


def _set_values(variables: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """The variables that are set and not empty, by the setting they set."""
    return {name: environ[var] for name, var in variables.items() if environ.get(var)}


@dataclass(frozen=True)
class InferenceSettings:
    """What the inference package is told: the store, iBERT's cache, the sandbox, the model.

    ``model`` holds the model settings the environment gave, as text (``ModelSettings``
    validates them, with whatever the command line or a config file adds). ``environment``
    names the settings that came from the environment (an explicit variable wins over
    ``config.yaml``'s ``data_dir``; the Dagster store shows its base as ``IBERT_DATA_DIR``).
    """

    data_dir: str = DEFAULT_BASE  # a local folder or any fsspec URL
    cache_dir: str = field(default_factory=_home_cache)
    sandbox_timeout_s: float = 30.0
    sandbox_workers: int = 1
    sandbox_statement_timeout_s: float = 5.0
    sandbox_compile_timeout_s: float = 5.0
    sandbox_duckdb_memory: str = "1GB"
    model: Mapping[str, str] = field(default_factory=dict)
    environment: frozenset[str] = field(default=frozenset(), compare=False)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Self:
        """The defaults, overridden by every ``IBERT_*`` variable that is set and not empty."""
        environ = os.environ if environ is None else environ
        variables = {f.name: ENVIRONMENT[f.name] for f in fields(cls) if f.name in ENVIRONMENT}
        raw = _set_values(variables, environ)
        defaults = cls()
        values: dict[str, Any] = {}
        problems = []
        for name, text in raw.items():
            try:
                values[name] = _typed(name, text, getattr(defaults, name))
            except SettingsError as exc:
                problems.append(str(exc))
        if problems:  # every bad variable at once, not one per try
            raise SettingsError("; ".join(problems))
        if "cache_dir" not in values:
            values["cache_dir"] = str(default_cache_dir(environ))
        settings = cls(
            **values,
            model=_set_values(MODEL_ENVIRONMENT, environ),
            environment=frozenset(raw),
        )
        try:
            settings.sandbox  # noqa: B018  (refused here, where the variables are named)
        except ValueError as exc:
            names = ", ".join(var for n, var in ENVIRONMENT.items() if n.startswith("sandbox_"))
            raise SettingsError(f"{names}: {exc}: correct it or unset it") from None
        return settings

    def override(self, **changes: Any) -> Self:
        """These settings with ``changes`` over them (a flag's, a file's): those no longer
        count as coming from the environment."""
        return replace(self, **changes, environment=self.environment - set(changes))

    @property
    def store(self) -> StoreLayout:
        """The dataset store these settings name."""
        return StoreLayout(self.data_dir)

    @property
    def cache(self) -> Path:
        """iBERT's own cache: converted models, demonstration indexes."""
        return Path(self.cache_dir).expanduser()

    @property
    def sandbox(self) -> SandboxSettings:
        return SandboxSettings(
            timeout_s=self.sandbox_timeout_s,
            workers=self.sandbox_workers,
            statement_timeout_s=self.sandbox_statement_timeout_s,
            compile_timeout_s=self.sandbox_compile_timeout_s,
            duckdb_memory=self.sandbox_duckdb_memory,
        )


def _typed(name: str, text: str, default: Any) -> Any:
    """``text`` as the kind of value ``default`` is (text where the default is None)."""
    kind = str if default is None else type(default)
    try:
        return kind(text)
    except ValueError:
        raise SettingsError(
            f"{ENVIRONMENT[name]}={text!r} is not a valid {kind.__name__} (the default is "
            f"{default!r}): correct it or unset it"
        ) from None
