"""Stable split assignment by group: every record of a group lands in the same split.

>>> split_for_group("template:joins/inner_join")
'train'
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from scipy.cluster.hierarchy import DisjointSet

from ibert_assets.splits.dedup import normalized_input

SPLITS = ("train", "validation", "test")
DEFAULT_FRACTIONS: Mapping[str, float] = {"train": 0.8, "validation": 0.1, "test": 0.1}


def group_key(record: Mapping[str, Any]) -> str:
    """What must never straddle splits: one template example's variants, or one mined file."""
    meta = record.get("meta") or {}
    if meta.get("group"):
        return str(meta["group"])
    provenance = record.get("provenance") or {}
    if provenance.get("path"):
        return f"file:{provenance.get('repo')}/{provenance['path']}"
    if meta.get("template"):
        return f"template:{meta['template']}/{meta.get('family', '')}"
    return f"record:{record['id']}"


def split_for_group(key: str, fractions: Mapping[str, float] = DEFAULT_FRACTIONS) -> str:
    """The split of a group key: a stable hash mapped onto the cumulative fractions."""
    point = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64
    cumulative = 0.0
    for split in SPLITS:
        cumulative += fractions[split]
        if point < cumulative:
            return split
    return SPLITS[-1]


def assign_splits(
    records: list[dict[str, Any]],
    cluster_of: Mapping[str, str],
    fractions: Mapping[str, float] = DEFAULT_FRACTIONS,
) -> dict[str, list[dict[str, Any]]]:
    """Records by split. Groups joined by a near-duplicate cluster, or by a shared input (one
    prefix with two completions), share one split: no input ever appears in two splits."""
    components: DisjointSet[str] = DisjointSet()
    for record in records:
        group = f"g:{group_key(record)}"
        cluster = f"c:{cluster_of.get(record['id'], record['id'])}"
        same_input = f"i:{normalized_input(record)}"
        for node in (group, cluster, same_input):
            components.add(node)
        components.merge(cluster, group)
        components.merge(same_input, group)
    # the component's name is its smallest group key, so the split does not depend on order
    name: dict[str, str] = {}
    for node in components:
        if node.startswith("g:"):
            top = components[node]
            name[top] = min(name.get(top, node[2:]), node[2:])
    out: dict[str, list[dict[str, Any]]] = {split: [] for split in SPLITS}
    for record in sorted(records, key=lambda r: r["id"]):
        component = name[components[f"g:{group_key(record)}"]]
        out[split_for_group(component, fractions)].append(record)
    return out
