"""Exports of ``train_complete``: Parquet for ``datasets.load_dataset``, and a dataset card."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ibert_assets.quality import TaskFigures, source_figures, source_figures_table, task_figures
from ibert_inference.dataset.record import Record

NESTED = ("context", "input", "target", "meta", "provenance", "verification")


def to_parquet_bytes(records: list[Record]) -> bytes:
    """One row per record; nested fields as JSON text so every task shares one schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, list[Any]] = {
        "id": [], "task": [], "dialect": [], "backend": [], "ibis_version": [],
        **{name: [] for name in NESTED},
    }  # fmt: skip
    for record in records:
        stored = record.to_dict()  # as in the JSON Lines file: a field it was not given is null
        for name in ("id", "task", "dialect", "backend", "ibis_version"):
            columns[name].append(stored.get(name))
        for name in NESTED:
            columns[name].append(json.dumps(stored.get(name), default=str))
    table = pa.table({name: pa.array(v, type=pa.string()) for name, v in columns.items()})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def dataset_card(
    splits: Mapping[str, list[Record]],
    counts: Mapping[str, int],
    before: Mapping[str, TaskFigures] | None = None,
) -> str:
    """The Markdown card: counts per split and task, source and difficulty, what the test split
    holds out, the quality figures per task (``before``: of the records as they came in), and
    how it was made."""
    lines = [
        "# iBERT train_complete",
        "",
        "Verified Ibis training data for six tasks. Every sql_to_ibis, ibis_to_sql,",
        "code_completion and error_resolution target was verified by execution (on",
        "generated DuckDB databases, or compiled by Ibis from verified code). Splits are assigned",
        "to whole groups (one template family, one mined file) sized 80/10/10, and near",
        "duplicates (MinHash, Jaccard >= threshold) always share a split. The test split holds",
        "whole templates (schemas and domains no training record comes from) beside unseen",
        "families and files of the other templates: `meta.held_out` says which.",
        "",
        "Load it with `datasets.load_dataset('parquet', data_files={'train': ...})`; nested",
        "fields (input, target, context, meta, provenance, verification) are JSON text.",
        "",
        "## Examples per split and task",
        "",
    ]
    tasks = sorted({r.task for records in splits.values() for r in records})
    lines.append("| task | " + " | ".join(splits) + " |")
    lines.append("|---|" + "---:|" * len(splits))
    for task in tasks:
        row = [str(sum(r.task == task for r in splits[s])) for s in splits]
        lines.append(f"| {task} | " + " | ".join(row) + " |")
    lines.append("| **total** | " + " | ".join(str(len(v)) for v in splits.values()) + " |")
    for title, key in (("source", "source"), ("difficulty", "difficulty")):
        tally = Counter(
            str(getattr(r.meta, key) or "unknown") for records in splits.values() for r in records
        )
        lines += ["", f"## Examples per {title}", "", f"| {title} | examples |", "|---|---:|"]
        lines += [f"| {name} | {n} |" for name, n in sorted(tally.items())]
    lines += _per_source_and_split(splits)
    lines += _held_out(splits)
    after = task_figures(r for records in splits.values() for r in records)
    lines += _figures("Quality figures per task (after deduplication)", after)
    every = [r for records in splits.values() for r in records]
    lines += ["", "## Quality figures per source", "", source_figures_table(source_figures(every))]
    if before is not None:
        lines += _figures("Quality figures per task (records as they came in)", before)
    lines += ["", "## Deduplication", "", "| what | count |", "|---|---:|"]
    lines += [f"| {name} | {n} |" for name, n in sorted(counts.items())]
    return "\n".join(lines) + "\n"


def _per_source_and_split(splits: Mapping[str, list[Record]]) -> list[str]:
    tally: Counter[tuple[str, str]] = Counter()
    for split, records in splits.items():
        for r in records:
            tally[(r.meta.source, split)] += 1
    sources = sorted({source for source, _ in tally})
    lines = ["", "## Examples per source and split", ""]
    lines.append("| source | " + " | ".join(splits) + " |")
    lines.append("|---|" + "---:|" * len(splits))
    for source in sources:
        row = []
        for split in splits:
            share = tally[(source, split)] / max(sum(tally[(source, s)] for s in splits), 1)
            row.append(f"{tally[(source, split)]} ({share:.0%})")
        lines.append(f"| {source} | " + " | ".join(row) + " |")
    return lines


def _held_out(splits: Mapping[str, list[Record]]) -> list[str]:
    lines = ["", "## What the evaluation splits hold out", "", "| split | held out | examples |"]
    lines.append("|---|---|---:|")
    for split, records in splits.items():
        kinds = Counter(str(r.meta.extra("held_out")) for r in records)
        for kind, n in sorted(kinds.items()):
            if kind != "None":
                lines.append(f"| {split} | {kind} | {n} |")
    templates = sorted(
        {
            str(r.meta.template)
            for r in splits.get("test", [])
            if r.meta.extra("held_out") == "template"
        }
    )
    worlds = sorted(
        {
            str(r.meta.extra("world"))
            for r in splits.get("test", [])
            if r.meta.extra("held_out") == "world"
        }
    )
    lines += ["", f"Held-out templates: {', '.join(templates) or 'none'}."]
    lines += [f"Held-out synthetic worlds: {', '.join(worlds) or 'none'}."]
    return lines


def _figures(title: str, figures: Mapping[str, TaskFigures]) -> list[str]:
    lines = ["", f"## {title}", ""]
    lines.append(
        "| task | records | distinct inputs | distinct SQL shapes | inputs with >1 target "
        "| share per source |"
    )
    lines.append("|---|---:|---:|---:|---:|---|")
    for task, f in sorted(figures.items()):
        shares = ", ".join(f"{s} {v:.0%}" for s, v in f.share_per_source.items())
        lines.append(
            f"| {task} | {f.records} | {f.distinct_inputs} | {f.distinct_shapes} "
            f"| {f.inputs_with_several_targets} | {shares} |"
        )
    return lines
