"""The build's stages come from the asset graph alone."""

from ibert_assets.partitions import task_partitions, template_partitions
from ibert_assets.runner.plan import blocked_by, buildable_assets, on_request_assets, plan
from ibert_assets.runner.steps import StepResult


def test_assets_sharing_a_partitions_definition_run_as_one_stage_in_graph_order():
    stages = {stage.assets: stage for stage in plan(buildable_assets())}
    templates = stages[("template_examples", "augmented_examples")]
    assert templates.partitions == tuple(template_partitions.get_partition_keys())
    mining = next(s for s in stages.values() if "repo_snapshots" in s.assets)
    assert mining.assets[0] == "repo_snapshots"  # what mining reads comes first in its run
    assert set(mining.assets) == {"repo_snapshots", "mined_examples", "docs_examples"}
    assert templates.level == mining.level == 0
    multitask = stages[("multitask_examples",)]
    assert multitask.level == 1 and multitask.partitions == tuple(
        task_partitions.get_partition_keys()
    )
    # unpartitioned, after the splits it reads: fine-tuning runs in the splits' stage
    splits = stages[("train_complete", "fine_tuned_model")]
    assert splits.level == 2 and splits.partitions == (None,)
    # the same task partitions as multitask_examples, but after train_complete: its own stage
    assert stages[("model_evaluation",)].level == 3


def test_a_selection_plans_only_what_it_names():
    assert [s.assets for s in plan(["augmented_examples", "train_complete"])] == [
        ("augmented_examples",),
        ("train_complete",),
    ]


def test_assets_that_run_a_model_are_built_on_request():
    assert on_request_assets() == ["fine_tuned_model", "model_evaluation"]


def test_a_failed_blocking_check_upstream_blocks_a_stage_and_a_plain_failure_does_not():
    (multitask,) = [s for s in plan(buildable_assets()) if s.assets == ("multitask_examples",)]
    failed = StepResult("template_examples", "broken", "failed", error="bad YAML")
    assert blocked_by(multitask, [failed]) is None  # read whole: that partition is left out
    bad_data = StepResult("augmented_examples", "wrong", "failed", blocking_failed=True)
    assert blocked_by(multitask, [failed, bad_data]) is bad_data
    (splits,) = [s for s in plan(buildable_assets()) if "train_complete" in s.assets]
    assert blocked_by(splits, [bad_data]) is bad_data  # an ancestor, not only a parent
