"""``train_complete``: deduplicated, split without leakage, as JSONL, Parquet and a card."""

import hashlib
import json
import os
import time

import dagster as dg

from ibert_assets import checks
from ibert_assets.charts import chart_metadata
from ibert_assets.metadata import OWNERS, RECORD_COLUMNS, counts_table, dataset_metadata
from ibert_assets.partitions import SPLITS, split_partitions
from ibert_assets.quality import task_figures
from ibert_assets.quality_checks import quality_checks
from ibert_assets.splits.assign import assign_splits, group_key
from ibert_assets.splits.dedup import deduplicate, exact_overlap
from ibert_assets.splits.export import dataset_card, to_parquet_bytes
from ibert_assets.store import DatasetPartition, DatasetStore, partition_path, write_atomic

DEFAULT_NEAR_DUPLICATE_THRESHOLD = 0.8


@dg.asset(
    partitions_def=split_partitions,
    group_name="splits",
    owners=OWNERS,
    kinds={"python", "parquet"},
    description=(
        "The training set: every task's examples, exact duplicates dropped, near duplicates "
        "(MinHash over token shingles, Jaccard >= IBERT_NEAR_DUP_THRESHOLD, default 0.8) kept "
        "in one split, splits by a stable hash of a group key. Also written as "
        "<split>.parquet with a dataset card (README.md) beside it."
    ),
    ins={
        "multitask_examples": dg.AssetIn(
            partition_mapping=dg.AllPartitionMapping(),
            metadata={"allow_missing_partitions": True},
        )
    },
    metadata={"dagster/column_schema": RECORD_COLUMNS},
)
def train_complete(
    context: dg.AssetExecutionContext,
    dataset_store: DatasetStore,
    multitask_examples: dict[str, list[dict]],
) -> dg.Output[DatasetPartition]:
    start = time.perf_counter()
    threshold = float(os.environ.get("IBERT_NEAR_DUP_THRESHOLD", DEFAULT_NEAR_DUPLICATE_THRESHOLD))
    records = [r for key in sorted(multitask_examples) for r in multitask_examples[key]]
    deduplicated = deduplicate(records, threshold=threshold)
    splits = assign_splits(deduplicated.records, deduplicated.cluster_of)
    mine = splits[context.partition_key]
    folder = dataset_store.path("train_complete")
    folder.mkdir(parents=True, exist_ok=True)
    fingerprint = split_fingerprint(deduplicated.records, threshold)
    write_atomic(
        folder / f"{context.partition_key}.source.json",
        json.dumps({"fingerprint": fingerprint, "records": len(mine)}),
    )
    parquet = to_parquet_bytes(mine)
    path = folder / f"{context.partition_key}.parquet"
    if path.protocol in ("", "file", "local"):
        temporary = folder / f".{context.partition_key}.parquet.tmp"
        temporary.write_bytes(parquet)
        os.replace(temporary.path, path.path)
    else:
        path.write_bytes(parquet)
    write_atomic(
        folder / "README.md",
        dataset_card(splits, deduplicated.counts, before=task_figures(records)),
    )
    every_split = sum(len(split) for split in splits.values())
    metadata = dataset_metadata(
        mine, deduplicated.counts, time.perf_counter() - start, total=every_split
    )
    metadata["fingerprint"] = fingerprint
    metadata["per_task"] = counts_table(_tally(mine, "task"), title="examples")
    metadata["per_split"] = chart_metadata(
        {s: len(v) for s, v in splits.items()}, title=f"examples per split ({every_split:,} in all)"
    )
    by_source = _tally(
        [{"source": (r.get("meta") or {}).get("source", "?")} for r in mine], "source"
    )
    metadata["examples_chart"] = chart_metadata(
        {**_tally(mine, "task"), **{f"source: {k}": v for k, v in by_source.items()}},
        title=f"{context.partition_key}: examples per task and source",
    )
    return dg.Output(DatasetPartition(mine), metadata=metadata)


def split_fingerprint(records: list[dict], threshold: float) -> str:
    """What a split was cut from: the deduplicated records and the near-duplicate threshold.

    Splits with one fingerprint come from one assignment; a split with another one was built
    from other data (an earlier build) and must be rebuilt before it is compared.
    """
    digest = hashlib.sha256(f"{threshold}\n".encode())
    for key in sorted(record["id"] for record in records):
        digest.update(key.encode())
    return digest.hexdigest()[:16]


def stored_fingerprint(base: str, split: str) -> str | None:
    path = partition_path(base, "train_complete", split, suffix=".source.json")
    return json.loads(path.read_text())["fingerprint"] if path.exists() else None


def _tally(records: list[dict], field: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in records:
        counts[record[field]] = counts.get(record[field], 0) + 1
    return counts


@dg.asset_check(
    asset=train_complete,
    name="no_leakage",
    blocking=True,
    partitions_def=split_partitions,
    description=(
        "No input of this split appears in another stored split cut from the same data, and no "
        "group straddles them; splits left from another build are named, to be rebuilt."
    ),
)
def no_leakage(
    context: dg.AssetCheckExecutionContext, dataset_store: DatasetStore
) -> dg.AssetCheckResult:
    base, split = dataset_store.base, context.partition_key
    mine = checks.stored_records(base, "train_complete", split)
    fingerprint = stored_fingerprint(base, split)
    overlaps, shared_groups, compared, stale = 0, 0, [], []
    my_groups = {group_key(r) for r in mine}
    for other in SPLITS:
        if other == split:
            continue
        if stored_fingerprint(base, other) != fingerprint:
            stale.append(other)  # built from other data, or not built yet
            continue
        theirs = checks.stored_records(base, "train_complete", other)
        overlaps += len(exact_overlap(mine, theirs))
        shared_groups += len(my_groups & {group_key(r) for r in theirs})
        compared.append(other)
    description = f"{overlaps} inputs and {shared_groups} groups shared with {compared or 'none'}"
    if stale:
        description += f"; {', '.join(stale)} not cut from the same data yet: rebuild to compare"
    return checks.CheckOutcome(
        passed=overlaps == 0 and shared_groups == 0,
        description=description,
        metadata={
            "shared_inputs": overlaps,
            "shared_groups": shared_groups,
            "compared_with": compared,
            "not_comparable": stale,
        },
    ).result()


split_checks = [
    *checks.dataset_checks(train_complete, split_partitions, reverify=False, rejection_rate=False),
    *quality_checks(train_complete, split_partitions),
    no_leakage,
]
