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


def test_an_unreachable_repository_fails_its_own_partition_clearly(workspace: Workspace):
    result = workspace.materialize("repo_snapshots", "ghost")
    assert result.returncode != 0
    assert "'ghost'" in result.stderr and "check the URL" in result.stderr
    assert not Path(workspace.data / "repo_snapshots" / "ghost.jsonl").exists()
