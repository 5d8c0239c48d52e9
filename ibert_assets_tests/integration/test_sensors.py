"""Dynamic partitions in a deployment: a line added to repos.txt is registered and mined by the
daemon's sensor, with the definitions loaded once, before the line existed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ibert_assets.mining.repos import REPO_PARTITIONS
from ibert_assets_tests.dagster_cli import REPO_ROOT
from ibert_assets_tests.mining_repo import make_mining_repo
from ibert_assets_tests.scaleout import Deployment, deployment

DAEMON = Path(sys.executable).with_name("dagster-daemon")


def mined(deployed: Deployment, partition: str) -> str | None:
    """The status of the newest run of ``partition``, if there is one."""
    import dagster as dg

    with deployed.instance() as instance:
        if partition not in instance.get_dynamic_partitions(REPO_PARTITIONS):
            return None
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": partition}))
        return runs[0].status.value if runs else "registered"


def test_a_line_added_to_repos_txt_is_mined_without_a_reload(tmp_path: Path):
    repos = tmp_path / "repos.txt"
    repos.write_text("# repositories to mine\n")
    settings = {
        "IBERT_PARTITIONS": "dynamic",
        "IBERT_REPOS_FILE": str(repos),
        "IBERT_REPO_CACHE": str(tmp_path / "cache"),
        "IBERT_DATA_DIR": str(tmp_path / "data"),
    }
    with deployment(tmp_path, settings) as deployed:
        deployed.start_worker("w1")
        log = (deployed.home / "daemon.log").open("w")
        daemon = subprocess.Popen(
            [str(DAEMON), "run", "-m", "ibert_assets.definitions"],
            cwd=REPO_ROOT, env=deployed.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            # the sensor has run once, on the definitions of a file that names no repository
            deadline = time.monotonic() + 600
            while "repositories_file" not in (deployed.home / "daemon.log").read_text():
                assert daemon.poll() is None and time.monotonic() < deadline, "no sensor tick"
                time.sleep(1)
            repo = make_mining_repo(tmp_path / "demo", marker=tmp_path / "code-ran")
            with repos.open("a") as file:
                file.write(f"{repo.working_dir}|demo\n")
            status, deadline = None, time.monotonic() + 900
            while status not in ("SUCCESS", "FAILURE", "CANCELED") and time.monotonic() < deadline:
                time.sleep(2)
                status = mined(deployed, "demo")
        finally:
            os.killpg(daemon.pid, signal.SIGTERM)
            daemon.wait(timeout=60)
            log.close()
        assert status == "SUCCESS", (deployed.home / "daemon.log").read_text()[-3000:]
    assert (tmp_path / "data" / "mined_examples" / "demo.jsonl").stat().st_size > 0
    assert (tmp_path / "data" / "docs_examples" / "demo.jsonl").exists()
    assert not (tmp_path / "code-ran").exists()
