"""Asset metadata the UI shows: counts as tables, sample records, the record's column schema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg

OWNERS = ["team:ibert-data"]
RECORD_COLUMNS = dg.TableSchema(
    columns=[
        dg.TableColumn("id", "string", description="content hash of (task, input, target)"),
        dg.TableColumn("task", "string", description="one of the six tasks"),
        dg.TableColumn("dialect", "string"),
        dg.TableColumn("backend", "string"),
        dg.TableColumn("ibis_version", "string"),
        dg.TableColumn("context", "json", description="tables and their schemas"),
        dg.TableColumn("input", "json", description="task-specific input (sql, ibis, prefix, ...)"),
        dg.TableColumn("target", "json", description="task-specific target"),
        dg.TableColumn("meta", "json", description="template, source, features, difficulty"),
        dg.TableColumn("provenance", "json", description="repo, commit, path, lines, license"),
        dg.TableColumn("verification", "json", description="method, status, databases, seed"),
    ]
)


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


def dataset_metadata(
    records: list[dict[str, Any]], counts: Mapping[str, int], seconds: float
) -> dict[str, Any]:
    return {
        "records": dg.MetadataValue.int(len(records)),
        "counts": counts_table(counts),
        "sample_records": samples(records),
        "seconds": dg.MetadataValue.float(round(seconds, 2)),
        "dagster/row_count": dg.MetadataValue.int(len(records)),
    }
