"""The dataset record: one JSON object per example, stable field names, content-hash ids.

>>> make_id("sql_to_ibis", {"sql": "SELECT 1"}, {"ibis": "result = t"})
'6ae88dbe5b7456db'
>>> record = Record(
...     id=make_id("qa", {"question": "q"}, {"answer": "a"}),
...     task="qa",
...     input={"question": "q"},
...     target={"answer": "a"},
...     meta={"source": "docs"},
... )
>>> record.model_dump()["context"]
{'tables': {}}
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Task = Literal[
    "sql_to_ibis", "ibis_to_sql", "code_completion", "error_resolution", "qa", "documentation"
]
TASKS: tuple[Task, ...] = get_args(Task)
Source = Literal["template", "augmented", "mined", "docs"]


# What a stored record may say of itself: a pair checked by execution, or an example (a question,
# a docstring) that execution cannot check. Rejects keep the verifier's other statuses.
RecordStatus = Literal["verified", "not_applicable"]
VERIFIED: Final = "verified"


def make_id(task: str, input: Any, target: Any) -> str:
    """Content hash of (task, input, target): the same example always gets the same id."""
    canonical = json.dumps([task, input, target], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


class TableContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: dict[str, str] = Field(alias="schema", serialization_alias="schema")


class Context(BaseModel):
    model_config = ConfigDict(extra="allow")

    tables: dict[str, TableContext] = Field(default_factory=dict)


class Meta(BaseModel):
    model_config = ConfigDict(extra="allow")

    source: Source
    template: str | None = None
    family: str | None = None
    variation: dict[str, Any] | None = None
    features: list[str] = Field(default_factory=list)
    difficulty: str | None = None


class Provenance(BaseModel):
    model_config = ConfigDict(extra="allow")

    repo: str
    url: str
    commit: str
    path: str
    line_start: int
    line_end: int
    license: str


class Verification(BaseModel):
    model_config = ConfigDict(extra="allow")

    method: str
    status: RecordStatus
    databases: int = 0
    seed: int | None = None


class Record(BaseModel):
    """One example. ``input`` and ``target`` hold task-specific fields (sql, ibis, prefix, ...)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[0-9a-f]{16}$", description="content hash of (task, input, target)")
    task: Task = Field(description="one of the six tasks")
    dialect: str | None = Field(default="duckdb", description="SQL dialect of the example")
    backend: str | None = Field(default="duckdb", description="backend it was verified on")
    ibis_version: str | None = Field(default=None, description="Ibis version that compiled it")
    context: Context = Field(default_factory=Context, description="tables and their schemas")
    input: dict[str, Any] = Field(description="task-specific input (sql, ibis, prefix, ...)")
    target: dict[str, Any] = Field(description="task-specific target")
    meta: Meta = Field(description="template, source, features, difficulty")
    provenance: Provenance | None = Field(
        default=None, description="repo, commit, path, lines, license"
    )
    verification: Verification | None = Field(
        default=None, description="method, status, databases, seed"
    )

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def schema_of(record: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The record's tables as ``{table: {column: dtype}}``, the shape the verifier takes."""
    return {name: dict(t["schema"]) for name, t in record["context"]["tables"].items()}


def record_json_schema() -> dict[str, Any]:
    """JSON Schema of a stored record (what the asset checks validate every line against)."""
    return Record.model_json_schema(by_alias=True, mode="serialization")
