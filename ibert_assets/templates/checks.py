"""Checks of the template datasets, per template partition, over the stored JSON Lines files.

The standard dataset checks (ibert_assets/checks.py): JSON Schema and unique ids (blocking), every
pair verified again on databases of another seed than generation used (blocking; a template whose
examples were all rejected fails here), and the rejection rate (a warning).
"""

from ibert_assets import checks
from ibert_assets.partitions import template_partitions
from ibert_assets.templates.assets import GENERATION_SEED, augmented_examples, template_examples

template_checks = [
    *checks.dataset_checks(template_examples, template_partitions, generation_seed=GENERATION_SEED),
    *checks.dataset_checks(
        augmented_examples, template_partitions, generation_seed=GENERATION_SEED
    ),
]
