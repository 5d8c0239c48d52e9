"""The sandbox's workers across real processes: a parent that dies takes its workers with it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path


def test_workers_never_outlive_their_parent(tmp_path: Path):
    script = textwrap.dedent(
        """
        import os, sys
        from ibert_inference.sandbox import shared_pool
        from ibert_inference.compiler import ibis_to_sql
        ibis_to_sql("t.select('a')", {"t": {"a": "int64"}})
        print(shared_pool().worker_pids()[0], flush=True)
        os._exit(0)  # no atexit, no cleanup: as if the parent were killed
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stderr
    worker = int(result.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{worker}").exists() or "Z" in _state(worker)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
