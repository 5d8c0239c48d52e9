"""The build's stages come from the asset graph alone."""

from pathlib import Path

import dagster as dg
import pytest

from ibert_assets.assembly import build_definitions
from ibert_assets.partitions import task_partitions, template_names
from ibert_assets.runner.plan import blocked_by, buildable_assets, on_request_assets, plan
from ibert_assets.runner.steps import StepResult
from ibert_assets.settings import Settings
from ibert_assets.synthetic.worlds import world_keys


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    return build_definitions(Settings())


def test_assets_sharing_a_partitions_definition_run_as_one_stage_in_graph_order(
    defs: dg.Definitions,
):
    stages = {stage.assets: stage for stage in plan(defs, buildable_assets(defs))}
    templates = stages[("template_examples", "augmented_examples")]
    assert templates.partitions == tuple(template_names(Path(Settings().templates_dir)))
    mining = next(s for s in stages.values() if "repo_snapshots" in s.assets)
    assert mining.assets[0] == "repo_snapshots"  # what mining reads comes first in its run
    assert set(mining.assets) == {"repo_snapshots", "mined_examples", "docs_examples"}
    assert templates.level == mining.level == 0
    synthetic = stages[("synthetic_examples",)]
    assert synthetic.level == 0 and synthetic.partitions == tuple(
        world_keys(Settings().synthetic_worlds)
    )
    multitask = stages[("multitask_examples",)]
    assert multitask.level == 1 and multitask.partitions == tuple(
        task_partitions.get_partition_keys()
    )
    # unpartitioned, after the splits it reads: fine-tuning runs in the splits' stage
    splits = stages[("train_complete", "fine_tuned_model")]
    assert splits.level == 2 and splits.partitions == (None,)
    # the same task partitions as multitask_examples, but after train_complete: its own stage
    assert stages[("model_evaluation",)].level == 3


def test_the_stages_partitions_are_those_of_the_settings(tmp_path: Path):
    (tmp_path / "only.yaml").write_text("")
    repos = tmp_path / "repos.txt"
    repos.write_text("installed:ibis|one\n")
    defs = build_definitions(Settings(templates_dir=str(tmp_path), repos_file=str(repos)))
    stages = {stage.assets[0]: stage for stage in plan(defs, buildable_assets(defs))}
    assert stages["template_examples"].partitions == ("only",)
    assert stages["repo_snapshots"].partitions == ("one",)


def test_a_selection_plans_only_what_it_names(defs: dg.Definitions):
    assert [s.assets for s in plan(defs, ["augmented_examples", "train_complete"])] == [
        ("augmented_examples",),
        ("train_complete",),
    ]


def test_assets_that_run_a_model_are_built_on_request(defs: dg.Definitions):
    assert on_request_assets(defs) == ["fine_tuned_model", "model_evaluation"]


def test_a_failed_blocking_check_upstream_blocks_a_stage_and_a_plain_failure_does_not(
    defs: dg.Definitions,
):
    stages = plan(defs, buildable_assets(defs))
    (multitask,) = [s for s in stages if s.assets == ("multitask_examples",)]
    failed = StepResult("template_examples", "broken", "failed", error="bad YAML")
    assert blocked_by(defs, multitask, [failed]) is None  # read whole: that partition is left out
    bad_data = StepResult("augmented_examples", "wrong", "failed", blocking_failed=True)
    assert blocked_by(defs, multitask, [failed, bad_data]) is bad_data
    (splits,) = [s for s in stages if "train_complete" in s.assets]
    assert blocked_by(defs, splits, [bad_data]) is bad_data  # an ancestor, not only a parent
