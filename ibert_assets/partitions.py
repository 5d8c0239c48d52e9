"""Partitions: static ones computed from the settings' files when the definitions are built, and
dynamic ones, kept in the instance, for what grows without a code change.

Static by default: the throwaway instance of `dagster asset materialize` has no dynamic
partitions (and no CLI command adds them), and every partition must materialize from the command
line on a fresh DAGSTER_HOME. A deployment with a persistent instance sets
``IBERT_PARTITIONS=dynamic``: what grows (the repositories to mine) is then a
``DynamicPartitionsDefinition`` whose keys a sensor and ``ibert-build`` add to the instance, so a
new line in ``repos.txt`` needs no reload of the definitions.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ibert_assets.settings import Settings
from ibert_inference.dataset.record import TASKS
from ibert_inference.settings import ENVIRONMENT, SettingsError

PARTITION_KINDS = ("static", "dynamic")


def template_names(directory: Path) -> list[str]:
    """One partition per top-level ``*.yaml`` file (``templates/tasks/`` holds per-task ones)."""
    return sorted(path.stem for path in directory.glob("*.yaml"))


def template_partitions(settings: Settings) -> dg.StaticPartitionsDefinition:
    """One partition per template file of the settings' templates folder."""
    return dg.StaticPartitionsDefinition(template_names(Path(settings.templates_dir)))


# The six tasks are a constant of the record, not a setting.
task_partitions = dg.StaticPartitionsDefinition(list(TASKS))


def growing_partitions(name: str, keys: list[str], settings: Settings) -> dg.PartitionsDefinition:
    """``keys`` as static partitions, or, with ``IBERT_PARTITIONS=dynamic``, the dynamic
    partitions ``name`` of the instance (``keys`` are then what the build registers there)."""
    if settings.partitions == "static":
        return dg.StaticPartitionsDefinition(keys)
    if settings.partitions == "dynamic":
        return dg.DynamicPartitionsDefinition(name=name)
    raise SettingsError(
        f"{ENVIRONMENT['partitions']}={settings.partitions!r}: choose one of "
        f"{', '.join(PARTITION_KINDS)} (docs/deploy.md), or unset it"
    )


def register_dynamic_partitions(
    defs: dg.Definitions, keys: dict[str, list[str]], instance: dg.DagsterInstance
) -> dict[str, list[str]]:
    """Add to ``instance`` the keys (``keys``: by partitions name) its dynamic partitions lack,
    for every dynamic partitions definition of ``defs``; returns what was added."""
    added: dict[str, list[str]] = {}
    graph = defs.resolve_asset_graph()
    names = {
        node.partitions_def.name
        for node in graph.asset_nodes
        if isinstance(node.partitions_def, dg.DynamicPartitionsDefinition)
        and node.partitions_def.name
    }
    for name in sorted(names):
        known = set(instance.get_dynamic_partitions(name))
        new = [key for key in keys.get(name, []) if key not in known]
        if new:
            instance.add_dynamic_partitions(name, new)
            added[name] = new
    return added
