"""Where ``augmented_examples`` spends its time, per pair, broken down by step.

Builds the template examples of a few templates, then their variants as the asset does
(``build_augmented_examples``), twice: once in the sandbox worker as the build runs it, once in
this process (the worker's steps then run here) with a CPU timer around every step (CPU time
barely moves when other jobs share the machine; wall-clock time does). It prints the CPU
milliseconds per generated pair of: making the variants (renaming, new literals, SQL respelled
and transpiled to other dialects), evaluating the Ibis code, compiling it, reading the SQL's
literals, generating databases, loading tables into DuckDB, running the SQL and the compiled
Ibis there, comparing; the sandbox round trip is the difference between the two runs. Run::

    python benchmarks/bench_augment.py [--templates library_loans,retail_orders]
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cpu_time import process_tree_cpu

TIMES: dict[str, float] = defaultdict(float)
_active: list[str] = []


def timed(owner: Any, attribute: str, step: str) -> None:
    """Time ``owner.attribute`` under ``step``, minus the time of steps timed inside it."""
    original: Callable[..., Any] = getattr(owner, attribute)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _active.append(step)
        start = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            elapsed = time.process_time() - start
            _active.pop()
            TIMES[step] += elapsed
            if _active:
                TIMES[_active[-1]] -= elapsed

    setattr(owner, attribute, wrapper)


def instrument() -> None:
    import ibis
    import sqlglot

    import ibert_assets.templates.augment as augment
    import ibert_assets.templates.verified_pairs as verified_pairs
    import ibert_inference.safe_eval.evaluator as evaluator
    import ibert_inference.verify.databases as databases
    import ibert_inference.verify.pair as pair

    for operator in augment.OPERATORS:
        timed(augment, operator.__name__, "variants")
    augment.QUESTION_OPERATORS = tuple(
        getattr(augment, o.__name__) for o in augment.QUESTION_OPERATORS
    )
    augment.INPUT_OPERATORS = tuple(getattr(augment, o.__name__) for o in augment.INPUT_OPERATORS)
    timed(evaluator, "evaluate_ibis", "evaluate Ibis")
    timed(ibis, "to_sql", "compile Ibis")
    timed(sqlglot, "parse_one", "parse SQL (verifier)")
    timed(pair, "query_literals", "read literals")
    timed(databases, "_cached_databases", "generate databases")
    timed(databases, "_empty_database", "generate databases")
    timed(databases, "load_table", "load tables")
    timed(databases.GeneratedDatabase, "execute", "run in DuckDB")
    timed(pair, "compare_results", "compare")
    timed(verified_pairs, "pair_record", "make records")


def run(templates: list[str], in_process: bool) -> tuple[int, float, float]:
    from ibert_assets.templates.verified_pairs import (
        build_augmented_examples,
        build_template_examples,
    )
    from ibert_inference.sandbox import pool

    pool.IN_WORKER = in_process
    records = []
    for name in templates:
        records.extend(build_template_examples(Path("templates") / f"{name}.yaml").records)
    TIMES.clear()
    start, cpu = time.perf_counter(), process_tree_cpu()
    outcome = build_augmented_examples(records)
    return outcome.counts["generated"], time.perf_counter() - start, process_tree_cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", default="library_loans,retail_orders")
    templates = parser.parse_args().templates.split(",")
    pairs, wall, in_worker = run(templates, in_process=False)
    print(f"{pairs} variants of {', '.join(templates)}")
    print(
        f"in the sandbox worker (as the build): {in_worker * 1000 / pairs:6.1f} ms of CPU per pair "
        f"({wall * 1000 / pairs:.1f} ms wall)"
    )
    instrument()
    pairs, wall, here = run(templates, in_process=True)
    print(
        f"in this process, timed:               {here * 1000 / pairs:6.1f} ms of CPU per pair "
        f"({wall * 1000 / pairs:.1f} ms wall)"
    )
    for step, seconds in sorted(TIMES.items(), key=lambda item: -item[1]):
        print(f"  {step:24s} {seconds * 1000 / pairs:6.1f} ms")
    print(f"  {'other':24s} {(here - sum(TIMES.values())) * 1000 / pairs:6.1f} ms")
    print(
        f"  {'sandbox round trip':24s} {(in_worker - here) * 1000 / pairs:6.1f} ms (the difference)"
    )


if __name__ == "__main__":
    main()
