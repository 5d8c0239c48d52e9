"""Coherence figures of the augmented template records: how many are renamed, how many mix
domains, say "at least or above" or compare a never-negative column with a negative number.

Building and reading are separate, so that the records of another checkout (the code before a
change) are read by the current checks::

    python benchmarks/coherence_figures.py --dump /tmp/after.jsonl flights vehicle_telemetry
    git archive main | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before python benchmarks/coherence_figures.py --dump /tmp/before.jsonl \\
        flights vehicle_telemetry
    python benchmarks/coherence_figures.py --read /tmp/before.jsonl /tmp/after.jsonl
    python benchmarks/coherence_figures.py --read /tmp/after.jsonl --show 100   # read them

``--dump`` verifies the templates' examples and their variants as ``augmented_examples`` does
and writes both as JSON Lines; ``--read`` prints the figures of each file (and how many records
the ``coherent_records`` check fails); ``--show N`` prints N renamed records spread over the file
(schema, SQL, question) to read by eye.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
_NEGATIVE_WORDING = re.compile(r"\b(above|below|than|after|before|least|most|over|under) -\d")


def dump(stems: list[str], out: Path) -> None:
    from ibert_assets.templates.verified_pairs import (
        build_augmented_examples,
        build_template_examples,
    )

    started = time.perf_counter()
    with out.open("w") as handle:
        for stem in stems:
            originals = build_template_examples(TEMPLATES_DIR / f"{stem}.yaml").records
            augmented = build_augmented_examples(originals).records
            for record in [*originals, *augmented]:
                handle.write(json.dumps(record.to_dict()) + "\n")
    print(f"wrote {out} from {stems} in {time.perf_counter() - started:.0f} s")


def read(path: Path, show: int) -> None:
    from ibert_assets.templates.coherence import (
        awkward_wording,
        negative_comparisons,
        record_problems,
        schema_domain,
    )
    from ibert_assets.templates.loader import load_template
    from ibert_inference.dataset.record import Record

    records = [Record.model_validate(json.loads(line)) for line in path.open()]
    augmented = [r for r in records if r.meta.source == "augmented"]
    renamed = [r for r in augmented if "rename" in str(r.meta.extra("augmentation", ""))]
    counts: Counter[str] = Counter()
    for record in records:
        description = record.meta.description or ""
        sql = getattr(record.input, "sql", "")
        counts["at least or above"] += "at least or above" in description
        counts["awkward wording"] += bool(awkward_wording(description))
        counts["negative threshold in question"] += bool(_NEGATIVE_WORDING.search(description))
        counts["never-negative column vs negative number"] += bool(
            negative_comparisons(sql, record.dialect or "duckdb")
        )
    tables: dict[str, dict[str, dict[str, str]] | None] = {}
    failing = 0
    for record in records:
        name = record.meta.template or ""
        if name not in tables:
            template = TEMPLATES_DIR / f"{name}.yaml"
            tables[name] = load_template(template).tables if template.is_file() else None
        failing += bool(record_problems(record, tables[name]))
    mixed = [r for r in renamed if schema_domain(r.table_schemas) is None]
    print(f"== {path}: {len(records)} records, {len(augmented)} augmented")
    print(f"renamed: {len(renamed)} ({len(renamed) / max(1, len(augmented)):.1%} of augmented)")
    print(f"renamed schemas outside one domain's vocabulary: {len(mixed)}")
    for name, count in counts.items():
        print(f"{name}: {count}")
    print(f"records failing coherent_records: {failing}")
    step = max(1, len(renamed) // show) if show else 1
    for record in renamed[::step][:show]:  # spread over the templates
        schema = "; ".join(f"{t}({', '.join(c)})" for t, c in record.table_schemas.items())
        print(f"-- {schema}\n   {getattr(record.input, 'sql', '')}\n   {record.meta.description}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dump", type=Path, help="write the built records here")
    parser.add_argument("--read", type=Path, nargs="+", help="print the figures of these files")
    parser.add_argument("--show", type=int, default=0, help="renamed records to print")
    parser.add_argument("stems", nargs="*", help="templates to build (with --dump)")
    args = parser.parse_args(argv)
    if args.dump:
        dump(args.stems, args.dump)
    for path in args.read or ():
        read(path, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
