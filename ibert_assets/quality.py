"""Quality figures of a dataset: how varied its inputs are and whether an input has one answer.

A model learns little from a thousand copies of one query shape, and is taught to be unsure when
one input has two targets. These figures say both, per task, from the records alone:

>>> sql_shape("SELECT id FROM orders WHERE amount > 100 AND city = 'Oslo'")
'SELECT _ FROM _ WHERE _ > ? AND _ = ?'
>>> sql_shape("select ID from Items where Price > 7 and Name = 'x'")
'SELECT _ FROM _ WHERE _ > ? AND _ = ?'

A *shape* is the SQL with every literal replaced by ``?``, every name (table, column, alias) by
``_``, column qualifiers and table aliases dropped, written in the DuckDB dialect: two queries that
differ only in names, values, qualification or layout have one shape, whatever their dialect.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from ibert_inference.dataset.record import IbisToSqlTarget, Record, SqlToIbisInput

# Column-name roles (a regular expression over the lowercased name) and the Ibis dtypes a column
# of that role may have. A schema that gives ``quantity`` a date or ``price`` a boolean teaches a
# model nonsense about data.
_ROLE_DTYPES: tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...] = (
    ("key", re.compile(r"^(id|.*_id)$"), ("int", "uint", "string", "uuid")),
    ("date", re.compile(r"^(date|.*_date|date_.*)$"), ("date", "timestamp", "string")),
    ("time", re.compile(r"^.*(_at|_time|timestamp)$"),
     ("timestamp", "date", "time", "int", "string")),
    ("flag", re.compile(r"^(is|has)_.*$"), ("boolean",)),
    ("measure", re.compile(r"^.*(amount|price|cost|total|revenue|balance|quantity|qty)$"),
     ("int", "uint", "float", "decimal")),
)  # fmt: skip


SPREAD_FROM = 2_000
"""New SQL texts from which they are parsed in one process per core."""

# Shapes this process has computed: a build reads every SQL per task and again per source
_SHAPES: dict[tuple[str, str], str | None] = {}
_SHAPES_KEPT = 1 << 18


def sql_shape(sql: str, dialect: str = "duckdb") -> str | None:
    """The SQL with literals as ``?`` and names as ``_``; None when sqlglot cannot parse it."""
    key = (sql, dialect)
    if key not in _SHAPES:
        _remember({key: _parsed_shape(sql, dialect)})
    return _SHAPES[key]


def sql_shapes(found: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str | None]:
    """The :func:`sql_shape` of each ``(sql, dialect)``, each distinct one parsed once (many
    new ones in other processes: :func:`shapes_parsed_meanwhile`)."""
    wanted = list(dict.fromkeys(found))
    with shapes_parsed_meanwhile(wanted):
        pass  # nothing else to do meanwhile: they are parsed, in parallel when many
    return {key: sql_shape(*key) for key in wanted}


@contextmanager
def shapes_parsed_meanwhile(found: Iterable[tuple[str, str]]) -> Iterator[None]:
    """The shapes of ``found`` parsed while the body runs, and remembered when it ends.

    Parsing is most of the time of a large dataset's quality figures (~1 ms a query): from
    ``SPREAD_FROM`` new texts on they are parsed in one process per core, beside the body.
    """
    missing = [key for key in dict.fromkeys(found) if key not in _SHAPES]
    cores = os.cpu_count() or 1
    if len(missing) < SPREAD_FROM or cores < 2:
        yield
        _remember({key: _parsed_shape(*key) for key in missing})
        return
    # forked: nothing to import again, and no main module to run again (a spawned process
    # runs a script's top level); what they log is treated as in a sandbox worker's
    with ProcessPoolExecutor(cores, multiprocessing.get_context("fork")) as pool:
        texts, dialects = [s for s, _ in missing], [d for _, d in missing]
        shapes = pool.map(_parsed_shape, texts, dialects, chunksize=len(missing) // cores // 8 + 1)
        yield
        _remember(dict(zip(missing, shapes, strict=True)))


def _remember(shapes: dict[tuple[str, str], str | None]) -> None:
    if len(_SHAPES) + len(shapes) > _SHAPES_KEPT:
        _SHAPES.clear()
    _SHAPES.update(shapes)


def _parsed_shape(sql: str, dialect: str) -> str | None:
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError):
        return None
    if tree is None:
        return None

    def normalise(node: exp.Expr) -> exp.Expr:
        # qualifiers and table aliases are spelling, not structure: ``o.amount`` is ``amount``
        if isinstance(node, exp.Column) and node.args.get("table"):
            node.set("table", None)
        if isinstance(node, exp.Table) and node.args.get("alias"):
            node.set("alias", None)
        if isinstance(node, exp.Literal):
            return exp.Placeholder()
        if isinstance(node, exp.Identifier):
            return exp.to_identifier("_")
        return node

    try:
        # the tree was parsed here and nothing else reads it: changed in place, not copied
        return tree.transform(normalise, copy=False).sql(dialect="duckdb")
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError):
        return None


def sql_of(record: Record) -> tuple[str, str] | None:
    """The SQL a record is about (its input, else its target) and that SQL's dialect."""
    for value in (record.input, record.target):
        if isinstance(value, SqlToIbisInput | IbisToSqlTarget) and value.sql:
            return value.sql, value.dialect or record.dialect or "duckdb"
    return None


def input_key(record: Record) -> str:
    """The record's task and input as one comparable text (:func:`task_input_key`)."""
    return task_input_key(record.task, record.input.to_dict())


def task_input_key(task: str, input: Mapping[str, Any]) -> str:
    """A task and an input as one comparable text, whitespace folded; the ``original_*``
    fields of mined inputs (the text as found, before sqlglot rewrote it) are provenance, not
    what a model is given, and are left out."""
    given = {k: v for k, v in input.items() if not k.startswith("original_")}
    return json.dumps([task, _fold(given)], sort_keys=True)


def _fold(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dict):
        return {k: _fold(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_fold(v) for v in value]
    return value


def records_of(groups: Mapping[str, list[Record]]) -> Iterable[Record]:
    """Every record of ``groups``, group after group."""
    return (record for items in groups.values() for record in items)


@dataclass
class TaskFigures:
    """The quality figures of one task's records."""

    records: int = 0
    distinct_inputs: int = 0
    distinct_shapes: int = 0
    inputs_with_several_targets: int = 0
    share_per_source: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def task_figures(records: Iterable[Record]) -> dict[str, TaskFigures]:
    """Figures per task: records, distinct inputs and SQL shapes, ambiguous inputs, sources."""
    by_task: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_task[record.task].append(record)
    shapes_of = sql_shapes(found for found in map(sql_of, records_of(by_task)) if found)
    figures = {}
    for task, items in sorted(by_task.items()):
        targets: dict[str, set[str]] = defaultdict(set)
        shapes: set[str] = set()
        sources: Counter[str] = Counter()
        for record in items:
            targets[input_key(record)].add(
                json.dumps(_fold(record.target.to_dict()), sort_keys=True)
            )
            found = sql_of(record)
            shape = shapes_of[found] if found else None
            if shape is not None:
                shapes.add(shape)
            sources[record.meta.source] += 1
        figures[task] = TaskFigures(
            records=len(items),
            distinct_inputs=len(targets),
            distinct_shapes=len(shapes),
            inputs_with_several_targets=sum(len(t) > 1 for t in targets.values()),
            share_per_source={s: round(n / len(items), 4) for s, n in sorted(sources.items())},
        )
    return figures


@dataclass
class SourceFigures:
    """The breadth of one source's records: inputs, SQL shapes, schema structures (each table's
    column types, names abstracted) and the mix of difficulty or complexity levels."""

    records: int = 0
    distinct_inputs: int = 0
    distinct_shapes: int = 0
    distinct_schemas: int = 0
    levels: dict[str, int] = field(default_factory=dict)


def schema_structure(record: Record) -> str:
    """The record's tables with names abstracted: each table's sorted column types, sorted."""
    tables = record.table_schemas.values()
    return json.dumps(sorted(sorted(str(t) for t in columns.values()) for columns in tables))


def source_figures(records: Iterable[Record]) -> dict[str, SourceFigures]:
    """Figures per source (template, augmented, mined, docs, synthetic)."""
    by_source: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_source[record.meta.source].append(record)
    shapes_of = sql_shapes(found for found in map(sql_of, records_of(by_source)) if found)
    figures = {}
    for source, items in sorted(by_source.items()):
        shapes = {shapes_of[found] for found in map(sql_of, items) if found} - {None}
        figures[source] = SourceFigures(
            records=len(items),
            distinct_inputs=len({input_key(r) for r in items}),
            distinct_shapes=len(shapes),
            distinct_schemas=len({schema_structure(r) for r in items if r.context.tables}),
            levels=dict(sorted(Counter(str(r.meta.difficulty) for r in items).items())),
        )
    return figures


def source_figures_table(figures: Mapping[str, SourceFigures]) -> str:
    """:func:`source_figures` as a Markdown table."""
    rows = [
        f"| {source} | {f.records} | {f.distinct_inputs} | {f.distinct_shapes} "
        f"| {f.distinct_schemas} | " + ", ".join(f"{k} {v}" for k, v in f.levels.items()) + " |"
        for source, f in figures.items()
    ]
    return (
        "| source | records | distinct inputs | distinct SQL shapes | distinct schema "
        "structures | difficulty mix |\n|---|---:|---:|---:|---:|---|\n" + "\n".join(rows)
    )


def inputs_with_several_targets(records: Iterable[Record]) -> dict[str, set[str]]:
    """Each input key that has more than one distinct target, with those targets."""
    targets: dict[str, set[str]] = defaultdict(set)
    for record in records:
        targets[input_key(record)].add(json.dumps(_fold(record.target.to_dict()), sort_keys=True))
    return {key: found for key, found in targets.items() if len(found) > 1}


def role_of(column: str) -> str | None:
    """The role a column's name announces (key, date, time, flag, measure), if any."""
    lowered = column.lower()
    return next((role for role, name, _ in _ROLE_DTYPES if name.match(lowered)), None)


def role_contradictions(schema: Mapping[str, Mapping[str, str]]) -> list[str]:
    """``table.column: dtype`` for every column whose dtype contradicts its name's role."""
    found = []
    for table, columns in schema.items():
        for column, dtype in columns.items():
            role = role_of(column)
            if role is None:
                continue
            allowed = next(dtypes for r, _, dtypes in _ROLE_DTYPES if r == role)
            if not str(dtype).lower().lstrip("!").startswith(allowed):
                found.append(f"{table}.{column}: {dtype} (a {role} column)")
    return found
