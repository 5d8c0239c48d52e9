from pathlib import Path

import git
import pytest

from ibert_assets.errors import SourceUnreachableError
from ibert_assets.mining.repos import RepoSpec
from ibert_assets.mining.snapshots import (
    RepositoryUnreachableError,
    changed_files,
    detect_license,
    snapshot_repo,
)
from ibert_assets_tests.mining_repo import commit_all, make_mining_repo


@pytest.fixture
def origin(tmp_path: Path) -> git.Repo:
    return make_mining_repo(tmp_path / "origin", marker=tmp_path / "ran")


def test_first_run_clones_and_describes_head(origin: git.Repo, tmp_path: Path):
    spec = RepoSpec(url=f"file://{origin.working_dir}", name="demo")
    snapshot = snapshot_repo(spec, tmp_path / "cache")
    assert snapshot.commit == origin.head.commit.hexsha
    assert snapshot.license == "MIT"
    assert snapshot.file_counts[".py"] == 4  # analytics, hostile, broken, unnamed
    assert Path(snapshot.path, "analytics.py").exists()
    assert snapshot.previous_commit is None


def test_later_runs_fetch_the_new_head(origin: git.Repo, tmp_path: Path):
    spec = RepoSpec(url=origin.working_dir, name="demo")
    first = snapshot_repo(spec, tmp_path / "cache")
    Path(origin.working_dir, "new.sql").write_text("SELECT a FROM t WHERE a > 3")
    new_head = commit_all(origin, "add a query")
    second = snapshot_repo(spec, tmp_path / "cache")
    assert second.commit == new_head
    assert second.previous_commit == first.commit
    assert changed_files(second.path, first.commit, second.commit) == {"new.sql"}


def test_a_missing_repository_fails_clearly_with_what_git_said(tmp_path: Path):
    spec = RepoSpec(url=str(tmp_path / "does-not-exist"), name="ghost")
    with pytest.raises(RepositoryUnreachableError, match=r"'ghost' .* check the URL") as raised:
        snapshot_repo(spec, tmp_path / "cache")
    assert "does not exist" in raised.value.reason
    assert isinstance(raised.value, SourceUnreachableError)


def test_a_host_that_cannot_be_reached_is_said_to_be_no_network(tmp_path: Path):
    # port 1 on the loopback: nothing listens, so the connection is refused at once
    spec = RepoSpec(url="https://127.0.0.1:1/ibis-project/ibis.git", name="offline")
    with pytest.raises(RepositoryUnreachableError) as raised:
        snapshot_repo(spec, tmp_path / "cache")
    assert raised.value.reason == "no network"


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        ("Apache License\nVersion 2.0, January 2004", "Apache-2.0"),
        ("Redistribution and use in source ... Neither the name of the copyright", "BSD-3-Clause"),
        ("Something home-made", "NOASSERTION"),
    ],
)
def test_license_detection(tmp_path: Path, text: str, spdx: str):
    (tmp_path / "LICENSE.txt").write_text(text)
    assert detect_license(tmp_path) == spdx


def test_with_no_network_a_skipped_repository_is_skipped_at_the_first_attempt(tmp_path: Path):
    """Offline, a retry a second later finds no network either: the default build skips the
    repository at once; where unreachable is an error, it is retried as before."""
    import dagster as dg

    from ibert_assets.mining.assets import snapshot_events

    offline = RepoSpec(url="https://127.0.0.1:1/ibis-project/ibis.git", name="offline")
    events = list(snapshot_events(offline, tmp_path / "cache", last_attempt=False))
    assert events and all(isinstance(e, dg.AssetObservation) for e in events)
    with pytest.raises(dg.Failure):  # strict: this attempt fails, Dagster retries it
        list(
            snapshot_events(
                offline, tmp_path / "cache", last_attempt=False, fail_when_unreachable=True
            )
        )
    # another cause than the network (a wrong path) is retried while attempts are left
    missing = RepoSpec(url=str(tmp_path / "does-not-exist"), name="ghost")
    with pytest.raises(dg.Failure):
        list(snapshot_events(missing, tmp_path / "cache", last_attempt=False))
    assert list(snapshot_events(missing, tmp_path / "cache", last_attempt=True))
