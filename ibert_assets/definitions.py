"""The Dagster definitions: assembled here, defined in the domain modules."""

import dagster as dg

from ibert_assets.evaluation.assets import evaluate_models, model_evaluation
from ibert_assets.mining.assets import (
    docs_examples,
    mined_examples,
    mining_checks,
    remine_job,
    repo_snapshots,
    weekly_remine,
)
from ibert_assets.multitask.assets import multitask_checks, multitask_examples
from ibert_assets.resources import default_resources
from ibert_assets.splits.assets import split_checks, train_complete
from ibert_assets.templates.assets import augmented_examples, template_examples
from ibert_assets.templates.checks import template_checks
from ibert_assets.training.assets import fine_tuned_model

defs = dg.Definitions(
    assets=[
        template_examples,
        augmented_examples,
        repo_snapshots,
        mined_examples,
        docs_examples,
        multitask_examples,
        train_complete,
        fine_tuned_model,
        model_evaluation,
    ],
    asset_checks=[*template_checks, *mining_checks, *multitask_checks, *split_checks],
    jobs=[remine_job, evaluate_models],
    schedules=[weekly_remine],
    resources=default_resources(),
)
