"""``ibert from-sql DIR`` on any folder of ``.sql`` files, with no schema: the summary table,
the causes of what did not verify, and the time per model.

A dbt project's models, rendered to plain SQL (``dbt compile`` writes them under
``target/compiled/<project>/models/``), are what this measures: the share that translates and
verifies with nothing but the query. Run:

    python benchmarks/from_sql_folder.py FOLDER [FOLDER ...] [--dialect snowflake] [-v]
        [--causes N] [--out DIR]

``-v`` prints each model's one-line outcome; ``--out`` keeps the Ibis modules (else a temporary
folder). Each FOLDER gets its own table, then all of them together.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ibert_inference.tasks.sql_folder import ModelOutcome, sql_files, summary_table, translate_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--dialect", default="duckdb")
    parser.add_argument("--causes", type=int, default=12)
    parser.add_argument("--out", type=Path)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="ibis_models_"))
    everything: list[ModelOutcome] = []
    seconds: list[float] = []
    for folder in args.folders:
        outcomes = []
        for path in sql_files(folder):
            start = time.perf_counter()
            outcome = translate_model(path, folder, out / folder.name, dialect=args.dialect)
            seconds.append(time.perf_counter() - start)
            outcomes.append(outcome)
            if args.verbose:
                print(outcome.line()[:300], flush=True)
        print(f"\n== {folder} ({len(outcomes)} models, dialect {args.dialect})")
        print(summary_table(outcomes, causes=args.causes))
        everything += outcomes
    if len(args.folders) > 1:
        print(f"\n== all {len(args.folders)} folders ({len(everything)} models)")
        print(summary_table(everything, causes=args.causes))
    if seconds:
        print(
            f"\nseconds per model: median {statistics.median(seconds):.2f}, "
            f"max {max(seconds):.2f}, total {sum(seconds):.0f}"
        )


if __name__ == "__main__":
    main()
