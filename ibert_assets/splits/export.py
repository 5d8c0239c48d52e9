"""Exports of ``train_complete``: Parquet for ``datasets.load_dataset``, and a dataset card."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

NESTED = ("context", "input", "target", "meta", "provenance", "verification")


def to_parquet_bytes(records: list[dict[str, Any]]) -> bytes:
    """One row per record; nested fields as JSON text so every task shares one schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns: dict[str, list[Any]] = {
        "id": [], "task": [], "dialect": [], "backend": [], "ibis_version": [],
        **{name: [] for name in NESTED},
    }  # fmt: skip
    for record in records:
        for name in ("id", "task", "dialect", "backend", "ibis_version"):
            columns[name].append(record.get(name))
        for name in NESTED:
            columns[name].append(json.dumps(record.get(name), default=str))
    table = pa.table({name: pa.array(v, type=pa.string()) for name, v in columns.items()})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def dataset_card(splits: Mapping[str, list[dict[str, Any]]], counts: Mapping[str, int]) -> str:
    """The Markdown card: counts per split and task, source and difficulty, and how it was made."""
    lines = [
        "# iBERT train_complete",
        "",
        "Verified Ibis training data for six tasks. Every sql_to_ibis, ibis_to_sql,",
        "code_completion and error_resolution target was verified by execution (on",
        "generated DuckDB databases, or compiled by Ibis from verified code). Splits are assigned",
        "by a stable hash of a group key (one template family, one mined file), and near",
        "duplicates (MinHash, Jaccard >= threshold) always share a split.",
        "",
        "Load it with `datasets.load_dataset('parquet', data_files={'train': ...})`; nested",
        "fields (input, target, context, meta, provenance, verification) are JSON text.",
        "",
        "## Examples per split and task",
        "",
    ]
    tasks = sorted({r["task"] for records in splits.values() for r in records})
    lines.append("| task | " + " | ".join(splits) + " |")
    lines.append("|---|" + "---:|" * len(splits))
    for task in tasks:
        row = [str(sum(r["task"] == task for r in splits[s])) for s in splits]
        lines.append(f"| {task} | " + " | ".join(row) + " |")
    lines.append("| **total** | " + " | ".join(str(len(v)) for v in splits.values()) + " |")
    for title, key in (("source", "source"), ("difficulty", "difficulty")):
        tally = Counter(
            str((r.get("meta") or {}).get(key) or "unknown")
            for records in splits.values()
            for r in records
        )
        lines += ["", f"## Examples per {title}", "", f"| {title} | examples |", "|---|---:|"]
        lines += [f"| {name} | {n} |" for name, n in sorted(tally.items())]
    lines += ["", "## Deduplication", "", "| what | count |", "|---|---:|"]
    lines += [f"| {name} | {n} |" for name, n in sorted(counts.items())]
    return "\n".join(lines) + "\n"
