"""Checks of the template datasets, per template partition, over the stored JSON Lines files.

The standard dataset checks (ibert_assets/checks.py): JSON Schema and unique ids (blocking), every
pair verified again on databases of another seed than generation used (blocking; a template whose
examples were all rejected fails here), and the rejection rate (a warning). Augmented variants were
each verified when they were made, and there are five or more per template example: a fixed
sample of them per partition is verified again.
"""

import dagster as dg

from ibert_assets import checks
from ibert_assets.quality_checks import quality_checks
from ibert_assets.settings import Settings
from ibert_assets.templates.assets import GENERATION_SEED

AUGMENTED_REVERIFY_SAMPLE = 100


def template_checks(
    template_examples: dg.AssetsDefinition,
    augmented_examples: dg.AssetsDefinition,
    partitions: dg.PartitionsDefinition,
    settings: Settings,
) -> list[dg.AssetChecksDefinition]:
    """The checks of both template assets (the rejection-rate limit from the settings)."""
    limit = settings.max_rejection_rate
    return [
        *checks.dataset_checks(
            template_examples,
            partitions,
            generation_seed=GENERATION_SEED,
            max_rejection_rate=limit,
        ),
        *checks.dataset_checks(
            augmented_examples,
            partitions,
            generation_seed=GENERATION_SEED,
            reverify_sample=AUGMENTED_REVERIFY_SAMPLE,
            max_rejection_rate=limit,
        ),
        *quality_checks(template_examples, partitions),
        *quality_checks(augmented_examples, partitions),
    ]
