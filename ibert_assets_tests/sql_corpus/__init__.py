"""The SQL corpus that judges the SQL->Ibis translator: schemas and queries, as YAML data.

``schemas.yaml`` holds the schemas (table -> column -> Ibis dtype string); every file under
``queries/`` holds a list of queries, each with ``id``, ``family``, ``schema``, ``sql`` and
optionally ``dialect`` (default ``duckdb``) and ``xfail`` (why the translator cannot do it yet).

>>> queries = load_corpus()
>>> len(queries) >= 300
True
>>> queries[0].schema_tables == load_schemas()[queries[0].schema]
True
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    import duckdb

CORPUS_DIR = Path(__file__).parent

FAMILIES: tuple[str, ...] = (
    "projection",
    "filter",
    "expressions",
    "strings",
    "dates",
    "aggregates",
    "having",
    "order_limit",
    "distinct",
    "case",
    "joins",
    "self_joins",
    "comma_joins",
    "derived_tables",
    "ctes",
    "in_subquery",
    "exists",
    "scalar_subquery",
    "correlated",
    "set_operations",
    "windows",
    "grouping_sets",
    "long_analytical",
)

DIALECTS: tuple[str, ...] = ("duckdb", "postgres", "snowflake", "bigquery", "mysql")

_QUERY_KEYS = {"id", "family", "schema", "sql", "dialect", "xfail"}


class CorpusError(ValueError):
    """A corpus file is malformed: names the file, the query and the field to fix."""


@dataclass(frozen=True)
class CorpusQuery:
    """One corpus query; ``schema_tables`` is the schema it runs against."""

    id: str
    family: str
    schema: str
    sql: str
    dialect: str
    xfail: str | None
    source_file: str
    schema_tables: dict[str, dict[str, str]]

    @property
    def line_count(self) -> int:
        return len([line for line in self.sql.strip().splitlines() if line.strip()])


@cache
def load_schemas() -> dict[str, dict[str, dict[str, str]]]:
    """The corpus schemas by name (``tpch``, ``shop``, ``hr``, ``flights``)."""
    with open(CORPUS_DIR / "schemas.yaml", encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {
        name: {table: {col: str(dtype) for col, dtype in cols.items()} for table, cols in t.items()}
        for name, t in data.items()
    }


def _query_from_entry(entry: object, path: Path, schemas: dict) -> CorpusQuery:
    if not isinstance(entry, dict):
        where = f"{path.name}: {entry!r}"
        raise CorpusError(f"{where}: each query must be a mapping with id, family, schema, sql")
    where = f"{path.name}: {entry.get('id', '?')}"
    unknown = set(entry) - _QUERY_KEYS
    missing = {"id", "family", "schema", "sql"} - set(entry)
    if unknown or missing:
        raise CorpusError(
            f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}"
        )
    if entry["family"] not in FAMILIES:
        raise CorpusError(f"{where}: family {entry['family']!r} is not one of {FAMILIES}")
    if entry["schema"] not in schemas:
        raise CorpusError(f"{where}: schema {entry['schema']!r} is not in schemas.yaml")
    dialect = entry.get("dialect", "duckdb")
    if dialect not in DIALECTS:
        raise CorpusError(f"{where}: dialect {dialect!r} is not one of {DIALECTS}")
    return CorpusQuery(
        id=str(entry["id"]),
        family=entry["family"],
        schema=entry["schema"],
        sql=entry["sql"].strip(),
        dialect=dialect,
        xfail=entry.get("xfail"),
        source_file=path.name,
        schema_tables=schemas[entry["schema"]],
    )


@cache
def load_corpus() -> tuple[CorpusQuery, ...]:
    """Every corpus query, in file order; raises :class:`CorpusError` on a malformed entry."""
    schemas = load_schemas()
    queries: list[CorpusQuery] = []
    seen: dict[str, str] = {}
    for path in sorted((CORPUS_DIR / "queries").glob("*.yaml")):
        with open(path, encoding="utf-8") as handle:
            entries = yaml.safe_load(handle) or []
        for entry in entries:
            query = _query_from_entry(entry, path, schemas)
            if query.id in seen:
                raise CorpusError(f"{path.name}: query id {query.id!r} also in {seen[query.id]}")
            seen[query.id] = path.name
            queries.append(query)
    return tuple(queries)


_DUCKDB_TYPES = {"int64": "BIGINT", "float64": "DOUBLE", "string": "VARCHAR"}


def _sample_value(dtype: str, column: str, row: int, strings: tuple[str, ...]) -> object:
    """A small deterministic value: keys repeat (1..4) so that joins and groups match, every
    third row strays (so range filters bite), and strings come from ``strings`` when given."""
    if dtype == "int64":
        return (row % 4) + 1 if row % 3 else row * 37 % 120
    if dtype.startswith("decimal"):
        return decimal.Decimal(row * 37 % 100 + 1) * decimal.Decimal(10) ** (row % 4 - 2)
    if dtype == "float64":
        return (row * 37 % 100 - 20) * 10.0 ** (row % 5 - 1)
    if dtype == "boolean":
        return row % 2 == 0
    if dtype == "date":
        return dt.date(1992 + row % 7, 1 + row * 5 % 12, 1 + row * 11 % 28)
    if dtype == "timestamp":
        return dt.datetime(2023, 1 + row * 5 % 12, 1 + row * 3 % 28, row * 5 % 24, row * 7 % 60)
    if strings:
        return strings[(row + len(column)) % len(strings)]
    return f"{column[:3].upper()}-{row % 3} x{row}"


def corpus_strings(schema_name: str) -> tuple[str, ...]:
    """String literals of the corpus queries on one schema, LIKE wildcards dropped, sorted."""
    import sqlglot

    found: set[str] = set()
    for query in load_corpus():
        if query.schema == schema_name:
            tree = sqlglot.parse_one(query.sql, read=query.dialect)
            for literal in tree.find_all(sqlglot.exp.Literal):
                if literal.is_string and literal.this.strip("%_"):
                    found.add(literal.this.strip("%"))
    return tuple(sorted(found))


def sample_database(
    schema: dict[str, dict[str, str]],
    rows: int = 8,
    *,
    reverse: bool = False,
    strings: tuple[str, ...] = (),
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database with ``rows`` hand-made rows per table plus one row of NULLs.

    String columns take their values from ``strings`` (e.g. :func:`corpus_strings`) when given.
    ``reverse=True`` inserts the same rows in the opposite order: a query whose answer changes
    with it depends on row order (ties under ORDER BY ... LIMIT, ROW_NUMBER, LAG).

    It proves a query binds and runs on the schema; the differential verifier's random databases
    (ibert_inference.verify.databases) decide whether it says something.
    """
    import duckdb

    con = duckdb.connect()
    for table, columns in schema.items():
        column_sql = ", ".join(
            f'"{col}" {_DUCKDB_TYPES.get(dtype, dtype.upper())}' for col, dtype in columns.items()
        )
        con.execute(f'CREATE TABLE "{table}" ({column_sql})')
        values = [
            tuple(_sample_value(dtype, col, row, strings) for col, dtype in columns.items())
            for row in range(rows)
        ]
        values.append(tuple(None for _ in columns))
        if reverse:
            values.reverse()
        placeholders = ", ".join("?" for _ in columns)
        con.executemany(f'INSERT INTO "{table}" VALUES ({placeholders})', values)
    return con
