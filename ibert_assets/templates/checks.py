"""Checks of the template datasets, per template partition, over the stored JSON Lines files.

The standard dataset checks (ibert_assets/checks.py): JSON Schema and unique ids (blocking), every
pair verified again on databases of another seed than generation used (blocking; a template whose
examples were all rejected fails here), and the rejection rate (a warning). Augmented variants were
each verified when they were made, and there are five or more per template example: a fixed
sample of them per partition is verified again.
"""

from ibert_assets import checks
from ibert_assets.partitions import template_partitions
from ibert_assets.quality_checks import quality_checks
from ibert_assets.templates.assets import GENERATION_SEED, augmented_examples, template_examples

AUGMENTED_REVERIFY_SAMPLE = 100

template_checks = [
    *checks.dataset_checks(template_examples, template_partitions, generation_seed=GENERATION_SEED),
    *checks.dataset_checks(
        augmented_examples,
        template_partitions,
        generation_seed=GENERATION_SEED,
        reverify_sample=AUGMENTED_REVERIFY_SAMPLE,
    ),
    *quality_checks(template_examples, template_partitions),
    *quality_checks(augmented_examples, template_partitions),
]
