"""Template datasets: expansions of the SQL<->Ibis templates, and their verified variants."""

from pathlib import Path

import dagster as dg

from ibert_assets.metadata import OWNERS, RECORD_COLUMNS, dataset_metadata
from ibert_assets.outcome import Outcome
from ibert_assets.settings import Settings
from ibert_assets.templates.verified_pairs import (
    build_augmented_examples,
    build_template_examples,
)
from ibert_inference.dataset.record import Record

GENERATION_SEED = 0


def template_assets(
    settings: Settings, partitions: dg.PartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """``template_examples`` and ``augmented_examples``: one partition per template file of the
    settings' templates folder."""
    templates_dir = Path(settings.templates_dir)

    @dg.asset(
        partitions_def=partitions,
        group_name="templates",
        owners=OWNERS,
        kinds={"ibis", "duckdb"},
        description=(
            "SQL<->Ibis pairs expanded from one template file of templates/, each verified by "
            "executing both sides on generated DuckDB databases. Rejects (with reasons) are "
            "stored beside the records."
        ),
        metadata={"dagster/column_schema": RECORD_COLUMNS},
    )
    def template_examples(context: dg.AssetExecutionContext) -> dg.Output[Outcome]:
        path = templates_dir / f"{context.partition_key}.yaml"
        outcome = build_template_examples(path, seed=GENERATION_SEED)
        return dg.Output(outcome, metadata=dataset_metadata(outcome))

    @dg.asset(
        partitions_def=partitions,
        group_name="templates",
        owners=OWNERS,
        kinds={"ibis", "duckdb"},
        description=(
            "Variants of each verified template pair: identifiers renamed consistently, "
            "literals changed, comparisons flipped, operands commuted, other Ibis spellings; "
            "every variant verified again."
        ),
        metadata={"dagster/column_schema": RECORD_COLUMNS},
    )
    def augmented_examples(
        context: dg.AssetExecutionContext, template_examples: list[Record]
    ) -> dg.Output[Outcome]:
        outcome = build_augmented_examples(template_examples, seed=GENERATION_SEED)
        return dg.Output(outcome, metadata=dataset_metadata(outcome))

    return [template_examples, augmented_examples]
