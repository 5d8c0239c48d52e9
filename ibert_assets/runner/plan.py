"""The stages of a build, read from the asset graph: no asset names, no priorities."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from ibert_assets.resources import MODEL_RESOURCE_KEY
from ibert_assets.runner.steps import StepResult


@dataclass(frozen=True)
class Stage:
    """Assets sharing a partitions definition, run together for one partition at a time."""

    level: int
    assets: tuple[str, ...]
    partitions: tuple[str | None, ...]  # (None,) for an unpartitioned stage


def plan(
    defs: dg.Definitions, selected: list[str], instance: dg.DagsterInstance | None = None
) -> list[Stage]:
    """The stages of ``selected``, in an order that runs every asset after what it reads
    (dynamic partitions: those ``instance`` holds)."""
    graph = defs.resolve_asset_graph()
    level: dict[str, int] = {}
    partitions: dict[str, tuple[str | None, ...]] = {}
    for key in graph.toposorted_asset_keys:
        name, node = key.to_user_string(), graph.get(key)
        if name in selected:
            keys = (
                node.partitions_def.get_partition_keys(dynamic_partitions_store=instance)
                if node.partitions_def
                else [None]
            )
            partitions[name] = tuple(keys)
            parents = [p.to_user_string() for p in node.parent_keys]
            level[name] = max(
                (level[p] + (partitions[p] != partitions[name]) for p in parents if p in level),
                default=0,
            )
    stages: dict[tuple[int, tuple[str | None, ...]], list[str]] = {}
    for name in level:  # in topological order
        stages.setdefault((level[name], partitions[name]), []).append(name)
    return [Stage(lv, tuple(names), keys) for (lv, keys), names in stages.items()]


def buildable_assets(defs: dg.Definitions) -> list[str]:
    """Every asset, in topological order."""
    graph = defs.resolve_asset_graph()
    return [key.to_user_string() for key in graph.toposorted_asset_keys]


def on_request_assets(defs: dg.Definitions) -> list[str]:
    """Assets that run or train a model (they need the model resource, or PyTorch): built only
    when selected; a model must be configured, and on a CPU training takes hours."""
    graph = defs.resolve_asset_graph()
    on_request = []
    for name in buildable_assets(defs):
        key = dg.AssetKey.from_user_string(name)
        needs_model = MODEL_RESOURCE_KEY in defs.resolve_assets_def(name).required_resource_keys
        if needs_model or "pytorch" in graph.get(key).kinds:
            on_request.append(name)
    return on_request


def blocked_by(defs: dg.Definitions, stage: Stage, ended: list[StepResult]) -> StepResult | None:
    """A step this stage reads, directly or not, that failed a blocking check."""
    graph = defs.resolve_asset_graph()
    ancestors: set[str] = set()
    for asset in stage.assets:
        keys = graph.get_ancestor_asset_keys(dg.AssetKey.from_user_string(asset))
        ancestors |= {key.to_user_string() for key in keys}
    return next((r for r in ended if r.asset in ancestors and r.blocking_failed), None)
