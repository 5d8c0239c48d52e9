"""Asset metadata the UI shows: counts as tables, sample records, the record's column schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, get_origin

import dagster as dg

from ibert_assets.outcome import Outcome
from ibert_assets.record import Record

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


def samples(records: list[dict[str, Any]], limit: int = 3) -> dg.MetadataValue:
    """A few records as pretty JSON in Markdown."""
    blocks = [
        "```json\n" + json.dumps(record, indent=2, default=str)[:1500] + "\n```"
        for record in records[:limit]
    ]
    return dg.MetadataValue.md("\n\n".join(blocks) or "_no records_")


def dataset_metadata(outcome: Outcome) -> dict[str, Any]:
    """What the UI shows of a builder's outcome: counts, samples, time, rows."""
    return {
        "records": dg.MetadataValue.int(len(outcome.records)),
        "counts": counts_table(outcome.counts),
        "sample_records": samples(outcome.records),
        "seconds": dg.MetadataValue.float(round(outcome.seconds, 2)),
        "dagster/row_count": dg.MetadataValue.int(len(outcome.records)),
    }
