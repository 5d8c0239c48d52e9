"""Wall time of a slice of the graph with steps on one Celery worker and on two.

The deployment of docs/deploy.md, made on this machine for the measurement (a new Postgres
database on the `test` server, a new RabbitMQ virtual host, `dagster-celery` workers started
from deploy/celery.yaml, both removed afterwards): each template's examples and their
augmentation as one run per template, all submitted at once, then `multitask_examples` of one
task, through the `dagster` CLI. The same slice with the embedded default (SQLite instance,
steps in processes on this machine) is timed beside them.

    PYTHONPATH=. python benchmarks/bench_scaleout.py [--templates retail_orders,hr_employees]

Without --templates, two small templates of the tests (orders, customers). On a machine with
fewer cores than workers, or shared with other work, a second worker cannot help much: the
figure says what this machine gives.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import dagster as dg

from ibert_assets.settings import PROJECT_ROOT
from ibert_assets_tests.sample_templates import CUSTOMERS_TEMPLATE, ORDERS_TEMPLATE
from ibert_assets_tests.scaleout import build_slice, deployment


def project(root: Path, templates: list[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    folder = root / "templates"
    folder.mkdir(parents=True)
    if templates:
        for name in templates:
            shutil.copy(PROJECT_ROOT / "templates" / f"{name}.yaml", folder / f"{name}.yaml")
    else:
        (folder / "orders.yaml").write_text(ORDERS_TEMPLATE)
        (folder / "customers.yaml").write_text(CUSTOMERS_TEMPLATE)
        templates = ["orders", "customers"]
    (root / "repos.txt").write_text("# nothing to mine\n")
    settings = {
        "IBERT_TEMPLATES_DIR": str(folder),
        "IBERT_REPOS_FILE": str(root / "repos.txt"),
        "IBERT_REPO_CACHE": str(root / "cache"),
        "IBERT_MIN_TASK_EXAMPLES": "1",
    }
    return settings, tuple(templates)


def embedded(root: Path, settings: dict[str, str], templates: tuple[str, ...]) -> float:
    home = root / "home"
    home.mkdir(parents=True)
    env = {
        **os.environ,
        **settings,
        "DAGSTER_HOME": str(home),
        "IBERT_DATA_DIR": str(root / "data"),
    }
    env.pop("IBERT_EXECUTOR", None)
    dg.DagsterInstance.from_config(str(home)).dispose()
    start = time.perf_counter()
    build_slice(env, templates)
    return time.perf_counter() - start


def on_workers(root: Path, settings: dict[str, str], templates: tuple[str, ...], n: int) -> float:
    with deployment(root, {**settings, "IBERT_DATA_DIR": str(root / "data")}) as deployed:
        for index in range(n):
            deployed.start_worker(f"w{index + 1}")
        start = time.perf_counter()
        build_slice(deployed.env, templates)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", default="", help="comma-separated templates/ names")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each setup (median)")
    args = parser.parse_args()
    chosen = [name for name in args.templates.split(",") if name]
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        settings, templates = project(root / "project", chosen)
        times: dict[str, list[float]] = {"embedded": [], "1 worker": [], "2 workers": []}
        for attempt in range(args.repeat):
            times["embedded"].append(embedded(root / f"e{attempt}", settings, templates))
            times["1 worker"].append(on_workers(root / f"one{attempt}", settings, templates, 1))
            times["2 workers"].append(on_workers(root / f"two{attempt}", settings, templates, 2))
            print(f"run {attempt + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()))
    medians = {name: statistics.median(values) for name, values in times.items()}
    names = ", ".join(templates)
    print(f"slice: templates {names} + multitask_examples[sql_to_ibis]; {os.cpu_count()} cores")
    for name, seconds in medians.items():
        print(f"{name:<10} {seconds:8.1f} s")
    print(f"1 worker / 2 workers: {medians['1 worker'] / medians['2 workers']:.2f}x")


if __name__ == "__main__":
    main()
