"""Throughput of synthetic examples: verified pairs per second per core, by phase.

Usage::

    python benchmarks/bench_synthetic.py                     # 6 worlds x 40 queries, one process
    python benchmarks/bench_synthetic.py --worlds 20 --queries 40

One process is one core (the verifier's sandbox worker runs while this process waits for it):
the figures are per core. Generation (world and queries), translation (``sql_to_ibis``) and
verification (``verify_pair`` on the verifier's databases) are timed separately, as
``build_synthetic_examples`` measures them; a whole partition also pays the Dagster step, the
store and its checks (time one with ``dagster asset materialize``, as the README says).
"""

from __future__ import annotations

import argparse
import time

from ibert_assets.quality import sql_shape
from ibert_assets.synthetic.examples import PHASES, build_synthetic_examples
from ibert_assets.synthetic.worlds import world_keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=6)
    parser.add_argument("--queries", type=int, default=40, help="queries per world")
    parser.add_argument("--first", type=int, default=100, help="index of the first world")
    args = parser.parse_args()

    build_synthetic_examples("world-9999", queries=2)  # imports, sandbox worker: not measured
    keys = world_keys(args.first + args.worlds)[args.first :]
    seconds = dict.fromkeys(PHASES, 0.0)
    generated = verified = 0
    shapes: set[str] = set()
    start = time.perf_counter()
    for key in keys:
        build = build_synthetic_examples(key, queries=args.queries)
        for phase in PHASES:
            seconds[phase] += build.seconds[phase]
        generated += build.outcome.counts["generated"]
        verified += len(build.outcome.records)
        for record in build.outcome.records:
            shapes.add(str(sql_shape(record.input.sql)))  # type: ignore[union-attr]
    wall = time.perf_counter() - start
    print(f"{args.worlds} worlds x {args.queries} queries: {generated} generated, "
          f"{verified} verified, {len(shapes)} distinct SQL shapes, {wall:.1f} s")  # fmt: skip
    for phase in PHASES:
        rate = generated / seconds[phase] if seconds[phase] else float("inf")
        print(f"  {phase:<13} {seconds[phase]:7.1f} s  {rate:9.1f} queries/s per core")
    print(f"  {'all':<13} {wall:7.1f} s  {verified / wall:9.1f} verified pairs/s per core")


if __name__ == "__main__":
    main()
