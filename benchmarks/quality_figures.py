"""Quality figures of the templates' expansion, and of the task records built from a slice.

Usage::

    python benchmarks/quality_figures.py                    # every template: examples, SQL shapes
    python benchmarks/quality_figures.py --before REF       # also the templates at git REF
    python benchmarks/quality_figures.py --build retail_analytics bank_ledger
        # verify those templates, augment them, build the six tasks' records from them and
        # print the per-task figures (distinct inputs, shapes, inputs with >1 target, sources)

Shapes: ``ibert_assets.quality.sql_shape`` (literals ``?``, names ``_``, qualifiers dropped).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ibert_assets.quality import role_contradictions, sql_shape, task_figures
from ibert_assets.templates.loader import expand_template, load_template

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"


def expansion_figures(directory: Path) -> tuple[int, set[str], list[str]]:
    """Examples, distinct shapes and role contradictions of every template file in ``directory``."""
    examples, shapes, contradictions = 0, set(), []
    for path in sorted(directory.glob("*.yaml")):
        template = load_template(path)
        contradictions += [f"{path.stem}: {c}" for c in role_contradictions(template.tables)]
        for example in expand_template(template):
            examples += 1
            shape = sql_shape(example.sql)
            if shape is not None:
                shapes.add(shape)
    return examples, shapes, contradictions


def templates_at(ref: str, into: Path) -> Path:
    """The top-level template files as they were at git ``ref``."""
    root = TEMPLATES_DIR.parent
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", ref, "templates/"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in names:
        if name.endswith(".yaml"):
            text = subprocess.run(
                ["git", "show", f"{ref}:{name}"], cwd=root, capture_output=True, text=True,
                check=True,
            ).stdout  # fmt: skip
            (into / Path(name).name).write_text(text)
    return into


def build_figures(stems: list[str]) -> None:
    from ibert_assets.tasks import TASKS, build_task
    from ibert_assets.templates.verified_pairs import (
        build_augmented_examples,
        build_template_examples,
    )

    started = time.perf_counter()
    template_pairs, augmented = [], []
    for stem in stems:
        outcome = build_template_examples(TEMPLATES_DIR / f"{stem}.yaml")
        template_pairs += outcome.records
        augmented += build_augmented_examples(outcome.records).records
    records = []
    for task in TASKS:
        build = build_task(
            task, template_pairs=template_pairs, augmented_pairs=augmented, mined=[], docs=[]
        )
        records += build.records
        print(f"{task:17s} counts: {dict(sorted(build.counts.items()))}")
    print(f"built {len(records)} records from {stems} in {time.perf_counter() - started:.0f} s")
    print("task              records  inputs  shapes  >1 target  sources")
    for task, f in task_figures(records).items():
        print(
            f"{task:17s} {f.records:7d} {f.distinct_inputs:7d} {f.distinct_shapes:7d} "
            f"{f.inputs_with_several_targets:10d}  {f.share_per_source}"
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="git ref whose templates to compare with")
    parser.add_argument("--build", nargs="+", metavar="STEM", help="templates to build tasks from")
    args = parser.parse_args(argv)
    if args.build:
        build_figures(args.build)
        return 0
    examples, shapes, contradictions = expansion_figures(TEMPLATES_DIR)
    print(f"now:    examples={examples} distinct_sql_shapes={len(shapes)}")
    if args.before:
        with tempfile.TemporaryDirectory() as folder:
            old_examples, old_shapes, _ = expansion_figures(templates_at(args.before, Path(folder)))
        print(
            f"before: examples={old_examples} distinct_sql_shapes={len(old_shapes)} ({args.before})"
        )
        print(f"new shapes: {len(shapes - old_shapes)}")
    print(f"schemas typed against their names' roles: {contradictions or 'none'}")
    return 1 if contradictions else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
