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
>>> record.to_json()
'{"id": "7d5a9200f24acdfa", "task": "qa", "input": {"question": "q"}, "target": {"answer": "a"}, \
"meta": {"source": "docs"}}'
>>> Record.from_json(record.to_json()) == record
True
>>> record.meta.source, record.table_schemas
('docs', {})
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterable
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ibert_inference.errors import DataStoreError

Task = Literal[
    "sql_to_ibis", "ibis_to_sql", "code_completion", "error_resolution", "qa", "documentation"
]
TASKS: tuple[Task, ...] = get_args(Task)
Source = Literal["template", "augmented", "mined", "docs"]


# What a stored record may say of itself: a pair checked by execution, or an example (a question,
# a docstring) that execution cannot check. Rejects keep the verifier's other statuses.
RecordStatus = Literal["verified", "not_applicable"]
VERIFIED: Final[RecordStatus] = "verified"
NOT_APPLICABLE: Final[RecordStatus] = "not_applicable"


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


# Field order is the stored key order: a record is stored with the fields it was given, in
# declared order, then its extra fields in the order they were added. The declared fields below
# are in an order every builder already wrote them in, so stored files round-trip byte for byte.


class Meta(BaseModel):
    model_config = ConfigDict(extra="allow")

    source: Source
    origin: str | None = None
    template: str | None = None
    family: str | None = None
    variation: dict[str, Any] | None = None
    features: list[str] = Field(default_factory=list)
    difficulty: str | None = None
    description: str | None = None
    domains: dict[str, Any] | None = None

    def extra(self, name: str, default: Any = None) -> Any:
        """A builder-specific field (``group``, ``derived_from``, ``held_out``, ...)."""
        return (self.model_extra or {}).get(name, default)


class Provenance(BaseModel):
    model_config = ConfigDict(extra="allow")

    package: str | None = None  # an installed package stands for a repository: its release
    version: str | None = None
    repo: str
    url: str
    commit: str
    path: str
    line_start: int
    line_end: int
    license: str
    origin: str | None = None


class Verification(BaseModel):
    model_config = ConfigDict(extra="allow")

    method: str
    status: RecordStatus
    databases: int = 0
    seed: int | None = None
    order_checked: bool | None = None
    compiled_sql: str | None = None  # the DuckDB SQL of the Ibis side that ran


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

    @property
    def table_schemas(self) -> dict[str, dict[str, str]]:
        """The record's tables as ``{table: {column: dtype}}``, the shape the verifier takes."""
        return {name: dict(table.schema_) for name, table in self.context.tables.items()}

    @property
    def status(self) -> RecordStatus | None:
        return self.verification.status if self.verification is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The stored JSON object: the fields this record was given, nothing filled in."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    def to_json(self) -> str:
        """The stored line (without its newline).

        ``json.dumps`` of the fields it was given, as the store has always written them: a
        record read from a file and written again is the same bytes.
        """
        return json.dumps(self.to_dict(), default=str)

    @classmethod
    def from_json(cls, line: str | bytes, *, where: str = "record") -> Record:
        """A stored line parsed and validated; a bad one is a :class:`RecordError` naming
        ``where`` (``file:line``) and the field."""
        try:
            return cls.model_validate_json(line)
        except ValidationError as exc:
            raise RecordError.from_validation(exc, where) from None

    def replace(self, **changes: Any) -> Record:
        """A copy with ``changes``. They are not validated again (a builder's copies are many):
        give nested fields as models (``Meta``, ``Provenance``, ``Verification``), not dicts."""
        return self.model_copy(update=changes)

    def with_meta(self, **changes: Any) -> Record:
        """A copy whose meta has ``changes`` (new fields after the existing ones)."""
        return self.model_copy(update={"meta": self.meta.model_copy(update=changes)})


class RecordError(DataStoreError):
    """A stored line is not a valid record."""

    @classmethod
    def from_validation(cls, exc: ValidationError, where: str) -> RecordError:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(record)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return cls(
            f"{where}: {field}: {first['msg']}{more} — fix or delete that line, or rebuild the "
            "partition"
        )


def records_from_lines(lines: Iterable[str], where: str) -> list[Record]:
    """Stored lines as validated records; a bad one is named ``where.format(n)`` (1-based).

    The garbage collector is paused meanwhile: every object made here is kept, so its passes over
    the growing list free nothing, and they made loading 67k records seven times slower.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return [
            Record.from_json(line, where=where.format(number))
            for number, line in enumerate(lines, start=1)
            if line.strip()
        ]
    finally:
        if collecting:
            gc.enable()


def record_json_schema() -> dict[str, Any]:
    """JSON Schema of a stored record (what the asset checks validate every line against)."""
    return Record.model_json_schema(by_alias=True, mode="serialization")
