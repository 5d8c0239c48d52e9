"""``synthetic_examples``: one partition per generated world, its verified SQL<->Ibis pairs."""

from typing import Any

import dagster as dg
from pydantic import Field

from ibert_assets import checks
from ibert_assets.metadata import OWNERS, RECORD_COLUMNS, counts_table, dataset_metadata
from ibert_assets.outcome import Outcome
from ibert_assets.quality_checks import QUALITY_JUDGEMENTS
from ibert_assets.settings import Settings, SettingsError
from ibert_assets.synthetic.examples import (
    DEFAULT_QUERIES_PER_WORLD,
    SyntheticBuild,
    build_synthetic_examples,
    construct_table,
)
from ibert_assets.synthetic.worlds import world_keys
from ibert_inference.settings import ENVIRONMENT

GENERATION_SEED = 0
# every pair was verified when it was made: a fixed sample per world is verified again (160
# worlds x 4 re-verify more pairs than 16 x 10 did)
REVERIFY_SAMPLE = 4


class SyntheticConfig(dg.Config):
    queries_per_world: int = Field(
        default=DEFAULT_QUERIES_PER_WORLD,
        ge=1,
        le=10_000,
        description="queries generated over each world before translation and verification",
    )


def synthetic_partitions(settings: Settings) -> dg.StaticPartitionsDefinition:
    """``world-0000``, ``world-0001``, ...: as many worlds as the settings say
    (``IBERT_SYNTHETIC_WORLDS``; 0 builds none)."""
    if settings.synthetic_worlds < 0:
        raise SettingsError(
            f"{ENVIRONMENT['synthetic_worlds']}={settings.synthetic_worlds}: give a number of "
            "synthetic worlds, 0 or more (0 builds none), or unset it"
        )
    return dg.StaticPartitionsDefinition(world_keys(settings.synthetic_worlds))


def synthetic_metadata(build: SyntheticBuild) -> dict[str, Any]:
    """The dataset metadata, and what only a synthetic world has: its domain and layout, the
    complexity mix, and per construct how many queries were verified, refused or mismatched."""
    rows = construct_table(build.by_construct)
    statuses = sorted({s for _, found in rows for s in found})
    table = "| construct | " + " | ".join(statuses) + " |\n|---|" + "---:|" * len(statuses)
    for construct, found in rows:
        table += f"\n| {construct} | " + " | ".join(str(found.get(s, 0)) for s in statuses) + " |"
    world = build.world
    return {
        **dataset_metadata(build.outcome),
        "world": dg.MetadataValue.text(
            f"{world.domain}, {world.layout}, {len(world.tables)} tables, {world.style} names"
        ),
        "complexity": counts_table(build.levels, title="queries"),
        "by_construct": dg.MetadataValue.md(table),
        "seconds_by_phase": dg.MetadataValue.json(
            {phase: round(seconds, 2) for phase, seconds in build.seconds.items()}
        ),
    }


def synthetic_definitions(settings: Settings) -> dg.Definitions:
    """``synthetic_examples`` and its checks, one partition per world of the settings."""
    partitions = synthetic_partitions(settings)

    @dg.asset(
        partitions_def=partitions,
        group_name="synthetic",
        owners=OWNERS,
        kinds={"ibis", "duckdb"},
        description=(
            "SQL<->Ibis pairs over one generated world (a seeded schema of one domain): typed "
            "queries at four complexity levels, translated by the deterministic translator and "
            "verified by execution; refusals and mismatches are stored as rejects and counted "
            "per construct."
        ),
        metadata={"dagster/column_schema": RECORD_COLUMNS},
    )
    def synthetic_examples(
        context: dg.AssetExecutionContext, config: SyntheticConfig
    ) -> dg.Output[Outcome]:
        build = build_synthetic_examples(
            context.partition_key, queries=config.queries_per_world, seed=GENERATION_SEED
        )
        return dg.Output(build.outcome, metadata=synthetic_metadata(build))

    return dg.Definitions(
        assets=[synthetic_examples],
        asset_checks=[
            *checks.dataset_checks(
                synthetic_examples,
                partitions,
                generation_seed=GENERATION_SEED,
                reverify_sample=REVERIFY_SAMPLE,
                # refusals are the fuzzer's findings, not a bad partition: the rate is a warning
                max_rejection_rate=settings.max_rejection_rate,
                # judged in the same step, over the same reading of the stored world
                also=QUALITY_JUDGEMENTS,
            ),
        ],
    )
