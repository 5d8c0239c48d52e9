"""What a new sandbox worker costs: the first job after a worker was replaced, beside a warm one.

Run: python benchmarks/bench_sandbox.py [--replacements 5]

A worker that runs past its limit is killed and the next job gets a new worker, forked from this
process. "replaced" times one verify_pair on such a new worker (the pool is closed before each,
as a timeout would leave it); "warm" times the same call on a worker that has already run it.
The difference is what a replacement costs: the imports and set-up the new worker pays before
it can verify. The first worker of the process is left out: it imports what its jobs need.
"""

from __future__ import annotations

import argparse
import statistics
import time

from ibert_inference.sandbox import close_shared_pool
from ibert_inference.verify.pair import verify_pair

SCHEMA = {"orders": {"id": "int64", "amount": "float64", "status": "string"}}
SQL = "SELECT id, status FROM orders WHERE amount > 10"
CODE = "orders.filter(_.amount > 10).select('id', 'status')"


def timed_verify() -> float:
    start = time.perf_counter()
    verdict = verify_pair(SQL, CODE, SCHEMA)
    elapsed = time.perf_counter() - start
    if verdict.status != "verified":
        raise SystemExit(f"the benchmark pair did not verify: {verdict.status}: {verdict.reason}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replacements", type=int, default=5)
    runs = parser.parse_args().replacements
    timed_verify()  # the process's first worker
    replaced, warm = [], []
    for _ in range(runs):
        close_shared_pool()
        replaced.append(timed_verify())
        warm.append(timed_verify())
    close_shared_pool()
    print(f"verify_pair on a replaced worker  median {statistics.median(replaced):.3f} s  "
          f"(max {max(replaced):.3f}, n={runs})")  # fmt: skip
    print(f"verify_pair on a warm worker      median {statistics.median(warm):.3f} s  "
          f"(max {max(warm):.3f}, n={runs})")  # fmt: skip


if __name__ == "__main__":
    main()
