"""``train_complete``: deduplicated, split without leakage, as JSONL, Parquet and a card.

One asset makes all three splits in one step, so they are cut from the same data by construction;
it is stored as ``<base>/train_complete/<split>.jsonl`` (+ ``.parquet``, and the card README.md).
"""

import os
import time
from collections import Counter
from collections.abc import Mapping

import dagster as dg
from pydantic import Field
from upath import UPath

from ibert_assets import checks
from ibert_assets.charts import chart_metadata
from ibert_assets.metadata import OWNERS, RECORD_COLUMNS, counts_table, dataset_metadata
from ibert_assets.outcome import Outcome
from ibert_assets.quality import shapes_parsed_meanwhile, sql_of, task_figures
from ibert_assets.quality_checks import QUALITY_JUDGEMENTS
from ibert_assets.settings import Settings
from ibert_assets.splits.assign import SPLITS, assign_splits
from ibert_assets.splits.dedup import deduplicate, normalized_input
from ibert_assets.splits.export import dataset_card, to_parquet_bytes
from ibert_assets.store import DatasetStore, SplitDataset, write_atomic
from ibert_inference.dataset.layout import TRAIN_COMPLETE
from ibert_inference.dataset.record import Record


def _write_bytes(path: UPath, data: bytes) -> None:
    """Put ``data`` at ``path`` in one step (a rename locally, a single put on object stores)."""
    if path.protocol in ("", "file", "local"):
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary.path, path.path)
    else:
        path.write_bytes(data)


def split_definitions(settings: Settings) -> dg.Definitions:
    """``train_complete`` and its checks; the near-duplicate threshold's default is the
    settings' (``IBERT_NEAR_DUP_THRESHOLD``), a run's config may change it."""

    class SplitConfig(dg.Config):
        near_duplicate_threshold: float = Field(
            default=settings.near_duplicate_threshold,
            ge=0.0,
            le=1.0,
            description="MinHash Jaccard similarity at which two inputs are near duplicates "
            f"(default: IBERT_NEAR_DUP_THRESHOLD or {Settings.near_duplicate_threshold})",
        )

    @dg.asset(
        group_name="splits",
        owners=OWNERS,
        kinds={"python", "parquet"},
        description=(
            "The training set, split into train, validation and test: every task's examples, "
            "exact duplicates dropped, near duplicates (MinHash over token shingles, Jaccard >= "
            "the configured threshold) kept in one split, whole groups assigned 80/10/10 with "
            "whole templates held out in the test split (meta.held_out). Stored as "
            "train_complete/<split>.jsonl and <split>.parquet with a dataset card (README.md) "
            "beside them."
        ),
        ins={
            "multitask_examples": dg.AssetIn(
                partition_mapping=dg.AllPartitionMapping(),
                metadata={"allow_missing_partitions": True},
            )
        },
        metadata={"dagster/column_schema": RECORD_COLUMNS, "splits": list(SPLITS)},
    )
    def train_complete(
        config: SplitConfig,
        dataset_store: DatasetStore,
        multitask_examples: dict[str, list[Record]],
    ) -> dg.Output[SplitDataset]:
        records = [r for key in sorted(multitask_examples) for r in multitask_examples[key]]
        return cut_splits(records, config.near_duplicate_threshold, dataset_store)

    # judged with the other checks, over the same reading of the stored splits: ~98,000
    # records are parsed once for all of them
    no_leakage = checks.Judgement(
        "no_leakage",
        leakage_check,
        "No input appears in two stored splits, and no group straddles two.",
        blocking=True,
        by_part=True,
    )
    return dg.Definitions(
        assets=[train_complete],
        asset_checks=checks.dataset_checks(
            train_complete,
            None,
            parts=SPLITS,
            reverify=False,
            rejection_rate=False,
            also=[*QUALITY_JUDGEMENTS, no_leakage],
        ),
    )


def cut_splits(
    records: list[Record], threshold: float, store: DatasetStore
) -> dg.Output[SplitDataset]:
    """Deduplicate and split ``records``; write the Parquet files and the card beside the
    JSON Lines the I/O manager stores; the splits with their figures as metadata."""
    start = time.perf_counter()
    # the quality figures' SQL, parsed in other processes while this one splits
    with shapes_parsed_meanwhile(found for found in map(sql_of, records) if found):
        deduplicated = deduplicate(records, threshold=threshold)
        splits = assign_splits(deduplicated.records, deduplicated.cluster_of)
    folder = store.path(TRAIN_COMPLETE)
    folder.mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        _write_bytes(store.layout.split(split, ".parquet"), to_parquet_bytes(rows))
    write_atomic(
        folder / "README.md",
        dataset_card(splits, deduplicated.counts, before=task_figures(records)),
    )
    everything = [r for rows in splits.values() for r in rows]
    seconds = time.perf_counter() - start
    metadata = dataset_metadata(
        Outcome(everything, counts=deduplicated.counts, seconds=seconds), total=len(everything)
    )
    per_task = {split: Counter[str](r.task for r in rows) for split, rows in splits.items()}
    metadata["per_split"] = chart_metadata(
        {s: len(v) for s, v in splits.items()},
        title=f"examples per split ({len(everything):,} in all)",
    )
    metadata["per_task"] = counts_table(sum(per_task.values(), Counter()), title="examples")
    by_source = Counter(r.meta.source for r in everything)
    metadata["examples_chart"] = chart_metadata(
        {
            **{
                f"{split}: {task}": n
                for split, tasks in per_task.items()
                for task, n in tasks.items()
            },
            **{f"source: {k}": v for k, v in by_source.items()},
        },
        title="examples per split and task, and per source",
    )
    return dg.Output(
        SplitDataset({split: Outcome(rows) for split, rows in splits.items()}),
        metadata=metadata,
    )


def leakage_check(stored: Mapping[str, list[Record]]) -> checks.CheckOutcome:
    """No input in two of the ``stored`` splits (records by split), no group across two."""
    # each split's inputs and groups once, not once per other split
    inputs = {split: {normalized_input(r) for r in found} for split, found in stored.items()}
    groups = {split: {r.group_key() for r in found} for split, found in stored.items()}
    overlaps, shared_groups = 0, 0
    names = list(stored)
    for index, split in enumerate(names):
        for other in names[index + 1 :]:
            overlaps += len(inputs[split] & inputs[other])
            shared_groups += len(groups[split] & groups[other])
    return checks.CheckOutcome(
        passed=overlaps == 0 and shared_groups == 0,
        description=f"{overlaps} inputs and {shared_groups} groups shared between splits",
        metadata={"shared_inputs": overlaps, "shared_groups": shared_groups},
    )
