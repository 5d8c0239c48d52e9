"""What typed records cost: loading, validating and writing stored records, per 10,000.

Run: python benchmarks/bench_records.py [--data-dir DIR] [--records 10000] [--repeats 7]

The records are real stored ones: every ``*.jsonl`` record file under ``--data-dir`` (a build's
store), or, without one, the records of one template built here (templates/retail_orders.yaml,
its pairs verified as a build does). They are cycled up to ``--records`` lines.

"dict" is what the store did before records were typed: ``json.loads`` each line, ``json.dumps``
each dict. "Record" is ``Record.model_validate_json`` (parse and validate in pydantic's Rust core)
and ``Record.to_json`` (the same bytes as before); "as the store reads" is
``records_from_lines``, the same with the garbage collector paused, which is what the store
does. "round trip" is load then dump. Medians over the repeats, in milliseconds per 10,000
records (the loaded objects are kept, as a build keeps them, so the garbage collector's work on
them counts).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from ibert_inference.dataset.record import Record, records_from_lines

PER = 10_000


def stored_lines(data_dir: Path | None) -> list[str]:
    if data_dir is not None:
        files = [
            p for p in sorted(data_dir.rglob("*.jsonl")) if not p.name.endswith(".rejects.jsonl")
        ]
        lines = [line for p in files for line in p.read_text().splitlines() if line.strip()]
        return [line for line in lines if _is_record(line)]
    from ibert_assets.templates.verified_pairs import build_template_examples

    template = Path(__file__).resolve().parents[1] / "templates" / "retail_orders.yaml"
    return [record.to_json() for record in build_template_examples(template).records]


def _is_record(line: str) -> bool:
    try:
        Record.model_validate_json(line)
    except ValueError:
        return False  # a snapshot or evaluation row, not a record
    return True


def median_ms(work: Callable[[], object], repeats: int, scale: float) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()  # each repeat starts from the same heap: the previous result is garbage
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000 * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--records", type=int, default=PER)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    found = stored_lines(args.data_dir)
    lines = list(itertools.islice(itertools.cycle(found), args.records))
    dicts = [json.loads(line) for line in lines]
    records = [Record.model_validate_json(line) for line in lines]
    assert [r.to_json() for r in records] == lines, "a stored record does not round-trip"
    scale = PER / len(lines)

    rows = {
        "load: dict (json.loads)": lambda: [json.loads(line) for line in lines],
        "load: Record (model_validate_json)": lambda: [
            Record.model_validate_json(line) for line in lines
        ],
        "load: Record, as the store reads": lambda: records_from_lines(lines, "line {}"),
        "dump: dict (json.dumps)": lambda: [json.dumps(d, default=str) for d in dicts],
        "dump: Record (to_json)": lambda: [r.to_json() for r in records],
        "round trip: dict": lambda: [json.dumps(json.loads(line), default=str) for line in lines],
        "round trip: Record": lambda: [
            Record.model_validate_json(line).to_json() for line in lines
        ],
    }
    size = sum(map(len, lines)) / len(lines)
    print(f"{len(found)} distinct stored records, cycled to {len(lines)}; {size:.0f} bytes each")
    print(f"{'what':38} {'ms per 10k (median of ' + str(args.repeats) + ')':>28}")
    measured = {name: median_ms(work, args.repeats, scale) for name, work in rows.items()}
    for name, ms in measured.items():
        print(f"{name:38} {ms:28.1f}")
    extra = (measured["load: Record, as the store reads"] - measured["load: dict (json.loads)"]) + (
        measured["dump: Record (to_json)"] - measured["dump: dict (json.dumps)"]
    )
    print(
        f"typed records add {extra / PER * 1000:.1f} µs per record loaded and written once; "
        f"{extra * 7 / 1000:.1f} s over 70,000 records"
    )


if __name__ == "__main__":
    main()
