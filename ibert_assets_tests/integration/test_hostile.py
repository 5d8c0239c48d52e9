"""The hostile corpus through the command line and through a Dagster run of mining."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ibert_assets.store import read_partition, read_rejects
from ibert_assets_tests.dagster_cli import Workspace
from ibert_assets_tests.engine.hostile_payloads import (
    REPOSITORY_SNIPPETS,
    Payload,
    by_kind,
)
from ibert_assets_tests.mining_repo import make_hostile_repo

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-m", "ibert_inference.cli"]
# CLI processes are slow: a spread of the corpus, every kind of route
SUBSET = by_kind("escape")[::12] + [p for p in by_kind("dos") if p.name == "doubling_compile"]


def ibert(*args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *args],
        input=stdin.encode(),
        capture_output=True,
        timeout=120,
        env={**os.environ, "IBERT_SANDBOX_TIMEOUT_S": "4", **env},
    )


def assert_one_line_exit_2(result: subprocess.CompletedProcess) -> str:
    stderr = result.stderr.decode()
    assert result.returncode == 2, stderr
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    return stderr


@pytest.mark.parametrize("payload", SUBSET, ids=lambda p: p.name)
@pytest.mark.parametrize("command", ["to-sql", "fix"])
def test_hostile_code_through_the_cli(payload: Payload, command: str, tmp_path: Path):
    marker = tmp_path / "pwned"
    extra = ["--no-model"] if command == "fix" else []
    result = ibert(command, "--schema", "a: int64, b: string", *extra,
                   stdin=payload.render(str(marker)))  # fmt: skip
    if command == "fix" and result.returncode == 1:  # fix may answer "nothing to repair"
        assert "Traceback" not in result.stderr.decode()
    else:
        assert_one_line_exit_2(result)
    assert not marker.exists()


def test_the_issues_inputs_are_one_line_and_exit_2(tmp_path: Path):
    stderr = assert_one_line_exit_2(ibert("to-sql", "--schema", "a: int64",
                                          stdin="from ibis import duckdb\nt"))  # fmt: skip
    assert "ibis.duckdb is not allowed" in stderr
    config = tmp_path / "model.yaml"
    config.write_text("temperature: hot\n")
    assert_one_line_exit_2(ibert("fix", "--schema", "a: int64", "--config", str(config),
                                 stdin="t.a"))  # fmt: skip
    assert_one_line_exit_2(
        ibert("fix", "--schema", "a: int64", stdin="t.a",
              IBERT_MODEL_NAME="some/model", IBERT_TEMPERATURE="hot")
    )  # fmt: skip
    stderr = assert_one_line_exit_2(ibert("qa", "-q", "how to filter", "--corpus", "/dev/zero"))
    assert "/dev/zero" in stderr
    huge = "def f(x):\n    return " + "-" * 900_000 + "x\n"
    assert_one_line_exit_2(ibert("doc", stdin=huge))
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n"
        for i in range(8)
    ))  # fmt: skip
    stderr = assert_one_line_exit_2(ibert("fix", "--schema", "a: int64", "--config",
                                          str(bomb), stdin="t.a"))  # fmt: skip
    assert "aliases" in stderr


def test_mining_a_hostile_repository_stores_no_snippet_and_runs_none(tmp_path: Path):
    marker = tmp_path / "pwned"
    repo = make_hostile_repo(tmp_path / "attack", marker=marker, snippets=REPOSITORY_SNIPPETS)
    repos = tmp_path / "repos.txt"
    repos.write_text(f"{repo.working_dir}|attack\n")
    workspace = Workspace(tmp_path)
    home, scratch = tmp_path / "home", tmp_path / "scratch"
    home.mkdir()
    scratch.mkdir()
    result = workspace.materialize(
        "repo_snapshots,mined_examples", "attack",
        IBERT_REPOS_FILE=str(repos), IBERT_SANDBOX_TIMEOUT_S="10", TMPDIR=str(scratch),
        HOME=str(home),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert not marker.exists()
    assert not (home / ".duckdb").exists(), "DuckDB fetched an extension"
    assert list(scratch.glob("ibert-sandbox-*")) == [], "a scratch folder was left"
    base = str(workspace.data)
    stored = "\n".join(r.to_json() for r in read_partition(base, "mined_examples", "attack"))
    assert "to_frame" not in stored and "to_csv" not in stored and "pwned" not in stored
    assert "__ibert" not in stored and "geometry" not in stored
    rejects = read_rejects(base, "mined_examples", "attack")
    unsafe = [r for r in rejects if r["status"] == "unsafe"]
    # rejected as unsafe, with the reason, in each of the three kinds of file (statements the
    # syntax check refuses outright are sliced off before evaluation and never stored either)
    paths = {r["provenance"]["path"] for r in unsafe}
    assert {"README.md", "attack.ipynb"} <= paths and any(p.endswith(".py") for p in paths)
    assert all("\n" not in r["reason"] for r in unsafe)
    reasons = " ".join(r["reason"] for r in unsafe)
    # the third round's route: an expression handed to memtable (a rebinding import is sliced
    # off before evaluation, as every statement the syntax check refuses)
    assert "plain data only" in reasons, reasons
