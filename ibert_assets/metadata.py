"""Asset metadata the UI shows: counts as tables, sample records, the record's column schema.

What is a total says so: ``records_all_partitions`` is the sum over every stored partition of
the asset, beside the partition's own ``records``. Figures of one partition among several
(a check's counts) are shown as text, not as numbers the UI would plot as a line across
partitions as though they were points in time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, get_origin

import dagster as dg

from ibert_assets.outcome import Outcome
from ibert_assets.quality import source_figures, source_figures_table, task_figures
from ibert_inference.dataset.record import Record

OWNERS = ["team:ibert-data"]


def record_columns() -> dg.TableSchema:
    """The record's fields as Dagster columns: nested models and dicts are JSON."""
    columns = []
    for name, field in Record.model_fields.items():
        plain = field.annotation in (str, str | None) or get_origin(field.annotation) is Literal
        columns.append(
            dg.TableColumn(
                field.serialization_alias or name,
                "string" if plain else "json",
                description=field.description or "",
            )
        )
    return dg.TableSchema(columns=columns)


RECORD_COLUMNS = record_columns()


def counts_table(counts: Mapping[str, float], *, title: str = "count") -> dg.MetadataValue:
    """A Markdown table of counters, largest first."""
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    body = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return dg.MetadataValue.md(f"| what | {title} |\n|---|---:|\n{body}")


def samples(records: list[Record], limit: int = 3) -> dg.MetadataValue:
    """A few records as pretty JSON in Markdown."""
    blocks = [
        "```json\n" + json.dumps(record.to_dict(), indent=2, default=str)[:1500] + "\n```"
        for record in records[:limit]
    ]
    return dg.MetadataValue.md("\n\n".join(blocks) or "_no records_")


def dataset_metadata(outcome: Outcome, *, total: int | None = None) -> dict[str, Any]:
    """What the UI shows of a builder's outcome: counts, samples, time, rows and the quality
    figures of its records; ``total`` (when given) the records over all partitions."""
    metadata: dict[str, Any] = {
        "records": dg.MetadataValue.int(len(outcome.records)),
        "counts": counts_table(outcome.counts),
        "sample_records": samples(outcome.records),
        # the builder's own time; `seconds` (the I/O manager's) is the whole step's, as logged
        "seconds_building": dg.MetadataValue.float(round(outcome.seconds, 2)),
        "dagster/row_count": dg.MetadataValue.int(len(outcome.records)),
        **quality_metadata(outcome.records),
    }
    if total is not None:
        metadata["records_all_partitions"] = dg.MetadataValue.int(total)
    return metadata


def quality_metadata(records: list[Record]) -> dict[str, Any]:
    """Per task: distinct inputs, distinct SQL shapes, inputs with more than one target, and
    the share of each source; as a table, and as numbers (summed over tasks) for plots."""
    figures = task_figures(records)
    rows = [
        f"| {task} | {f.records} | {f.distinct_inputs} | {f.distinct_shapes} "
        f"| {f.inputs_with_several_targets} | "
        + ", ".join(f"{s} {v:.0%}" for s, v in f.share_per_source.items())
        + " |"
        for task, f in figures.items()
    ]
    table = (
        "| task | records | distinct inputs | distinct SQL shapes | inputs with >1 target "
        "| share per source |\n|---|---:|---:|---:|---:|---|\n" + "\n".join(rows)
    )
    return {
        "quality_per_task": dg.MetadataValue.md(table),
        "quality_per_source": dg.MetadataValue.md(source_figures_table(source_figures(records))),
        "distinct_inputs": dg.MetadataValue.int(sum(f.distinct_inputs for f in figures.values())),
        "distinct_sql_shapes": dg.MetadataValue.int(
            sum(f.distinct_shapes for f in figures.values())
        ),
        "inputs_with_several_targets": dg.MetadataValue.int(
            sum(f.inputs_with_several_targets for f in figures.values())
        ),
    }


def stored_total(base: str, asset: str, *, replacing: str | None = None, count: int = 0) -> int:
    """Records in every stored partition of ``asset``; ``replacing`` one with ``count``.

    The partition being written is counted as it will be (``count``), not as the last run left
    it. Lines are counted, not parsed: a record is one line.
    """
    from ibert_assets.store import upath

    folder = upath(base) / asset
    total = count if replacing is not None else 0
    if not folder.exists():
        return total
    for path in folder.glob("*.jsonl"):
        if path.name.endswith(".rejects.jsonl") or path.stem == replacing:
            continue
        with path.open("rb") as stream:
            total += sum(1 for line in stream if line.strip())
    return total


def per_partition_figures(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata`` with bare numbers as text: one partition's figures are not a time series."""
    return {
        key: dg.MetadataValue.text(f"{value:,}")
        if isinstance(value, int | float) and not isinstance(value, bool)
        else value
        for key, value in metadata.items()
    }
