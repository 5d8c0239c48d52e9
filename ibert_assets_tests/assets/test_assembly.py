"""The definitions of a Settings value: partitions, Config defaults and resources from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from ibert_assets.assembly import build_definitions
from ibert_assets.settings import Settings
from ibert_inference import sandbox


def config_default(node: Any, field: str) -> Any:
    return node.config_schema.as_field().config_type.fields[field].default_value


def check_node(defs: dg.Definitions, asset: str, name: str) -> Any:
    for checks in defs.asset_checks or ():
        assert isinstance(checks, dg.AssetChecksDefinition)
        if any(s.name == name and s.asset_key == dg.AssetKey(asset) for s in checks.check_specs):
            return checks.node_def
    raise AssertionError(f"no check {name} of {asset}")


def test_the_partitions_come_from_the_settings_files(tmp_path: Path):
    (tmp_path / "tasks").mkdir()
    for name in ("zoo.yaml", "alpha.yaml", "notes.txt", "tasks/qa.yaml"):
        (tmp_path / name).write_text("description: x\n")
    repos = tmp_path / "repos.txt"
    repos.write_text("installed:ibis|ibis-installed\n# a comment\n/srv/clone|local\n")
    defs = build_definitions(Settings(templates_dir=str(tmp_path), repos_file=str(repos)))
    specs = {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}
    keys = {name: spec.partitions_def.get_partition_keys() for name, spec in specs.items()
            if spec.partitions_def is not None}  # fmt: skip
    assert keys["template_examples"] == keys["augmented_examples"] == ["alpha", "zoo"]
    assert keys["repo_snapshots"] == keys["docs_examples"] == ["ibis-installed", "local"]
    graph = defs.resolve_asset_graph()
    check = graph.get_check_spec(dg.AssetCheckKey(dg.AssetKey("template_examples"), "ids_unique"))
    assert check.partitions_def is not None
    assert check.partitions_def.get_partition_keys() == ["alpha", "zoo"]


def test_thresholds_and_the_base_model_are_the_config_defaults():
    settings = Settings(
        min_task_examples=7, near_duplicate_threshold=0.5, max_rejection_rate=0.3,
        base_model="/models/base",
    )  # fmt: skip
    defs = build_definitions(settings)
    assert (
        config_default(defs.resolve_assets_def("train_complete").op, "near_duplicate_threshold")
        == 0.5
    )
    assert (
        config_default(check_node(defs, "multitask_examples", "minimum_examples"), "minimum") == 7
    )
    for asset in ("template_examples", "augmented_examples", "mined_examples", "docs_examples"):
        assert config_default(check_node(defs, asset, "rejection_rate"), "limit") == 0.3
    for asset in ("fine_tuned_model", "model_evaluation"):
        assert config_default(defs.resolve_assets_def(asset).op, "base_model") == "/models/base"
    default = build_definitions(Settings())
    assert config_default(check_node(default, "docs_examples", "rejection_rate"), "limit") == 0.2


def test_the_resources_are_the_settings(tmp_path: Path):
    settings = Settings(data_dir=str(tmp_path / "data"), cache_dir=str(tmp_path / "cache"),
                        model={"model_name": "/models/served", "temperature": "0"})  # fmt: skip
    resources = build_definitions(settings).resources
    assert resources["dataset_store"].base == str(tmp_path / "data")
    model = resources["model"].get_model()
    assert model.settings.model_name == "/models/served" and model.settings.temperature == 0.0
    assert model.store.base == str(tmp_path / "data") and model.cache == tmp_path / "cache"


def test_building_the_definitions_configures_this_process_s_sandbox(configure_sandbox):
    build_definitions(Settings(sandbox_timeout_s=7.0, sandbox_workers=2))
    assert sandbox.current_settings() == sandbox.SandboxSettings(timeout_s=7.0, workers=2)


@pytest.mark.parametrize("asset", ["template_examples", "train_complete", "model_evaluation"])
def test_two_settings_give_two_independent_definitions(tmp_path: Path, asset: str):
    (tmp_path / "only.yaml").write_text("description: x\n")
    mine = build_definitions(Settings(templates_dir=str(tmp_path), near_duplicate_threshold=0.1))
    shipped = build_definitions(Settings())
    assert mine.resolve_assets_def(asset) is not shipped.resolve_assets_def(asset)
    assert config_default(shipped.resolve_assets_def("train_complete").op,
                          "near_duplicate_threshold") == 0.8  # fmt: skip
