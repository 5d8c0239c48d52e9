"""Per-task datasets built from every verified upstream dataset."""

import random
import time

import dagster as dg
from pydantic import Field

from ibert_assets import checks
from ibert_assets.metadata import OWNERS, RECORD_COLUMNS, dataset_metadata
from ibert_assets.outcome import Outcome
from ibert_assets.partitions import task_partitions
from ibert_assets.quality_checks import QUALITY_JUDGEMENTS
from ibert_assets.settings import Settings
from ibert_assets.store import DatasetStore
from ibert_assets.tasks import build_task
from ibert_assets.tasks.task_templates import TaskTemplates
from ibert_inference.dataset.record import Record

REVERIFY_SAMPLE = 200


def _every_partition() -> dg.AssetIn:
    return dg.AssetIn(
        partition_mapping=dg.AllPartitionMapping(), metadata={"allow_missing_partitions": True}
    )


def _flatten(by_partition: dict[str, list[Record]]) -> list[Record]:
    return [record for key in sorted(by_partition) for record in by_partition[key]]


def multitask_definitions(settings: Settings) -> dg.Definitions:
    """``multitask_examples`` and its checks: worded by the per-task templates of the settings'
    templates folder; the minimum per task defaults to the settings' (``IBERT_MIN_TASK_EXAMPLES``),
    a run's config may change it."""
    templates = TaskTemplates.of(settings.templates_dir)

    @dg.asset(
        partitions_def=task_partitions,
        group_name="multitask",
        owners=OWNERS,
        kinds={"python"},
        description=(
            "Examples of one of the six tasks, built from every verified pair and documentation "
            "example: SQL->Ibis, Ibis->SQL in several dialects, completion prefixes cut at "
            "syntactic boundaries, broken code with its real error and verified fix, Q&A, and "
            "functions with checked docstrings."
        ),
        ins={
            "template_examples": _every_partition(),
            "augmented_examples": _every_partition(),
            "mined_examples": _every_partition(),
            "docs_examples": _every_partition(),
            "synthetic_examples": _every_partition(),
        },
        metadata={"dagster/column_schema": RECORD_COLUMNS},
    )
    def multitask_examples(
        context: dg.AssetExecutionContext,
        template_examples: dict[str, list[Record]],
        augmented_examples: dict[str, list[Record]],
        mined_examples: dict[str, list[Record]],
        docs_examples: dict[str, list[Record]],
        synthetic_examples: dict[str, list[Record]],
    ) -> dg.Output[Outcome]:
        start = time.perf_counter()
        build = build_task(
            context.partition_key,
            template_pairs=_flatten(template_examples),
            augmented_pairs=_flatten(augmented_examples),
            mined=_flatten(mined_examples),
            docs=_flatten(docs_examples),
            synthetic_pairs=_flatten(synthetic_examples),
            templates=templates,
        )
        build.seconds = time.perf_counter() - start
        return dg.Output(build, metadata=dataset_metadata(build))

    reverified_sample = checks.Judgement(
        "reverified_sample",
        _reverified_sample,
        f"Up to {REVERIFY_SAMPLE} pairs of the task verify again with a fresh seed.",
        blocking=True,
    )
    return dg.Definitions(
        assets=[multitask_examples],
        asset_checks=[
            *checks.dataset_checks(
                multitask_examples,
                task_partitions,
                reverify=False,
                rejection_rate=False,
                also=[reverified_sample, *QUALITY_JUDGEMENTS],
            ),
            minimum_examples_check(multitask_examples, settings.min_task_examples),
        ],
    )


def minimum_examples_check(asset: dg.AssetsDefinition, default: int) -> dg.AssetChecksDefinition:
    """``minimum_examples``, blocking: each task holds at least the configured number of
    examples; ``default`` (the settings' ``IBERT_MIN_TASK_EXAMPLES``) until a run's config
    says otherwise."""

    class MinimumExamplesConfig(dg.Config):
        minimum: int = Field(
            default=default,
            ge=0,
            description="examples each task must hold "
            f"(default: IBERT_MIN_TASK_EXAMPLES or {Settings.min_task_examples})",
        )

    @checks.asset_check(
        asset=asset,
        name="minimum_examples",
        blocking=True,
        partitions_def=task_partitions,
        description=f"Each task holds at least the configured number of examples (default "
        f"{default}).",
    )
    def minimum_examples(
        context: dg.AssetCheckExecutionContext,
        config: MinimumExamplesConfig,
        dataset_store: DatasetStore,
    ) -> dg.AssetCheckResult:
        outcome = enough_examples(dataset_store, context.partition_key, config.minimum)
        return outcome.result(partition=context.partition_key)

    return minimum_examples


def enough_examples(store: DatasetStore, task: str, minimum: int) -> checks.CheckOutcome:
    """The stored partition of ``task`` holds at least ``minimum`` records (lines counted)."""
    stored = checks.stored_lines(store.base, "multitask_examples", task)
    return checks.CheckOutcome(
        passed=len(stored) >= minimum,
        description=f"{len(stored)} examples (minimum {minimum})",
        metadata={"examples": len(stored), "minimum": minimum},
    )


def _reverified_sample(records: list[Record]) -> checks.CheckOutcome:
    sample = random.Random(0).sample(records, min(len(records), REVERIFY_SAMPLE))
    return checks.reverify_check(
        sample, seed=checks.REVERIFY_SEED_OFFSET + 1, require_records=False
    )
