"""Mutation score of the verifier: how many wrong Ibis answers does ``verify_pair`` reject?

Run: python benchmarks/mutation_score.py [--pairs 150] [--data-dir DIR] [--save FILE]
                                         [--equivalent-from FILE]

Takes verified SQL<->Ibis pairs (the ``sql_to_ibis`` records of a built data directory when
``--data-dir`` is given, else one example per family of the templates in ``templates/``), applies
every semantic mutation operator of :mod:`ibert_inference.verify.semantic_mutations` to the
Ibis side, keeps the mutants that still evaluate and compile, and verifies each against the pair's
SQL. A mutant the verifier accepts is re-checked exhaustively (``--exhaustive-seeds`` more seeds
with eight databases each): if some database tells it apart it is a miss, else it is reported as
equivalent. Score = killed / (killed + missed).

``--save`` writes the pairs and every mutant's outcome as JSON; ``--equivalent-from`` takes the
pairs and the equivalent mutants from such a file instead of sampling and deciding them here.
Measuring an older verifier on the newer one's pairs and equivalence decisions
(``PYTHONPATH=old-checkout python benchmarks/mutation_score.py --equivalent-from new.json``)
compares like with like and keeps its weaker databases from calling its own misses equivalent.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ibert_inference.dataset.record import Record, SqlToIbisInput, SqlToIbisTarget

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
SHOWN_MISSES = 12


@dataclass(frozen=True)
class Pair:
    sql: str
    ibis: str
    schema: dict[str, dict[str, str]]
    origin: str


@dataclass
class MutantOutcome:
    origin: str
    operator: str
    sql: str
    code: str
    outcome: str  # killed, missed, equivalent, invalid
    detail: str = ""


def template_pairs() -> Iterator[Pair]:
    """The first example of every family of every template file."""
    from ibert_assets.templates.loader import expand_template, load_template

    for path in sorted(TEMPLATES_DIR.glob("*.yaml")):
        seen: set[str] = set()
        for example in expand_template(load_template(path)):
            if example.family in seen:
                continue
            seen.add(example.family)
            yield Pair(example.sql, example.ibis, example.schema, f"{path.stem}/{example.family}")


def data_pairs(data_dir: Path) -> Iterator[Pair]:
    """The ``sql_to_ibis`` records of a built data directory (rejects left out)."""
    for path in sorted(data_dir.rglob("*.jsonl")):
        if path.name.endswith(".rejects.jsonl"):
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            data = json.loads(line) if line.strip() else {}
            if data.get("task") != "sql_to_ibis":  # other files of the store hold other rows
                continue
            record = Record.from_dict(data, where=f"{path}:{number}")
            origin = f"{path.parent.name}/{record.meta.family or path.stem}"
            given, wanted = record.input_as(SqlToIbisInput), record.target_as(SqlToIbisTarget)
            yield Pair(given.sql, wanted.ibis, record.table_schemas, origin)


def sample_pairs(data_dir: Path | None, seed: int, count: int) -> tuple[list[Pair], list[Pair]]:
    """``count`` pairs drawn with ``seed`` that this verifier accepts, and all candidates."""
    from ibert_inference.verify.pair import verify_pair

    candidates = list(data_pairs(data_dir) if data_dir else template_pairs())
    random.Random(seed).shuffle(candidates)
    pairs: list[Pair] = []
    for pair in candidates:  # only pairs the verifier itself accepts measure anything
        if len(pairs) >= count:
            break
        if verify_pair(pair.sql, pair.ibis, pair.schema).ok:
            pairs.append(pair)
    return pairs, candidates


def evaluates(code: str, schema: dict[str, dict[str, str]]) -> bool:
    import ibis

    from ibert_assets_tests.in_process import evaluate_ibis

    try:
        ibis.to_sql(evaluate_ibis(code, schema), dialect="duckdb")
    except Exception:  # a mutant that no longer evaluates or compiles is not a semantic mutant
        return False
    return True


def differs_exhaustively(pair: Pair, code: str, seeds: int) -> str | None:
    """The first disagreement on many more (and larger) databases, or None (equivalent)."""
    from ibert_inference.verify.pair import verify_pair

    for seed in range(1, seeds + 1):
        verdict = verify_pair(pair.sql, code, pair.schema, seed=seed * 7919, count=8)
        if not verdict.ok and verdict.status != "vacuous":
            return f"seed {seed * 7919}: {verdict.status}: {verdict.reason}"
    return None


def score(
    pairs: list[Pair], exhaustive_seeds: int, equivalent: set[tuple[str, str]] | None
) -> list[MutantOutcome]:
    from ibert_inference.verify.pair import verify_pair
    from ibert_inference.verify.semantic_mutations import mutants

    outcomes: list[MutantOutcome] = []
    for pair in pairs:
        for operator, code in mutants(pair.ibis):
            if not evaluates(code, pair.schema):
                outcomes.append(MutantOutcome(pair.origin, operator, pair.sql, code, "invalid"))
                continue
            verdict = verify_pair(pair.sql, code, pair.schema)
            if not verdict.ok:
                detail = f"{verdict.status}: {verdict.reason}"[:200]
                outcomes.append(
                    MutantOutcome(pair.origin, operator, pair.sql, code, "killed", detail)
                )
                continue
            if equivalent is not None:
                kind = "equivalent" if (pair.sql, code) in equivalent else "missed"
                outcomes.append(MutantOutcome(pair.origin, operator, pair.sql, code, kind))
                continue
            difference = differs_exhaustively(pair, code, exhaustive_seeds)
            kind = "equivalent" if difference is None else "missed"
            outcomes.append(
                MutantOutcome(pair.origin, operator, pair.sql, code, kind, difference or "")
            )
    return outcomes


def report(outcomes: list[MutantOutcome]) -> None:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        table[outcome.operator][outcome.outcome] += 1
    header = f"{'operator':24s} {'mutants':>7s} {'killed':>6s} {'missed':>6s} {'equiv':>5s} "
    print(header + f"{'invalid':>7s} {'score':>6s}")
    totals: Counter[str] = Counter()
    for operator in sorted(table):
        counts = table[operator]
        totals.update(counts)
        print(_row(operator, counts))
    print(_row("TOTAL", totals))
    misses = [o for o in outcomes if o.outcome == "missed"]
    for miss in misses[:SHOWN_MISSES]:
        print(f"  missed {miss.operator} ({miss.origin}): {miss.code[:160]!r} {miss.detail[:120]}")


def _row(name: str, counts: Counter[str]) -> str:
    killed, missed = counts["killed"], counts["missed"]
    judged = killed + missed
    rate = f"{100 * killed / judged:5.1f}%" if judged else "    -"
    valid = killed + missed + counts["equivalent"]
    return (
        f"{name:24s} {valid:7d} {killed:6d} {missed:6d} {counts['equivalent']:5d} "
        f"{counts['invalid']:7d} {rate:>6s}"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=150, help="pairs sampled (default 150)")
    parser.add_argument("--data-dir", type=Path, help="a built data directory (default: templates)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pair sample")
    parser.add_argument("--exhaustive-seeds", type=int, default=6)
    parser.add_argument("--save", type=Path, help="write every mutant's outcome to this JSON file")
    parser.add_argument("--equivalent-from", type=Path, help="equivalent mutants of a saved run")
    args = parser.parse_args(argv)

    equivalent = None
    if args.equivalent_from:
        saved: dict[str, Any] = json.loads(args.equivalent_from.read_text())
        pairs = candidates = [Pair(**pair) for pair in saved["pairs"]]
        equivalent = {
            (o["sql"], o["code"]) for o in saved["mutants"] if o["outcome"] == "equivalent"
        }
    else:
        pairs, candidates = sample_pairs(args.data_dir, args.seed, args.pairs)
    started = time.perf_counter()
    outcomes = score(pairs, args.exhaustive_seeds, equivalent)
    elapsed = time.perf_counter() - started
    print(f"pairs: {len(pairs)} of {len(candidates)} ({'data' if args.data_dir else 'templates'})")
    report(outcomes)
    valid = sum(o.outcome != "invalid" for o in outcomes)
    print(f"time: {elapsed:.0f} s, {1e3 * elapsed / max(valid, 1):.0f} ms per valid mutant")
    if args.save:
        saved = {"pairs": [asdict(p) for p in pairs], "mutants": [asdict(o) for o in outcomes]}
        args.save.write_text(json.dumps(saved, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
