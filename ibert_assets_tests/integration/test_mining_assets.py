from pathlib import Path

import pytest

from ibert_assets.store import partition_path, read_jsonl, read_partition
from ibert_assets_tests.dagster_cli import Workspace
from ibert_assets_tests.mining_repo import make_mining_repo


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("mining-assets")
    repo = make_mining_repo(root / "demo", marker=root / "code-ran")
    repos = root / "repos.txt"
    repos.write_text(f"# test repositories\n{repo.working_dir}|demo\n{root / 'missing'}|ghost\n")
    return Workspace(root, {"IBERT_REPOS_FILE": str(repos)})


def test_a_repository_partition_materializes_end_to_end(workspace: Workspace):
    result = workspace.materialize("repo_snapshots,mined_examples,docs_examples", "demo")
    assert result.returncode == 0, result.stderr[-3000:]
    base = str(workspace.data)
    (snapshot,) = read_jsonl(partition_path(base, "repo_snapshots", "demo"))
    assert snapshot["license"] == "MIT" and len(snapshot["commit"]) == 40
    mined = read_partition(base, "mined_examples", "demo")
    assert len(mined) >= 6
    assert all(r.provenance.commit == snapshot["commit"] for r in mined)
    docs = read_partition(base, "docs_examples", "demo")
    assert {r.task for r in docs} == {"qa", "documentation"}
    assert not (workspace.root / "code-ran").exists()


def test_remining_an_unmoved_repository_keeps_the_same_records(workspace: Workspace):
    before = (workspace.data / "mined_examples" / "demo.jsonl").read_text()
    result = workspace.materialize("repo_snapshots,mined_examples", "demo")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (workspace.data / "mined_examples" / "demo.jsonl").read_text() == before
    assert "kept_unchanged" in result.stderr


def test_an_unreachable_repository_is_skipped_not_failed(workspace: Workspace):
    import dagster as dg

    result = workspace.materialize("repo_snapshots,mined_examples,docs_examples", "ghost")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'ghost'" in result.stderr and "check the URL" in result.stderr
    assert not Path(workspace.data / "repo_snapshots" / "ghost.jsonl").exists()
    with dg.DagsterInstance.from_config(str(workspace.root / "dagster_home")) as instance:
        (run,) = [r for r in instance.get_runs() if r.tags.get("dagster/partition") == "ghost"]
        assert run.status == dg.DagsterRunStatus.SUCCESS
        for asset in ("repo_snapshots", "mined_examples", "docs_examples"):
            ghost = dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=["ghost"])
            assert not instance.fetch_materializations(ghost, limit=1).records
            observed = instance.fetch_observations(ghost, limit=1).records
            assert observed, f"{asset} has no observation of the skipped partition"
            metadata = observed[0].asset_observation.metadata
            assert metadata["status"].value == "skipped: unreachable"
            assert "check the URL" in metadata["error"].value


def test_an_unreachable_repository_fails_where_it_must_be_seen(tmp_path: Path):
    """The weekly re-mining (and anyone who sets fail_when_unreachable) sees a failure."""
    import dagster as dg

    from ibert_assets.assembly import build_definitions
    from ibert_assets.settings import Settings

    (tmp_path / "repos.txt").write_text(f"{tmp_path / 'missing'}|ghost\n")
    settings = Settings.from_environment().override(
        repos_file=str(tmp_path / "repos.txt"), data_dir=str(tmp_path / "data")
    )
    defs = build_definitions(settings)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            list(defs.assets or ()),  # type: ignore[arg-type]
            selection=dg.AssetSelection.assets("repo_snapshots"),
            partition_key="ghost",
            resources=defs.resources,
            instance=instance,
            raise_on_error=False,
            run_config={"ops": {"repo_snapshots": {"config": {"fail_when_unreachable": True}}}},
        )
        assert not result.success
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert "check the URL" in failure.step_failure_data.user_failure_data.description
    schedule = defs.resolve_schedule_def("weekly_remine")
    import datetime

    monday = datetime.datetime(2026, 12, 7, 3, tzinfo=datetime.UTC)
    with dg.build_schedule_context(
        scheduled_execution_time=monday, repository_def=defs.get_repository_def()
    ) as context:
        requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert requests and all(
        r.run_config["ops"]["repo_snapshots"]["config"]["fail_when_unreachable"] for r in requests
    )
