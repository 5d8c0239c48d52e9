"""Static partitions, computed from the settings' files when the definitions are built.

Static, not dynamic: the throwaway instance of `dagster asset materialize` has no dynamic
partitions (and no CLI command adds them), and every partition must materialize from the command
line on a fresh DAGSTER_HOME.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ibert_assets.settings import Settings
from ibert_inference.dataset.record import TASKS


def template_names(directory: Path) -> list[str]:
    """One partition per top-level ``*.yaml`` file (``templates/tasks/`` holds per-task ones)."""
    return sorted(path.stem for path in directory.glob("*.yaml"))


def template_partitions(settings: Settings) -> dg.StaticPartitionsDefinition:
    """One partition per template file of the settings' templates folder."""
    return dg.StaticPartitionsDefinition(template_names(Path(settings.templates_dir)))


# The six tasks are a constant of the record, not a setting.
task_partitions = dg.StaticPartitionsDefinition(list(TASKS))
