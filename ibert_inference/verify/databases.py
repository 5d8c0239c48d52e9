"""Random DuckDB databases generated from a schema, seeded with a query's own literals.

Values come from small domains so that groups collide, DISTINCT matters and keys join; the query's
literals (``amount > 100``, ``status = 'paid'``, ``name LIKE 'A%'``) are planted in the columns
they are compared with, with neighbours on both sides, so that filters select some rows and not
others. The databases are adversarial by construction (:mod:`ibert_inference.verify.table_rows`), so
that a near-miss answer disagrees on some row: every boundary value of every literal
(:mod:`ibert_inference.verify.boundary_values`: case variants and two matches of a pattern, +-1 and
+-epsilon, month ends and leap days) has a row; groups of a GROUP BY, a PARTITION BY or a join key
hold several rows with different values (except in the third database, which keeps single-row
groups); some rows are there twice; two databases have a NULL in every column and the third none.
Besides ``count`` random databases there is always one with empty tables and one where most
values are NULL. Generation is deterministic per (schema, seed, literals) and cached.

A query selective enough to find no row in any of them (three conditions of a few percent each,
an INTERSECT of two rare groups) gets :func:`larger_databases`, with ten times the rows, before
the verifier calls it vacuous.

>>> dbs = random_databases({"t": {"a": "int64", "b": "string"}}, seed=1)
>>> [db.name for db in dbs]
['random-0', 'random-1', 'random-2', 'empty', 'nulls']
>>> dbs[-2].connection.execute('SELECT count(*) FROM "t"').fetchone()
(0,)
"""

from __future__ import annotations

import random
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

from ibert_inference.schema.tables import Schema, parse_dtype
from ibert_inference.verify.loading import load_table
from ibert_inference.verify.query_literals import QueryLiterals, query_literals
from ibert_inference.verify.table_rows import check_generatable, table_rows

__all__ = [
    "DrawnTables",
    "GeneratedDatabase",
    "QueryLiterals",
    "larger_databases",
    "query_literals",
    "random_databases",
]


@dataclass(frozen=True)
class GeneratedDatabase:
    """One in-memory DuckDB database holding every table of the schema.

    A table is drawn when a query first needs it, and reaches DuckDB when a query first names it
    (:meth:`execute`): a query reads a few tables of a wide schema, and drawing a table's rows
    or handing them to DuckDB costs about as much as running a query on them. ``connection`` is
    the cursor with every table.
    """

    name: str
    cursor: Any = field(repr=False)
    # tables not yet handed to DuckDB: name -> a function that loads it on a cursor
    unregistered: dict[str, Callable[[Any, str], None]] = field(default_factory=dict, repr=False)
    tables: DrawnTables | None = field(default=None, repr=False, compare=False)
    _lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def row_counts(self) -> dict[str, int]:
        """Rows per table (every table drawn)."""
        if self.tables is None:
            return {}
        return {table: len(self.tables.rows(table)) for table in self.tables.dtypes}

    @property
    def connection(self) -> Any:
        """The cursor, every table registered."""
        self._register(lambda _name: True)
        return self.cursor

    def execute(self, sql: str, statement: Any = None) -> Any:
        """The cursor after running ``sql`` on the tables whose names its text contains (on every
        table when it names one in another way, quoted with escapes for instance).

        ``statement``, when given, is ``sql`` already parsed by DuckDB
        (``extract_statements``): it runs instead of the text, which then only names the tables.
        """
        import duckdb

        query = sql if statement is None else statement
        self._register(_named_in(sql))
        try:
            return self.cursor.execute(query)
        except duckdb.CatalogException:
            if not self.unregistered:
                raise
            return self.connection.execute(query)

    def draw(self, sql: str) -> None:
        """Draw the rows of the tables ``sql`` names, without handing them to DuckDB: a table
        that cannot be generated (a literal at the end of its column's range) fails here, where
        the caller can tell it from a failing query."""
        if self.tables is not None:
            named = _named_in(sql)
            for table in self.tables.dtypes:
                if named(table):
                    self.tables.rows(table)

    def _register(self, wanted: Callable[[str], bool]) -> None:
        with self._lock:
            for name in [name for name in self.unregistered if wanted(name)]:
                # forgotten only once loaded: a load that fails fails again for the next query
                # of this cached database, never leaves it without the table
                self.unregistered[name](self.cursor, name)
                del self.unregistered[name]


def _named_in(sql: str) -> Callable[[str], bool]:
    """Whether a table's name is in the text of ``sql`` (in any case)."""
    text = sql.lower()
    return lambda name: name.lower() in text


class DrawnTables:
    """The rows of one database's tables, drawn when first asked for.

    The tables are drawn from the database's one random stream in schema order, each after every
    table before it: a table's rows are the same whichever tables a query reads, and the same as
    when every table is drawn at once. The tables after the last one a query reads are never
    drawn (a query of a template family reads the first of its schema's tables, often alone).
    """

    def __init__(
        self,
        schema: Mapping[str, Mapping[str, str]],
        draw: Callable[[Mapping[str, Any]], list[dict[str, Any]]],
    ):
        # parsed now: a dtype that is no Ibis dtype fails when the database is built
        self.dtypes = {
            table: {column: parse_dtype(text) for column, text in columns.items()}
            for table, columns in schema.items()
        }
        self._draw = draw
        self._drawn: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def drawn(self) -> list[str]:
        """The tables drawn so far, in schema order."""
        with self._lock:
            return list(self._drawn)

    def rows(self, table: str) -> list[dict[str, Any]]:
        """The rows of ``table``, drawn with those of the tables before it if need be."""
        if table not in self.dtypes:
            raise KeyError(table)
        with self._lock:
            for name, dtypes in self.dtypes.items():
                if name not in self._drawn:
                    self._drawn[name] = self._draw(dtypes)
                if name == table:
                    break
            return self._drawn[table]


def random_databases(
    schema: Schema,
    *,
    seed: int = 0,
    count: int = 3,
    literals: QueryLiterals | Sequence[Any] = (),
) -> list[GeneratedDatabase]:
    """``count`` random databases, then ``empty`` and ``nulls``; cached per arguments."""
    literals = _planted_in(schema, literals)
    schema_key = tuple((t, tuple(cols.items())) for t, cols in schema.items())
    return _cached_databases(schema_key, seed, count, literals)


def _planted_in(schema: Schema, literals: QueryLiterals | Sequence[Any]) -> QueryLiterals:
    """The literals as the generator plants them into ``schema``'s columns."""
    if not isinstance(literals, QueryLiterals):
        literals = QueryLiterals(loose=tuple(literals))
    return literals.for_columns({c.lower() for columns in schema.values() for c in columns})


# Small: each entry holds five in-memory DuckDB databases (a few MB each), and the pairs that share
# a schema and literals (a template family, a re-verification) come one after another.
@lru_cache(maxsize=16)
def _cached_databases(
    schema_key: tuple[tuple[str, tuple[tuple[str, str], ...]], ...],
    seed: int,
    count: int,
    literals: QueryLiterals,
) -> list[GeneratedDatabase]:
    schema = {table: dict(columns) for table, columns in schema_key}
    databases = []
    for index in range(count):
        rng = random.Random(f"{seed}:{index}")
        # every third database holds no NULL at all: a NOT IN over a column with a NULL selects
        # nothing, so the other two (a NULL in every column) cannot tell NOT IN from an anti-join;
        # group sizes vary from database to database: every group of several rows in the first,
        # some in the second, single-row groups in the third (HAVING COUNT(*) > 1 vs >= 1)
        null_free = index % 3 == 2
        databases.append(
            _build(
                f"random-{index}",
                schema,
                rng,
                literals,
                null_rate=0.0 if null_free else 0.08,
                null_in_every_column=not null_free,
                siblings=(1.0, 0.5, 0.0)[index % 3],
            )
        )
    databases.append(_empty_database(schema_key))
    databases.append(
        _build("nulls", schema, random.Random(f"{seed}:nulls"), literals, null_rate=0.7)
    )
    return databases


def larger_databases(
    schema: Schema,
    *,
    seed: int = 0,
    count: int = 2,
    literals: QueryLiterals | Sequence[Any] = (),
    rows: tuple[int, int] = (200, 300),
) -> list[GeneratedDatabase]:
    """``count`` random databases with ``rows`` rows per table; not cached (rarely needed).

    >>> [db.row_counts["t"] >= 200 for db in larger_databases({"t": {"a": "int64"}})]
    [True, True]
    """
    literals = _planted_in(schema, literals)
    return [
        _build(
            f"larger-{index}",
            schema,
            random.Random(f"{seed}:larger:{index}"),
            literals,
            null_rate=0.08,
            rows=rows,
        )
        for index in range(count)
    ]


@lru_cache(maxsize=16)
def _empty_database(
    schema_key: tuple[tuple[str, tuple[tuple[str, str], ...]], ...],
) -> GeneratedDatabase:
    """The empty database depends on the schema alone: one per schema, whatever the literals."""
    schema = {table: dict(columns) for table, columns in schema_key}
    return _build("empty", schema, random.Random(0), QueryLiterals(), rows=(0, 0))


class _Instance:
    """One locked DuckDB instance per process; each generated database is a cursor of it.

    Opening a DuckDB connection costs ~15 ms, a cursor of an open one ~0.01 ms: with one
    connection per database, building the five databases of a new literal set cost more than
    running a pair's queries on them. A database's tables are its cursor's temporary views and
    tables, which no other cursor sees, so unqualified table names resolve to its own tables
    (an attached catalog per database, as before, cost ~0.7 ms each and held nothing). The
    verifier runs only single read-only queries (``_single_query`` in
    :mod:`ibert_inference.verify.pair`, and compiled Ibis), so the instance's own catalog stays
    empty. The cursor closes, its tables with it, when the last reference to its
    GeneratedDatabase goes.
    """

    def __init__(self) -> None:
        from ibert_inference.sandbox.locked_duckdb import locked_connection

        # SQL from outside runs here: no files, no network, no extensions, one thread (tables
        # of a few dozen rows; the build already runs one worker process per core), a memory
        # limit, and no way to turn any of it back on
        self.root = locked_connection()
        self.lock = threading.Lock()

    def cursor(self) -> Any:
        with self.lock:
            return self.root.cursor()


@lru_cache(maxsize=1)
def _instance() -> _Instance:
    return _Instance()


def _build(
    name: str,
    schema: Mapping[str, Mapping[str, str]],
    rng: random.Random,
    literals: QueryLiterals,
    *,
    null_rate: float = 0.0,
    null_in_every_column: bool = False,
    siblings: float = 1.0,
    rows: tuple[int, int] = (12, 30),
) -> GeneratedDatabase:
    def draw(dtypes: Mapping[str, Any]) -> list[dict[str, Any]]:
        size = rng.randint(*rows)
        return table_rows(dtypes, rng, literals, size, null_rate, null_in_every_column, siblings)

    tables = DrawnTables(schema, draw)
    if rows[1] > 0:  # a dtype the generator cannot fill fails now, not in a query
        for dtypes in tables.dtypes.values():
            for column, dtype in dtypes.items():
                check_generatable(column, dtype)
    loads: dict[str, Callable[[Any, str], None]] = dict.fromkeys(
        tables.dtypes, partial(_load, tables)
    )
    cursor = _instance().cursor()
    database = GeneratedDatabase(name=name, cursor=cursor, unregistered=loads, tables=tables)
    weakref.finalize(database, cursor.close)
    return database


def _load(tables: DrawnTables, cursor: Any, name: str) -> None:
    load_table(cursor, name, tables.dtypes[name], tables.rows(name))
