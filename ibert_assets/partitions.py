"""Static partitions, computed from files when the definitions load.

Static, not dynamic: the throwaway instance of `dagster asset materialize` has no dynamic
partitions (and no CLI command adds them), and every partition must materialize from the command
line on a fresh DAGSTER_HOME.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ibert_assets.settings import current_settings
from ibert_inference.dataset.record import TASKS


def templates_dir() -> Path:
    """The templates folder of the settings (``IBERT_TEMPLATES_DIR``, default ``templates/``)."""
    return Path(current_settings().templates_dir)


def template_names(directory: Path | None = None) -> list[str]:
    """One partition per top-level ``*.yaml`` file (``templates/tasks/`` holds per-task ones)."""
    directory = directory or templates_dir()
    return sorted(path.stem for path in directory.glob("*.yaml"))


template_partitions = dg.StaticPartitionsDefinition(template_names())
task_partitions = dg.StaticPartitionsDefinition(list(TASKS))
