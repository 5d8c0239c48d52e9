"""The pipeline's settings: a value built once at an edge and passed to what needs it.

``Settings.from_environment()`` reads the ``IBERT_*`` variables (through
:mod:`ibert_inference.settings`, the one module that reads them): ``ibert_assets/definitions.py``
does so once to build the definitions ``dagster dev`` and ``dagster asset materialize`` load;
``ibert-build`` does so and puts its flags over them. The definitions are then built from that
value (``ibert_assets.assembly.build_definitions``): partitions from its templates folder and
repositories file, resources from its store and model settings.

Thresholds (``min_task_examples``, ``near_duplicate_threshold``, ``max_rejection_rate``) and the
``base_model`` are only the *defaults* of the Dagster ``Config`` classes of the assets and checks
that use them: a run's config overrides them, and the UI's launchpad shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ibert_inference.settings import InferenceSettings, SettingsError

PROJECT_ROOT = Path(__file__).resolve().parents[1]

__all__ = ["PROJECT_ROOT", "Settings", "SettingsError"]


def _default_repos_file() -> str:
    here = Path("repos.txt")
    return str(here if here.exists() else PROJECT_ROOT / "repos.txt")


@dataclass(frozen=True)
class Settings(InferenceSettings):
    """Where the data lives and what it is built from, besides what the inference package is
    told (store, cache, sandbox, model); ``ibert_inference.settings.ENVIRONMENT`` names the
    variable of each."""

    repos_file: str = field(default_factory=_default_repos_file)
    templates_dir: str = str(PROJECT_ROOT / "templates")
    repo_cache: str = ""  # empty: see clone_cache
    min_task_examples: int = 500
    synthetic_worlds: int = 160  # generated worlds, one partition each: ibert_assets.synthetic
    near_duplicate_threshold: float = 0.8
    max_rejection_rate: float = 0.2
    base_model: str | None = None  # unset: the packaged SmolLM2 (ibert_inference.model.choice)
    executor: str = "multiprocess"  # or "celery": ibert_assets.executors
    partitions: str = "static"  # or "dynamic": ibert_assets.partitions

    @property
    def clone_cache(self) -> Path:
        """Where repositories are cloned: a local folder even when the store is remote.

        Beside a local data folder (``data/`` -> ``.cache/repos``); for a store at a URL
        (``s3://...``) in iBERT's cache folder, since git needs a real working tree.
        """
        if self.repo_cache:
            return Path(self.repo_cache)
        if not self.store.is_local:
            return self.cache / "repos"
        return Path(self.data_dir.removeprefix("file://")).parent / ".cache" / "repos"
