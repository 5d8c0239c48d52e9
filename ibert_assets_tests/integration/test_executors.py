"""The deployment of docs/deploy.md on this machine: run storage on Postgres, steps on two
Celery worker processes over RabbitMQ, the records byte-identical to the embedded build's."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ibert_assets_tests.dagster_cli import DAGSTER, REPO_ROOT
from ibert_assets_tests.sample_templates import CUSTOMERS_TEMPLATE, ORDERS_TEMPLATE
from ibert_assets_tests.scaleout import Deployment, deployment

TEMPLATES = ("orders", "customers")
SLICE = [
    [("template_examples,augmented_examples", name) for name in TEMPLATES],  # side by side
    [("multitask_examples", "sql_to_ibis")],
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Two templates, no repository: the settings every process of a build gets."""
    root = tmp_path_factory.mktemp("project")
    templates = root / "templates"
    templates.mkdir()
    (templates / "orders.yaml").write_text(ORDERS_TEMPLATE)
    (templates / "customers.yaml").write_text(CUSTOMERS_TEMPLATE)
    (root / "repos.txt").write_text("# nothing to mine\n")
    return {
        "IBERT_TEMPLATES_DIR": str(templates),
        "IBERT_REPOS_FILE": str(root / "repos.txt"),
        "IBERT_REPO_CACHE": str(root / "cache"),
        "IBERT_MIN_TASK_EXAMPLES": "1",
    }


def materialize(env: dict[str, str], select: str, partition: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(DAGSTER), "asset", "materialize", "-m", "ibert_assets.definitions",
         "--select", select, "--partition", partition],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def build_slice(env: dict[str, str]) -> None:
    """The slice through the real dagster CLI: the two template runs at once, then the task."""
    for stage in SLICE:
        runs = [materialize(env, select, partition) for select, partition in stage]
        for run in runs:
            output = run.communicate(timeout=600)[0]
            assert run.returncode == 0, output[-4000:]


def stored(data: Path) -> dict[str, bytes]:
    """Every partition's records (and rejects), by path under the store."""
    return {str(p.relative_to(data)): p.read_bytes() for p in sorted(data.rglob("*.jsonl"))}


@pytest.fixture(scope="module")
def embedded(project: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The slice built with the embedded default: SQLite instance, steps on this machine."""
    root = tmp_path_factory.mktemp("embedded")
    (root / "home").mkdir()
    env = {**os.environ, **project, "DAGSTER_HOME": str(root / "home"),
           "IBERT_DATA_DIR": str(root / "data")}  # fmt: skip
    env.pop("IBERT_EXECUTOR", None)
    import dagster as dg

    dg.DagsterInstance.from_config(env["DAGSTER_HOME"]).dispose()  # two runs at once share it
    build_slice(env)
    records = stored(root / "data")
    partitions = [name for name in records if not name.endswith(".rejects.jsonl")]
    assert len(partitions) == 5, partitions  # two templates, their augmentation, one task
    return records


def step_events(deployed: Deployment) -> list:
    """Every step's start and end, from the runs' event logs in Postgres."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(deployed.home)) as instance:
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        return [
            event
            for run in instance.get_runs()
            for event in instance.all_logs(run.run_id)
            if event.dagster_event is not None
            and event.dagster_event.event_type_value
            in ("STEP_START", "STEP_SUCCESS", "STEP_FAILURE")
        ]


def test_a_slice_runs_on_postgres_and_two_celery_workers_with_the_embedded_records(
    project: dict[str, str], embedded: dict[str, bytes], tmp_path: Path
):
    with deployment(tmp_path, {**project, "IBERT_DATA_DIR": str(tmp_path / "data")}) as deployed:
        workers = {deployed.start_worker(name).pid for name in ("w1", "w2")}
        build_slice(deployed.env)
        events = step_events(deployed)
    started = [e for e in events if e.dagster_event.event_type_value == "STEP_START"]
    assert started, "no step ran"
    # every step ran in a worker, and both workers ran steps
    assert {e.pid for e in started} == workers, ({e.pid for e in started}, workers)
    assert all(e.dagster_event.event_type_value != "STEP_FAILURE" for e in events)
    assert stored(tmp_path / "data") == embedded


def test_a_worker_killed_in_the_middle_of_a_step_hands_it_to_the_other(
    project: dict[str, str], embedded: dict[str, bytes], tmp_path: Path
):
    with deployment(tmp_path, {**project, "IBERT_DATA_DIR": str(tmp_path / "data")}) as deployed:
        first = deployed.start_worker("w1")
        run = materialize(deployed.env, "template_examples,augmented_examples", "orders")
        victim = None
        deadline = time.monotonic() + 300
        while victim is None and time.monotonic() < deadline:
            running = {e.step_key: e for e in step_events(deployed)
                       if e.dagster_event.event_type_value == "STEP_START"}  # fmt: skip
            ended = {e.step_key for e in step_events(deployed)
                     if e.dagster_event.event_type_value != "STEP_START"}  # fmt: skip
            victim = running.get("augmented_examples")
            if victim is not None and "augmented_examples" in ended:
                pytest.fail("the step ended before it could be interrupted")
            time.sleep(0.2)
        assert victim is not None and victim.pid == first.pid
        second = deployed.start_worker("w2")  # the step cannot go to it before the kill
        partial = tmp_path / "data" / "augmented_examples" / "orders.jsonl"
        os.kill(first.pid, signal.SIGKILL)
        assert not partial.exists()  # nothing half-written shows
        output = run.communicate(timeout=600)[0]
        assert run.returncode == 0, output[-4000:]
        events = step_events(deployed)
    attempts = [e.pid for e in events if e.step_key == "augmented_examples"
                and e.dagster_event.event_type_value == "STEP_START"]  # fmt: skip
    assert attempts == [first.pid, second.pid]
    data = stored(tmp_path / "data")
    assert data == {k: v for k, v in embedded.items() if "/orders." in k}
