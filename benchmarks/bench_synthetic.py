"""Throughput of synthetic examples: verified pairs per second per core, by phase.

Usage::

    python benchmarks/bench_synthetic.py                     # 6 worlds x 40 queries, one process
    python benchmarks/bench_synthetic.py --worlds 20 --queries 20
    python benchmarks/bench_synthetic.py --breadth 400   # generated only: shapes, schemas, levels
    python benchmarks/bench_synthetic.py --breadth 160 --store data   # and with a build's others

One process is one core (the verifier's sandbox worker runs while this process waits for it):
the figures are per core, and the CPU seconds of the process and its sandbox worker are
printed beside the wall time (a shared machine slows the wall clock, not the CPU time).
Generation (world and queries), translation (``sql_to_ibis``) and verification
(``verify_pair`` on the verifier's databases) are timed separately, as
``build_synthetic_examples`` measures them; a whole partition also pays the Dagster step, the
store and its checks (time one with ``dagster asset materialize``, as the README says).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from cpu_time import process_tree_cpu

from ibert_assets.quality import sql_shape
from ibert_assets.synthetic.examples import PHASES, build_synthetic_examples
from ibert_assets.synthetic.worlds import world_keys


def breadth(worlds: int, queries: int, store: Path | None = None) -> None:
    """Distinct SQL shapes, schema structures (of the records' schemas: the tables each query
    reads) and the level mix of the generated queries (not verified: the fuzzing report says
    what share verifies), at a few sizes up to ``worlds``; with ``store``, also those of the
    union with that build's other sql_to_ibis records (templates, augmented, mined)."""
    from collections import Counter

    from ibert_assets.synthetic.queries import generate_queries
    from ibert_assets.synthetic.worlds import iter_worlds

    others_shapes, others_structures = _other_sources(store) if store else (set(), set())
    shapes: set[str | None] = set()
    structures: set[str] = set()
    levels: Counter[str] = Counter()
    marks = {n for n in (16, 50, 64, 100, 160, 200, 400, 1000, 10_000) if n < worlds} | {worlds}
    for index, world in enumerate(iter_worlds(worlds), start=1):
        for query in generate_queries(world, queries):
            levels[query.level] += 1
            shapes.add(sql_shape(query.sql))
            # what a record's schema holds (the tables its query reads), as quality counts it
            tables = world.schema(query.tables).values()
            structures.add(json.dumps(sorted(sorted(t.values()) for t in tables)))
        if index in marks:
            total = sum(levels.values())
            hard = (levels["complex"] + levels["highly complex"]) / total
            line = (
                f"{index:6} worlds {total:8} queries {len(shapes):7} shapes "
                f"{len(structures):6} schema structures {hard:.0%} complex or highly complex"
            )
            if store:
                line += (
                    f"; with the store's other sources {len(shapes | others_shapes)} shapes, "
                    f"{len(structures | others_structures)} schema structures"
                )
            print(line)


def _other_sources(store: Path) -> tuple[set[str | None], set[str]]:
    """The SQL shapes and schema structures of a built store's sql_to_ibis records that are not
    synthetic, as the dataset card counts them."""
    from ibert_assets.quality import schema_structure, sql_of
    from ibert_inference.dataset.record import Record

    shapes: set[str | None] = set()
    structures: set[str] = set()
    path = store / "multitask_examples" / "sql_to_ibis.jsonl"
    with path.open() as lines:
        for line in lines:
            record = Record.from_json(line, where=str(path))
            if record.meta.source == "synthetic":
                continue
            found = sql_of(record)
            shapes.add(sql_shape(*found) if found else None)
            if record.context.tables:
                structures.add(schema_structure(record))
    return shapes - {None}, structures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=6)
    parser.add_argument("--queries", type=int, default=40, help="queries per world")
    parser.add_argument("--first", type=int, default=100, help="index of the first world")
    parser.add_argument("--breadth", type=int, default=0, help="only count what N worlds give")
    parser.add_argument(
        "--store", type=Path, help="with --breadth: a built store whose other sources to add"
    )
    args = parser.parse_args()
    if args.breadth:
        breadth(args.breadth, args.queries, args.store)
        return

    build_synthetic_examples("world-9999", queries=2)  # imports, sandbox worker: not measured
    keys = world_keys(args.first + args.worlds)[args.first :]
    seconds = dict.fromkeys(PHASES, 0.0)
    generated = verified = 0
    shapes: set[str] = set()
    start, cpu = time.perf_counter(), process_tree_cpu()
    for key in keys:
        build = build_synthetic_examples(key, queries=args.queries)
        for phase in PHASES:
            seconds[phase] += build.seconds[phase]
        generated += build.outcome.counts["generated"]
        verified += len(build.outcome.records)
        for record in build.outcome.records:
            shapes.add(str(sql_shape(record.input.sql)))  # type: ignore[union-attr]
    wall, cpu = time.perf_counter() - start, process_tree_cpu() - cpu
    print(f"{args.worlds} worlds x {args.queries} queries: {generated} generated, "
          f"{verified} verified, {len(shapes)} distinct SQL shapes, {wall:.1f} s")  # fmt: skip
    for phase in PHASES:
        rate = generated / seconds[phase] if seconds[phase] else float("inf")
        print(f"  {phase:<13} {seconds[phase]:7.1f} s  {rate:9.1f} queries/s per core")
    print(f"  {'all':<13} {wall:7.1f} s  {verified / wall:9.1f} verified pairs/s per core")
    print(
        f"  {'CPU':<13} {cpu:7.1f} s  {verified / cpu:9.1f} verified pairs per CPU-second, "
        f"{cpu / len(keys):.2f} CPU-s per world"
    )


if __name__ == "__main__":
    main()
