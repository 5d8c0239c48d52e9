"""A deployment made for one test: its own Postgres database, its own RabbitMQ virtual host,
Celery workers started with the shipped ``deploy/`` files; everything removed afterwards."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ibert_assets_tests.dagster_cli import DAGSTER, REPO_ROOT

if TYPE_CHECKING:
    from dagster import DagsterInstance

POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432"
RABBITMQ = "pyamqp://guest:guest@127.0.0.1:5672"
DAGSTER_CELERY = Path(sys.executable).with_name("dagster-celery")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new database on the `test` server, dropped afterwards: its URL."""
    import psycopg2

    name = f"ibert_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="test")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """A broker URL on a virtual host of its own (so that parallel runs never take each
    other's steps), deleted afterwards."""
    name = f"ibert-{uuid.uuid4().hex[:12]}"
    ctl = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    subprocess.run([ctl, "add_vhost", name], check=True, capture_output=True, timeout=60)
    try:
        subprocess.run(
            [ctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        yield f"{RABBITMQ}/{name}"
    finally:
        subprocess.run([ctl, "delete_vhost", name], capture_output=True, timeout=60)


@dataclass
class Worker:
    """One ``dagster-celery worker start`` process and the Celery process that runs steps."""

    name: str
    process: subprocess.Popen
    log: Path
    pid: int = 0  # of the Celery process (`--pool solo`: the steps run in it)


@dataclass
class Deployment:
    """A Dagster home on Postgres and the environment every process of the deployment gets."""

    home: Path
    env: dict[str, str]
    workers: list[Worker] = field(default_factory=list)

    @contextmanager
    def instance(self) -> Iterator[DagsterInstance]:
        """The deployment's instance, opened in this process (its dagster.yaml reads the
        Postgres URL from the environment)."""
        from unittest import mock

        import dagster as dg

        url = {"IBERT_POSTGRES_URL": self.env["IBERT_POSTGRES_URL"]}
        with mock.patch.dict(os.environ, url), dg.DagsterInstance.from_config(str(self.home)) as i:
            yield i

    def start_worker(self, name: str, timeout: float = 120) -> Worker:
        import psutil

        log = self.home / f"{name}.log"
        process = subprocess.Popen(
            [str(DAGSTER_CELERY), "worker", "start", "-A", "dagster_celery.app",
             "-y", str(REPO_ROOT / "deploy" / "celery.yaml"), "-n", name,
             "--", "--pool", "solo"],
            cwd=REPO_ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        worker = Worker(name, process, log)
        self.workers.append(worker)
        deadline = time.monotonic() + timeout
        while " ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        celery = [
            p for p in psutil.Process(process.pid).children() if "celery" in " ".join(p.cmdline())
        ]
        worker.pid = celery[0].pid
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                os.killpg(worker.process.pid, signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.process.pid, signal.SIGKILL)
                worker.process.wait()


@contextmanager
def deployment(root: Path, settings: dict[str, str]) -> Iterator[Deployment]:
    """``deploy/dagster.yaml`` in a new home over a new database, Celery over a new virtual
    host; ``settings`` are the ``IBERT_*`` variables of every process (runs and workers)."""
    home = root / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    with postgres_database() as database, rabbitmq_vhost() as broker:
        env = {
            **os.environ,
            **settings,
            # dagster-celery starts `celery` by name, from this environment's scripts
            "PATH": f"{DAGSTER_CELERY.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "DAGSTER_HOME": str(home),
            "IBERT_POSTGRES_URL": database,
            "IBERT_MAX_CONCURRENT_RUNS": "4",
            "IBERT_EXECUTOR": "celery",
            "IBERT_CELERY_BROKER": broker,
            "IBERT_CELERY_BACKEND": "rpc://",
        }
        deployed = Deployment(home, env)
        try:
            yield deployed
        finally:
            deployed.stop_workers()


@dataclass
class Run:
    """A ``dagster asset materialize`` process, its output going to a file (no pipe to fill)."""

    process: subprocess.Popen
    log: IO[str]

    def finish(self, timeout: float = 900) -> str:
        """Wait for the run; its output, asserted to have succeeded."""
        self.process.wait(timeout=timeout)
        self.log.flush()
        self.log.seek(0)
        output = self.log.read()
        assert self.process.returncode == 0, output[-4000:]
        return output

    def end(self) -> None:
        """Kill the run and what it started, if it still runs."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def materialize(env: dict[str, str], select: str, partition: str) -> Run:
    """``dagster asset materialize`` of ``select`` for ``partition``, started."""
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed with the Run)
    process = subprocess.Popen(
        [str(DAGSTER), "asset", "materialize", "-m", "ibert_assets.definitions",
         "--select", select, "--partition", partition],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    return Run(process, log)


def build_slice(env: dict[str, str], templates: tuple[str, ...], task: str = "sql_to_ibis") -> None:
    """A slice of the graph through the real dagster CLI: each template's examples and their
    augmentation (one run per template, all at once), then one task's examples."""
    stages = [
        [("template_examples,augmented_examples", name) for name in templates],
        [("multitask_examples", task)],
    ]
    for stage in stages:
        runs = [materialize(env, select, partition) for select, partition in stage]
        try:
            for run in runs:
                run.finish()
        finally:  # a failed run ends the others: no run outlives the slice
            for run in runs:
                run.end()
