"""The dataset record: one JSON object per example, stable field names, content-hash ids.

Each task has its own typed ``input`` and ``target`` (frozen models, :data:`INPUT_TYPES` and
:data:`TARGET_TYPES` keyed on the task); a record's are validated as its task says, and stored
with the fields they were given, in declared order, as the plain JSON objects they always were.

>>> make_id("sql_to_ibis", {"sql": "SELECT 1"}, {"ibis": "result = t"})
'6ae88dbe5b7456db'
>>> make_id("sql_to_ibis", SqlToIbisInput(sql="SELECT 1"), SqlToIbisTarget(ibis="result = t"))
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
>>> record.meta.source, record.table_schemas, record.input.question
('docs', {}, 'q')
>>> record.group_key()
'record:7d5a9200f24acdfa'
>>> try:
...     Record.from_json(record.to_json().replace('"question"', '"sql"'), where="qa.jsonl:3")
... except RecordError as exc:
...     print(exc)  # doctest: +ELLIPSIS
qa.jsonl:3: input.question: Field required (and 1 more) — fix or delete that line, ...
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterable
from typing import Any, Final, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ibert_inference.errors import DataStoreError

Task = Literal[
    "sql_to_ibis", "ibis_to_sql", "code_completion", "error_resolution", "qa", "documentation"
]
TASKS: tuple[Task, ...] = get_args(Task)
Source = Literal["template", "augmented", "mined", "docs", "synthetic"]


# What a stored record may say of itself: a pair checked by execution, or an example (a question,
# a docstring) that execution cannot check. Rejects keep the verifier's other statuses.
RecordStatus = Literal["verified", "not_applicable"]
VERIFIED: Final[RecordStatus] = "verified"
NOT_APPLICABLE: Final[RecordStatus] = "not_applicable"


class TaskFields(BaseModel):
    """The task-specific part of a record (its input or its target): typed, frozen, stored as
    the fields it was given, in declared order. A field a builder did not give stays unset
    (``None``) and is not stored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def to_dict(self) -> dict[str, Any]:
        """The stored JSON object."""
        return self.model_dump(exclude_unset=True)


class SqlToIbisInput(TaskFields):
    sql: str
    dialect: str | None = None
    original_sql: str | None = None  # a mined query as it was written, before normalising
    original_dialect: str | None = None


class SqlToIbisTarget(TaskFields):
    ibis: str


class IbisToSqlInput(TaskFields):
    ibis: str
    dialect: str | None = None


class IbisToSqlTarget(TaskFields):
    sql: str
    dialect: str | None = None


class CodeCompletionInput(TaskFields):
    prefix: str
    instruction: str | None = None


class CodeCompletionTarget(TaskFields):
    completion: str


class ErrorResolutionInput(TaskFields):
    code: str
    error: str


class ErrorResolutionTarget(TaskFields):
    code: str
    change: str | None = None  # what the mutation that broke it did


class QaInput(TaskFields):
    question: str


class QaTarget(TaskFields):
    answer: str


class DocumentationInput(TaskFields):
    code: str
    function: str | None = None


class DocumentationTarget(TaskFields):
    docstring: str


TaskInput = (
    SqlToIbisInput
    | IbisToSqlInput
    | CodeCompletionInput
    | ErrorResolutionInput
    | QaInput
    | DocumentationInput
)
TaskTarget = (
    SqlToIbisTarget
    | IbisToSqlTarget
    | CodeCompletionTarget
    | ErrorResolutionTarget
    | QaTarget
    | DocumentationTarget
)
INPUT_TYPES: Final[dict[Task, type[TaskInput]]] = {
    "sql_to_ibis": SqlToIbisInput,
    "ibis_to_sql": IbisToSqlInput,
    "code_completion": CodeCompletionInput,
    "error_resolution": ErrorResolutionInput,
    "qa": QaInput,
    "documentation": DocumentationInput,
}
InputT = TypeVar("InputT", bound=TaskInput)
TargetT = TypeVar("TargetT", bound=TaskTarget)
TARGET_TYPES: Final[dict[Task, type[TaskTarget]]] = {
    "sql_to_ibis": SqlToIbisTarget,
    "ibis_to_sql": IbisToSqlTarget,
    "code_completion": CodeCompletionTarget,
    "error_resolution": ErrorResolutionTarget,
    "qa": QaTarget,
    "documentation": DocumentationTarget,
}


def _plain(fields: Any) -> Any:
    return fields.to_dict() if isinstance(fields, TaskFields) else fields


def make_id(task: str, input: Any, target: Any) -> str:
    """Content hash of (task, input, target): the same example always gets the same id."""
    canonical = json.dumps(
        [task, _plain(input), _plain(target)], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def template_group(template: str, family: str | None) -> str:
    """The split group of one template family: its variations differ only in literals."""
    return f"template:{template}/{family if family is not None else ''}"


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
    """One example. ``input`` and ``target`` are the task's own types (:data:`INPUT_TYPES`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[0-9a-f]{16}$", description="content hash of (task, input, target)")
    task: Task = Field(description="one of the six tasks")
    dialect: str | None = Field(default="duckdb", description="SQL dialect of the example")
    backend: str | None = Field(default="duckdb", description="backend it was verified on")
    ibis_version: str | None = Field(default=None, description="Ibis version that compiled it")
    context: Context = Field(default_factory=Context, description="tables and their schemas")
    input: TaskInput = Field(description="task-specific input (sql, ibis, prefix, ...)")
    target: TaskTarget = Field(description="task-specific target")
    meta: Meta = Field(description="template, source, features, difficulty")
    provenance: Provenance | None = Field(
        default=None, description="repo, commit, path, lines, license"
    )
    verification: Verification | None = Field(
        default=None, description="method, status, databases, seed"
    )

    @field_validator("input", "target", mode="before")
    @classmethod
    def _typed_for_task(cls, value: Any, info: ValidationInfo) -> Any:
        """The input or target as the record's task types it (the task is validated first)."""
        task = info.data.get("task")
        if task is None:  # the task itself was invalid: its own error says so
            return value
        types = INPUT_TYPES if info.field_name == "input" else TARGET_TYPES
        wanted = types[task]
        if isinstance(value, TaskFields):
            if not isinstance(value, wanted):
                raise ValueError(f"a {task} record takes a {wanted.__name__}")
            return value
        return wanted.model_validate(value)

    def input_as(self, kind: type[InputT]) -> InputT:
        """The input, which the caller's task says is a ``kind``; a record of another task is a
        :class:`RecordError`."""
        if not isinstance(self.input, kind):
            raise RecordError(f"record {self.id} is a {self.task} record: no {kind.__name__}")
        return self.input

    def target_as(self, kind: type[TargetT]) -> TargetT:
        """The target, which the caller's task says is a ``kind`` (as :meth:`input_as`)."""
        if not isinstance(self.target, kind):
            raise RecordError(f"record {self.id} is a {self.task} record: no {kind.__name__}")
        return self.target

    @property
    def ibis_code(self) -> str | None:
        """The Ibis code of a SQL<->Ibis pair (either direction), ``None`` for other tasks."""
        if isinstance(self.target, SqlToIbisTarget):
            return self.target.ibis
        if isinstance(self.input, IbisToSqlInput):
            return self.input.ibis
        return None

    def group_key(self) -> str:
        """What must never straddle splits: one template example's variants, or one mined file.

        The group written into the meta wins; then the mined file, then the template family.
        """
        meta, provenance = self.meta, self.provenance
        if meta.extra("group"):
            return str(meta.extra("group"))
        if provenance is not None and provenance.path:
            return f"file:{provenance.repo}/{provenance.path}"
        if meta.template:
            return template_group(meta.template, meta.family)
        return f"record:{self.id}"

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

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "record") -> Record:
        """A stored object (a line already parsed) validated, as :meth:`from_json`."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise RecordError.from_validation(exc, where) from None

    def replace(self, **changes: Any) -> Record:
        """A copy with ``changes``. They are not validated again (a builder's copies are many):
        give nested fields as models (``Meta``, ``Provenance``, ``Verification``), not dicts.
        An ``input`` or ``target`` given as a dict becomes the task's type; the copy's input and
        target must be of its task's types."""
        task = changes.get("task", self.task)
        for name, types in (("input", INPUT_TYPES), ("target", TARGET_TYPES)):
            value = changes.get(name, getattr(self, name))
            if isinstance(value, dict):
                value = changes[name] = types[task].model_validate(value)
            if not isinstance(value, types[task]):
                raise TypeError(f"{name} of a {task} record must be a {types[task].__name__}")
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
