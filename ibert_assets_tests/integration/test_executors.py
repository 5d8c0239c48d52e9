"""The deployment of docs/deploy.md on this machine: run storage on Postgres, steps on two
Celery worker processes over RabbitMQ, the records byte-identical to the embedded build's."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from ibert_assets_tests.sample_templates import CUSTOMERS_TEMPLATE, ORDERS_TEMPLATE
from ibert_assets_tests.scaleout import Deployment, build_slice, deployment, materialize

TEMPLATES = ("orders", "customers")
# the fault test's template: enough variations that its augmentation lasts seconds, long
# enough to be caught running (a dozen values of one filter instead of three)
LONG_TEMPLATE = ORDERS_TEMPLATE.replace(
    "value: [10, 50, 200]", "value: [5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000]"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Three templates (the slice's two, the fault test's), no repository: the settings every
    process of a build gets."""
    root = tmp_path_factory.mktemp("project")
    templates = root / "templates"
    templates.mkdir()
    (templates / "orders.yaml").write_text(ORDERS_TEMPLATE)
    (templates / "customers.yaml").write_text(CUSTOMERS_TEMPLATE)
    (templates / "long_orders.yaml").write_text(LONG_TEMPLATE)
    (root / "repos.txt").write_text("# nothing to mine\n")
    return {
        "IBERT_TEMPLATES_DIR": str(templates),
        "IBERT_REPOS_FILE": str(root / "repos.txt"),
        "IBERT_REPO_CACHE": str(root / "cache"),
        "IBERT_MIN_TASK_EXAMPLES": "1",
    }


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
    build_slice(env, TEMPLATES)
    records = stored(root / "data")
    partitions = [name for name in records if not name.endswith(".rejects.jsonl")]
    assert len(partitions) == 5, partitions  # two templates, their augmentation, one task
    materialize(env, "template_examples,augmented_examples", "long_orders").finish()
    return stored(root / "data")


def stored_of(records: dict[str, bytes], partition: str) -> dict[str, bytes]:
    return {k: v for k, v in records.items() if k.split("/")[-1].split(".")[0] == partition}


def step_events(deployed: Deployment) -> list:
    """Every step's start and end, from the runs' event logs in Postgres."""
    with deployed.instance() as instance:
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
        build_slice(deployed.env, TEMPLATES)
        events = step_events(deployed)
    started = [e for e in events if e.dagster_event.event_type_value == "STEP_START"]
    assert started, "no step ran"
    # every step ran in a worker, and both workers ran steps
    assert {e.dagster_event.pid for e in started} == workers, (
        {e.dagster_event.pid for e in started},
        workers,
    )
    assert all(e.dagster_event.event_type_value != "STEP_FAILURE" for e in events)
    slice_records = {k: v for k, v in embedded.items() if "/long_orders." not in k}
    assert stored(tmp_path / "data") == slice_records


def wait_for_step(deployed: Deployment, step: str, timeout: float = 600):
    """The start event of ``step``, as soon as it is in Postgres; fails if it already ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = [e for e in step_events(deployed) if e.step_key == step]
        if any(e.dagster_event.event_type_value != "STEP_START" for e in events):
            pytest.fail(f"{step} ended before it could be interrupted")
        if events:
            return events[0]
        time.sleep(0.1)
    pytest.fail(f"{step} did not start in {timeout} s")


def test_a_worker_killed_in_the_middle_of_a_step_hands_it_to_the_other(
    project: dict[str, str], embedded: dict[str, bytes], tmp_path: Path
):
    expected = embedded["augmented_examples/long_orders.jsonl"]
    partial = tmp_path / "data" / "augmented_examples" / "long_orders.jsonl"
    with deployment(tmp_path, {**project, "IBERT_DATA_DIR": str(tmp_path / "data")}) as deployed:
        pids = {deployed.start_worker(name).pid for name in ("w1", "w2")}
        run = materialize(deployed.env, "template_examples,augmented_examples", "long_orders")
        try:
            started = wait_for_step(deployed, "augmented_examples")
            victim = started.dagster_event.pid
            assert victim in pids
            os.kill(victim, signal.SIGKILL)
            while run.process.poll() is None:  # nothing half-written shows while it runs again
                assert not partial.exists() or partial.read_bytes() == expected, "half-written"
                time.sleep(0.05)
            run.finish()
        finally:
            run.end()
        events = step_events(deployed)
    attempts = [e.dagster_event.pid for e in events if e.step_key == "augmented_examples"
                and e.dagster_event.event_type_value == "STEP_START"]  # fmt: skip
    assert attempts == [victim, *(pids - {victim})]  # then the other worker, once
    assert stored(tmp_path / "data") == stored_of(embedded, "long_orders")
