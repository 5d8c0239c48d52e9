"""Checks of the template datasets, per template partition, over the stored JSON Lines files.

The standard dataset checks (ibert_assets/checks.py): JSON Schema and unique ids (blocking), every
pair verified again on databases of another seed than generation used (blocking; a template whose
examples were all rejected fails here), and the rejection rate (a warning). Augmented variants were
each verified when they were made, and there are five or more per template example: a fixed
sample of them per partition is verified again. ``coherent_records`` reads every record of
both: a renamed schema is one domain's vocabulary, the question uses its nouns, no comparison of
a never-negative column with a negative number (``coherence.py``).
"""

from collections.abc import Iterable
from functools import partial
from pathlib import Path

import dagster as dg

from ibert_assets import checks
from ibert_assets.checks import CheckOutcome, Judgement
from ibert_assets.quality_checks import QUALITY_JUDGEMENTS
from ibert_assets.settings import Settings
from ibert_assets.templates.assets import GENERATION_SEED
from ibert_assets.templates.coherence import record_problems
from ibert_assets.templates.loader import load_template
from ibert_inference.dataset.record import Record

AUGMENTED_REVERIFY_SAMPLE = 100
SHOWN = 5


def template_checks(
    template_examples: dg.AssetsDefinition,
    augmented_examples: dg.AssetsDefinition,
    partitions: dg.PartitionsDefinition,
    settings: Settings,
) -> list[dg.AssetChecksDefinition]:
    """The checks of both template assets (the rejection-rate limit from the settings)."""
    limit = settings.max_rejection_rate
    coherent = Judgement(
        "coherent_records",
        partial(coherence_check, templates_dir=Path(settings.templates_dir)),
        "Every renamed schema is one domain's vocabulary and its question uses its nouns; no "
        "question compares a never-negative column with a negative number.",
    )
    return [
        *checks.dataset_checks(
            template_examples,
            partitions,
            generation_seed=GENERATION_SEED,
            max_rejection_rate=limit,
            also=[*QUALITY_JUDGEMENTS, coherent],
        ),
        *checks.dataset_checks(
            augmented_examples,
            partitions,
            generation_seed=GENERATION_SEED,
            reverify_sample=AUGMENTED_REVERIFY_SAMPLE,
            max_rejection_rate=limit,
            also=[*QUALITY_JUDGEMENTS, coherent],
        ),
    ]


def coherence_check(records: Iterable[Record], templates_dir: Path) -> CheckOutcome:
    """Fails when a record's schema mixes domains (or is not its template's), its question
    speaks of another schema or says "at least or above", or it compares a column that cannot
    be negative with a negative number (:func:`record_problems`)."""
    tables: dict[str, dict[str, dict[str, str]] | None] = {}
    found: dict[str, list[str]] = {}
    checked = 0
    for record in records:
        checked += 1
        name = record.meta.template or ""
        if name not in tables:
            path = templates_dir / f"{name}.yaml"
            tables[name] = load_template(path).tables if name and path.is_file() else None
        problems = record_problems(record, tables[name])
        if problems:
            found[record.id] = problems
    return CheckOutcome(
        passed=not found,
        description=f"{len(found)} of {checked} records incoherent",
        metadata={
            "incoherent_records": len(found),
            "examples": [f"{i}: {'; '.join(p)}"[:300] for i, p in list(found.items())[:SHOWN]],
        },
    )
