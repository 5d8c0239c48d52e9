"""CPU seconds of this process and of its sandbox workers, for benchmarks on a shared machine.

Wall-clock time moves with whatever else the machine runs; CPU time barely does. The sandbox
workers are other processes, so their CPU time is read from ``/proc/<pid>/stat`` (Linux).
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def process_tree_cpu() -> float:
    """CPU seconds used so far by this process and its live sandbox workers."""
    from ibert_inference.sandbox.pool import shared_pool

    total = time.process_time()
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in shared_pool().worker_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total
