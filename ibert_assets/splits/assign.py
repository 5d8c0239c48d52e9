"""Split assignment by group, sized 80/10/10, with whole templates held out for testing.

Every record of a group (:meth:`Record.group_key`: one template family, one mined file) lands
in one split, and so do groups joined by a near-duplicate cluster or a shared input. The test
split holds two kinds of unseen data: whole *templates* (a schema and domain no training record
comes from, about half of the test split) and unseen *families* or files of the other
templates. Records of the evaluation splits say which in ``meta.held_out`` (``template``,
``world`` for a whole synthetic world, or ``group``).

>>> from ibert_inference.dataset.record import Record, make_id
>>> records = [
...     Record(id=make_id("qa", {"question": f"q{i}"}, {"answer": "a"}), task="qa",
...            input={"question": f"q{i}"}, target={"answer": "a"},
...            meta={"source": "docs", "group": f"g{i}"})
...     for i in range(100)
... ]
>>> {split: len(found) for split, found in assign_splits(records, {}).items()}
{'train': 80, 'validation': 10, 'test': 10}
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from scipy.cluster.hierarchy import DisjointSet

from ibert_assets.splits.dedup import normalized_input
from ibert_inference.dataset.record import Record

SPLITS = ("train", "validation", "test")
DEFAULT_FRACTIONS: Mapping[str, float] = {"train": 0.8, "validation": 0.1, "test": 0.1}


# the share of the test split that whole held-out templates take (the rest: unseen families)
HELD_OUT_TEMPLATE_SHARE = 0.5


def _point(key: str) -> float:
    """A stable pseudo-random point in [0, 1) for ``key``."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def template_of(record: Record) -> str | None:
    """The template file a record was made from (its variants and derived tasks included)."""
    return record.meta.template or None


def assign_splits(
    records: list[Record],
    cluster_of: Mapping[str, str],
    fractions: Mapping[str, float] = DEFAULT_FRACTIONS,
) -> dict[str, list[Record]]:
    """Records by split. Groups joined by a near-duplicate cluster, or by a shared input (one
    prefix with two completions), share one split: no input ever appears in two splits."""
    components: DisjointSet[str] = DisjointSet()
    for record in records:
        group = f"g:{record.group_key()}"
        cluster = f"c:{cluster_of.get(record.id, record.id)}"
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
    members: dict[str, list[Record]] = {}
    for record in sorted(records, key=lambda r: r.id):
        members.setdefault(name[components[f"g:{record.group_key()}"]], []).append(record)
    return _fill_splits(members, fractions)


def _fill_splits(
    members: dict[str, list[Record]], fractions: Mapping[str, float]
) -> dict[str, list[Record]]:
    total = sum(len(found) for found in members.values())
    targets = {split: fractions[split] * total for split in SPLITS}
    held_out = _held_out_templates(members, targets["test"] * HELD_OUT_TEMPLATE_SHARE)
    split_of: dict[str, str] = {}
    filled = dict.fromkeys(SPLITS, 0)
    for component, found in members.items():
        if any(template_of(r) in held_out for r in found):
            split_of[component] = "test"
            filled["test"] += len(found)
    # the rest largest first, each to the split furthest below its size (ties by a stable hash)
    rest = sorted(
        (c for c in members if c not in split_of), key=lambda c: (-len(members[c]), _point(c))
    )
    for component in rest:
        split = max(
            SPLITS, key=lambda s: (targets[s] - filled[s]) / targets[s] if targets[s] else -1.0
        )
        split_of[component] = split
        filled[split] += len(members[component])
    out: dict[str, list[Record]] = {split: [] for split in SPLITS}
    for component, found in members.items():
        split = split_of[component]
        for record in found:
            if split != "train":
                kind = "group"
                if template_of(record) in held_out:  # a synthetic world counts as a template
                    kind = "world" if record.meta.extra("world") else "template"
                record = record.with_meta(held_out=kind)
            out[split].append(record)
    for split in SPLITS:
        out[split].sort(key=lambda r: r.id)
    return out


def _held_out_templates(members: dict[str, list[Record]], goal: float) -> set[str]:
    """Templates, in a stable hashed order, whose components fill about ``goal`` records.

    A template that would overshoot the goal by half is skipped, so a small dataset (one
    template) is never moved into the test split whole.
    """
    size: dict[str, int] = {}
    for found in members.values():
        templates = {template_of(r) for r in found} - {None}
        for template in templates:
            size[str(template)] = size.get(str(template), 0) + len(found)
    chosen: set[str] = set()
    taken = 0
    for template in sorted(size, key=lambda t: _point(f"held-out:{t}")):
        if taken >= goal:
            break
        if taken + size[template] <= goal * 1.5:
            chosen.add(template)
            taken += size[template]
    return chosen
