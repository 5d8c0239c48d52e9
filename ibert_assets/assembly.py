"""The Dagster definitions of one ``Settings`` value: every domain's assets, checks, jobs and
schedules, and the resources, assembled (defined in the domain modules).

Nothing here reads the environment: ``ibert_assets/definitions.py`` builds ``defs`` from it for
Dagster's CLI and UI, ``ibert-build`` from its flags over it, a test from whatever it chooses.
Partitions are computed here, from the settings' templates folder and repositories file.
"""

from __future__ import annotations

import dagster as dg

from ibert_assets.evaluation.assets import evaluation_definitions
from ibert_assets.executors import executor_for
from ibert_assets.library_logs import route_library_logs
from ibert_assets.mining.assets import mining_definitions
from ibert_assets.mining.repos import REPO_PARTITIONS, repo_names
from ibert_assets.multitask.assets import multitask_definitions
from ibert_assets.partitions import growing_partitions, template_partitions
from ibert_assets.resources import default_resources
from ibert_assets.settings import Settings
from ibert_assets.splits.assets import split_definitions
from ibert_assets.synthetic.assets import synthetic_definitions
from ibert_assets.templates.assets import template_assets
from ibert_assets.templates.checks import template_checks
from ibert_assets.training.assets import training_definitions
from ibert_inference import sandbox
from ibert_inference.compiler import ibis_dialects_in_force


def build_definitions(settings: Settings) -> dg.Definitions:
    """The definitions ``settings`` describe.

    Building them also gives this process's sandbox the settings' limits, and routes what
    libraries log to the step's log (``library_logs``): every process that runs a step
    (Dagster's step workers, the build's) builds the definitions first.
    """
    route_library_logs()  # first: sandbox workers forked from here inherit it
    # before any step writes SQL, so that every record's SQL in a dialect Ibis adds to is
    # written with Ibis's additions (sqlglot's transpiles included), whatever ran first
    ibis_dialects_in_force()
    sandbox.configure(settings.sandbox)
    templates = template_partitions(settings)
    repos = dynamic_partition_keys(settings)[REPO_PARTITIONS]
    template_examples, augmented_examples = template_assets(settings, templates)
    return dg.Definitions.merge(
        dg.Definitions(
            assets=[template_examples, augmented_examples],
            asset_checks=template_checks(
                template_examples, augmented_examples, templates, settings
            ),
        ),
        mining_definitions(settings, growing_partitions(REPO_PARTITIONS, repos, settings)),
        synthetic_definitions(settings),
        multitask_definitions(settings),
        split_definitions(settings),
        training_definitions(settings),
        evaluation_definitions(settings),
        dg.Definitions(
            resources=default_resources(settings), executor=executor_for(settings.executor)
        ),
    )


def dynamic_partition_keys(settings: Settings) -> dict[str, list[str]]:
    """The keys of every partitions definition that grows, by name, as the settings' files give
    them: static partitions are made of them; dynamic ones are registered with them."""
    return {REPO_PARTITIONS: repo_names(settings.repos_file)}
