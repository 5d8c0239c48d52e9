"""Static partitions from the files, or dynamic ones registered in the instance."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from ibert_assets.assembly import build_definitions, dynamic_partition_keys
from ibert_assets.mining.repos import REPO_PARTITIONS
from ibert_assets.partitions import growing_partitions, register_dynamic_partitions
from ibert_assets.settings import Settings
from ibert_inference.settings import SettingsError


@pytest.fixture
def repos(tmp_path: Path) -> Path:
    path = tmp_path / "repos.txt"
    path.write_text("/srv/a|alpha\n/srv/b|beta\n")
    return path


def partitions_of(defs: dg.Definitions, asset: str) -> dg.PartitionsDefinition:
    node = defs.resolve_asset_graph().get(dg.AssetKey(asset))
    assert node.partitions_def is not None
    return node.partitions_def


def test_static_by_default_and_dynamic_when_the_setting_says_so(repos: Path):
    static = build_definitions(Settings(repos_file=str(repos)))
    assert partitions_of(static, "mined_examples").get_partition_keys() == ["alpha", "beta"]
    settings = Settings.from_environment(
        {"IBERT_REPOS_FILE": str(repos), "IBERT_PARTITIONS": "dynamic"}
    )
    dynamic = partitions_of(build_definitions(settings), "mined_examples")
    assert isinstance(dynamic, dg.DynamicPartitionsDefinition)
    assert dynamic.name == REPO_PARTITIONS


def test_an_unknown_kind_of_partitions_is_refused_with_the_choices():
    with pytest.raises(
        SettingsError, match=r"IBERT_PARTITIONS='growing': choose one of static, dynamic"
    ):
        growing_partitions("x", [], Settings(partitions="growing"))


def test_the_build_registers_only_what_the_instance_lacks(repos: Path):
    settings = Settings(repos_file=str(repos), partitions="dynamic")
    defs = build_definitions(settings)
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(REPO_PARTITIONS, ["beta"])
        added = register_dynamic_partitions(defs, dynamic_partition_keys(settings), instance)
        assert added == {REPO_PARTITIONS: ["alpha"]}
        assert sorted(instance.get_dynamic_partitions(REPO_PARTITIONS)) == ["alpha", "beta"]
        assert register_dynamic_partitions(defs, dynamic_partition_keys(settings), instance) == {}
        keys = partitions_of(defs, "repo_snapshots").get_partition_keys(
            dynamic_partitions_store=instance
        )
        assert sorted(keys) == ["alpha", "beta"]


def test_static_definitions_register_nothing(repos: Path):
    settings = Settings(repos_file=str(repos))
    with dg.DagsterInstance.ephemeral() as instance:
        defs = build_definitions(settings)
        assert register_dynamic_partitions(defs, dynamic_partition_keys(settings), instance) == {}
        assert instance.get_dynamic_partitions(REPO_PARTITIONS) == []
