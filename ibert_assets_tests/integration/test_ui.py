"""The Dagster UI, as a user starts it: `dagster dev` on 127.0.0.1 with a fresh DAGSTER_HOME."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from ibert_assets_tests.dagster_cli import REPO_ROOT

DAGSTER = Path(sys.executable).with_name("dagster")
ASSETS = {
    "template_examples", "augmented_examples", "repo_snapshots", "mined_examples",
    "docs_examples", "multitask_examples", "train_complete", "model_evaluation",
}  # fmt: skip
QUERY = """{
  assetNodes {
    assetKey { path }
    groupName
    description
    assetChecksOrError { ... on AssetChecks { checks { name } } }
  }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes { schedules { name description } jobs { name } }
    }
  }
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]


@dataclass
class DagsterDev:
    data: dict | None
    port: int
    process: subprocess.Popen
    log: Path


def start_signals_as_a_terminal_has_them() -> None:
    """A program started in the background by a script (`cmd &` without job control) ignores
    SIGINT, and `dagster dev` maps SIGTERM onto SIGINT's handler: it would ignore both. A user
    at a terminal has them at their defaults; so does this test's server."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory: pytest.TempPathFactory):
    """`dagster dev` as the README starts it: from the instance's folder (which holds the
    dagster.yaml ibert-build puts there), with the project's workspace.yaml."""
    port = free_port()
    home = tmp_path_factory.mktemp("dagster-home")
    (home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    log_path = home.parent / f"{home.name}-dev.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [str(DAGSTER), "dev", "-h", "127.0.0.1", "-p", str(port),
         "-w", str(REPO_ROOT / "workspace.yaml")],
        cwd=home,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the webserver and the code server
        preexec_fn=start_signals_as_a_terminal_has_them,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        data = None
        while time.monotonic() < deadline:
            try:
                data = graphql(port, QUERY)
                if {"/".join(n["assetKey"]["path"]) for n in data["assetNodes"]} >= ASSETS:
                    break
            except (OSError, KeyError, TypeError, ValueError):
                pass  # the code location loads after the server answers
            time.sleep(1)
        yield DagsterDev(data, port, process, log_path)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def test_every_asset_is_listed_with_a_group_and_a_description(dagster_dev):
    data = dagster_dev.data
    assert data is not None, "dagster dev never served the asset graph"
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert set(nodes) >= ASSETS
    for name in ASSETS:
        assert nodes[name]["groupName"] in {
            "templates",
            "mining",
            "multitask",
            "splits",
            "evaluation",
        }
        assert len(nodes[name]["description"]) > 40


def test_checks_schedules_and_jobs_are_listed(dagster_dev):
    data = dagster_dev.data
    checks = {
        "/".join(n["assetKey"]["path"]): {c["name"] for c in n["assetChecksOrError"]["checks"]}
        for n in data["assetNodes"]
    }
    assert {"records_match_schema", "ids_unique", "reverified_on_fresh_seed"} <= checks[
        "template_examples"
    ]
    assert "no_leakage" in checks["train_complete"]
    assert "minimum_examples" in checks["multitask_examples"]
    (repository,) = data["repositoriesOrError"]["nodes"]
    schedules = {s["name"]: s["description"] for s in repository["schedules"]}
    assert schedules.get("weekly_remine")
    assert {"remine_repositories", "evaluate_models"} <= {j["name"] for j in repository["jobs"]}


def test_dagster_dev_starts_without_warnings_about_the_projects_files(dagster_dev):
    assert dagster_dev.data is not None, "dagster dev never served the asset graph"
    text = dagster_dev.log.read_text()
    warnings = [line for line in text.splitlines() if "Warning" in line or "WARNING" in line]
    about_the_project = [
        line for line in warnings
        if "dagster.yaml" in line or "Preview" in line or "Deprecat" in line
        or str(REPO_ROOT / "ibert_") in line
    ]  # fmt: skip
    assert about_the_project == [], text[-3000:]


def test_dagster_dev_stops_on_the_first_sigterm(dagster_dev):
    """Last in this file: it ends the module's server. Dagster's own shutdown takes ~12 s."""
    started = time.monotonic()
    os.killpg(dagster_dev.process.pid, signal.SIGTERM)
    dagster_dev.process.wait(timeout=30)
    assert time.monotonic() - started < 30
