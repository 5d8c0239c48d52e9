"""The pipeline's settings, and the one place that reads their ``IBERT_*`` environment variables.

Environment variables are the documented way for a user to change a setting without editing code
(README, "Settings"). Every other module asks :func:`current_settings`; a process that builds with
explicit settings (``ibert-build --data-dir ...``) installs them with :func:`use_settings` instead
of writing to ``os.environ``, and hands the same object to its worker processes.

Thresholds (``min_task_examples``, ``near_duplicate_threshold``, ``max_rejection_rate``) are only
the *defaults* of the Dagster ``Config`` classes of the assets and checks that use them: a run's
config overrides them, and the UI's launchpad shows them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from ibert_inference.errors import IbertError

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(IbertError, ValueError):
    """An ``IBERT_*`` variable holds a value of the wrong kind."""


# The user-facing overrides, by setting.
ENVIRONMENT = {
    "data_dir": "IBERT_DATA_DIR",
    "repos_file": "IBERT_REPOS_FILE",
    "templates_dir": "IBERT_TEMPLATES_DIR",
    "repo_cache": "IBERT_REPO_CACHE",
    "min_task_examples": "IBERT_MIN_TASK_EXAMPLES",
    "near_duplicate_threshold": "IBERT_NEAR_DUP_THRESHOLD",
    "max_rejection_rate": "IBERT_MAX_REJECTION_RATE",
}


def _default_repos_file() -> str:
    here = Path("repos.txt")
    return str(here if here.exists() else PROJECT_ROOT / "repos.txt")


@dataclass(frozen=True)
class Settings:
    """Where the data lives and what it is built from; see :data:`ENVIRONMENT` for overrides."""

    data_dir: str = "data"  # any fsspec URL: a local folder, s3://bucket/ibert, memory://...
    repos_file: str = field(default_factory=_default_repos_file)
    templates_dir: str = str(PROJECT_ROOT / "templates")
    repo_cache: str = ""  # empty: see clone_cache
    min_task_examples: int = 500
    near_duplicate_threshold: float = 0.8
    max_rejection_rate: float = 0.2

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The defaults, overridden by every ``IBERT_*`` variable that is set and not empty."""
        environ = os.environ if environ is None else environ
        settings = cls()
        for setting in fields(cls):
            variable = ENVIRONMENT[setting.name]
            raw = environ.get(variable, "")
            if raw:
                kind = type(getattr(settings, setting.name))
                try:
                    value = kind(raw)
                except ValueError:
                    raise SettingsError(
                        f"{variable}={raw!r} is not a valid {kind.__name__} (the default is "
                        f"{getattr(cls(), setting.name)!r}): correct it or unset it"
                    ) from None
                settings = replace(settings, **{setting.name: value})
        return settings

    @property
    def clone_cache(self) -> Path:
        """Where repositories are cloned: a local folder even when the store is remote.

        Beside a local data folder (``data/`` -> ``.cache/repos``); for a store at a URL
        (``s3://...``) in the user's cache folder, since git needs a real working tree.
        """
        if self.repo_cache:
            return Path(self.repo_cache)
        if "://" in self.data_dir and not self.data_dir.startswith("file://"):
            return Path.home() / ".cache" / "ibert" / "repos"
        return Path(self.data_dir.removeprefix("file://")).parent / ".cache" / "repos"


_installed: Settings | None = None


def use_settings(settings: Settings | None) -> None:
    """Make ``settings`` this process's settings (None: read the environment again)."""
    global _installed
    _installed = settings


def current_settings() -> Settings:
    """The installed settings, else the environment's."""
    return _installed if _installed is not None else Settings.from_env()
