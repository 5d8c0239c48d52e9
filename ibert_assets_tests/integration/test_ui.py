"""The Dagster UI, as a user starts it: `dagster dev` on 127.0.0.1 with a fresh DAGSTER_HOME."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory: pytest.TempPathFactory):
    port = free_port()
    home = tmp_path_factory.mktemp("dagster-home")
    log = (home / "dev.log").open("w")
    process = subprocess.Popen(
        [str(DAGSTER), "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the webserver and the code server
    )
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
        yield data, port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def test_every_asset_is_listed_with_a_group_and_a_description(dagster_dev):
    data, _ = dagster_dev
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
    data, _ = dagster_dev
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
