"""Random DuckDB databases generated from a schema, seeded with a query's own literals.

Values come from small domains so that groups collide, DISTINCT matters and keys join; the query's
literals (``amount > 100``, ``status = 'paid'``, ``name LIKE 'A%'``) are planted in the columns
they are compared with, with neighbours on both sides, so that filters select some rows and not
others. The databases are adversarial by construction, so that a near-miss answer disagrees on
some row: every boundary value of every literal (:mod:`ibert_inference.boundary_values`: case
variants and two matches of a pattern, +-1 and +-epsilon, month ends and leap days) is in the
first rows; every group of a GROUP BY, a PARTITION BY or a join key holds several rows with
different values; one row is there twice; two databases have a NULL in every column and the
third none. Besides ``count`` random databases there is always one with empty tables and one
where most values are NULL. Generation is deterministic per (schema, seed, literals) and cached.

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

import datetime as dt
import decimal
import itertools
import random
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ibert_inference.boundary_values import SPECIAL_DATES, Pattern, boundary_values
from ibert_inference.errors import SchemaError
from ibert_inference.query_literals import QueryLiterals, query_literals
from ibert_inference.schema import Schema, parse_dtype

__all__ = [
    "GeneratedDatabase",
    "QueryLiterals",
    "larger_databases",
    "query_literals",
    "random_databases",
]
# case and whitespace variants among them: lower(), trim() and LIKE vs ILIKE matter on any column
WORDS = ("alpha", "beta", "gamma", "delta", "Alpha", "BETA", "omega", "x y", " x  y ", "")
BASE_DATE = dt.date(2024, 1, 1)
MAX_OFFSETS = 7  # rows per column set apart from another column


@dataclass(frozen=True)
class GeneratedDatabase:
    """One in-memory DuckDB database holding every table of the schema."""

    name: str
    connection: Any = field(repr=False)
    row_counts: Mapping[str, int] = field(default_factory=dict)


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
        # nor sibling rows: HAVING COUNT(*) > 1 and >= 1 differ only where a group has one row
        null_free = index % 3 == 2
        databases.append(
            _build(
                f"random-{index}",
                schema,
                rng,
                literals,
                null_rate=0.0 if null_free else 0.08,
                null_in_every_column=not null_free,
                siblings=not null_free,
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
    """One locked DuckDB instance per process; each generated database is a catalog attached to it.

    Opening a DuckDB connection costs ~15 ms, attaching an in-memory catalog ~0.2 ms: with one
    connection per database, building the five databases of a new literal set cost more than
    running a pair's queries on them. Each database gets its own cursor whose default catalog is
    its own, so unqualified table names resolve to its tables; the catalog is detached when the
    last reference to its GeneratedDatabase goes.
    """

    def __init__(self) -> None:
        import duckdb

        self.root = duckdb.connect()
        # tables of a few dozen rows: a second thread costs more than it saves, and the build
        # already runs one worker process per core
        self.root.execute("SET threads = 1")
        # SQL from outside runs here: no files, no network, and no way to turn that back on
        self.root.execute("SET enable_external_access = false")
        self.root.execute("SET lock_configuration = true")
        self.lock = threading.Lock()
        self.counter = itertools.count()

    def attach(self) -> tuple[str, Any]:
        with self.lock:
            catalog = f"ibert_db_{next(self.counter)}"
            self.root.execute(f"ATTACH ':memory:' AS {catalog}")
            cursor = self.root.cursor()
        cursor.execute(f"USE {catalog}")
        return catalog, cursor

    def detach(self, catalog: str, cursor: Any) -> None:
        cursor.close()
        with self.lock:
            self.root.execute(f"DETACH DATABASE IF EXISTS {catalog}")


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
    siblings: bool = True,
    rows: tuple[int, int] = (12, 30),
) -> GeneratedDatabase:
    import pyarrow as pa

    instance = _instance()
    catalog, connection = instance.attach()
    counts = {}
    try:
        for table, columns in schema.items():
            dtypes = {column: parse_dtype(text) for column, text in columns.items()}
            size = rng.randint(*rows)
            records = _rows(dtypes, rng, literals, size, null_rate, null_in_every_column, siblings)
            arrays = [
                pa.array([r[column] for r in records], type=dtype.to_pyarrow())
                for column, dtype in dtypes.items()
            ]
            connection.register(table, pa.Table.from_arrays(arrays, names=list(columns)))
            counts[table] = len(records)
    except BaseException:
        instance.detach(catalog, connection)
        raise
    database = GeneratedDatabase(name=name, connection=connection, row_counts=counts)
    weakref.finalize(database, instance.detach, catalog, connection)
    return database


def _rows(
    dtypes: Mapping[str, Any],
    rng: random.Random,
    literals: QueryLiterals,
    size: int,
    null_rate: float,
    null_in_every_column: bool,
    siblings: bool,
) -> list[dict[str, Any]]:
    """``size`` drawn rows after the boundary rows (none at all when ``size`` is 0).

    Boundary rows: one per boundary value of every planted literal, never NULL there, with the
    other planted columns at their own literal, so that a row at one condition's boundary still
    passes the query's other conditions. Drawn rows: literals planted near, a NULL in every
    column (``null_in_every_column``), columns of one type set apart by 0, 1 and the loose
    numbers in some rows (:func:`_columns_apart`). With ``siblings``, every row of a grouped
    query gets a sibling with the same group columns and other values, so that no group has a
    single row (where sum = mean = min = max). Copies of a few rows make DISTINCT, nunique and
    UNION matter.
    """
    if size == 0:
        return []
    makers = {column: _generator(column, dtype, literals, rng) for column, dtype in dtypes.items()}
    boundaries = {column: _boundaries(column, dtype, literals) for column, dtype in dtypes.items()}
    primary = {
        column: [v for v in literals.by_column.get(column.lower(), ()) if _fits(v, dtypes[column])]
        for column in dtypes
    }

    def drawn(column: str) -> Any:
        return None if rng.random() < null_rate else makers[column]()

    def at_literal(column: str) -> Any:
        if primary[column]:
            return _near(rng.choice(primary[column]), dtypes[column], rng, step=0)
        return drawn(column)

    records = [
        {other: value if other == column else at_literal(other) for other in makers}
        for column, values in boundaries.items()
        for value in values
    ]
    grouped = [column for column in dtypes if siblings and column.lower() in literals.grouped]
    fresh = [
        {column: drawn(column) for column in makers} for _ in range(size // 2 if grouped else size)
    ]
    _columns_apart(fresh, dtypes, rng, literals)
    if null_in_every_column:
        for column in makers:
            rng.choice(fresh)[column] = None
        # a dropped IS NOT NULL shows only where a row with the NULL wins (a top-1, a maximum):
        # as many rows again, drawn afresh (a copy would only tie), NULL in the tested column
        tested = [c for c in makers if c.lower() in literals.null_tested]
        fresh += [
            {other: None if other == column else drawn(other) for other in makers}
            for column in tested
            for _ in range(len(fresh))
        ]
    records += fresh
    if grouped:
        # siblings copy the group columns (NULL keys too) and draw the rest afresh
        records += [
            {column: r[column] if column in grouped else drawn(column) for column in makers}
            for r in records
        ]
    records += [dict(rng.choice(records)) for _ in range(max(1, len(records) // 5))]
    return records


def _columns_apart(
    records: list[dict[str, Any]],
    dtypes: Mapping[str, Any],
    rng: random.Random,
    literals: QueryLiterals,
) -> None:
    """In a few rows, a column exactly 0, +-1 and +-each loose number apart from an earlier one of
    its type: ``salary_max - salary_min >= -50``, ``ends_on - starts_on > 0`` then hit their
    boundary."""
    numbers = [v for v in literals.loose if isinstance(v, int | float) and not isinstance(v, bool)]
    offsets = list(dict.fromkeys([0, 1, -1, *numbers, *(-v for v in numbers)]))[:MAX_OFFSETS]
    columns = list(dtypes)
    for index, column in enumerate(columns):
        dtype = dtypes[column]
        peers = [c for c in columns[:index] if dtypes[c] == dtype]
        if not peers or not (dtype.is_numeric() or dtype.is_date() or dtype.is_timestamp()):
            continue
        rows = rng.sample(records, min(len(records), len(offsets)))
        for row, offset in zip(rows, offsets, strict=False):
            base = row[rng.choice(peers)]
            moved = None if base is None else _moved(base, offset, dtype)
            if moved is not None:
                row[column] = moved


def _moved(value: Any, offset: float, dtype: Any) -> Any:
    """``value`` plus ``offset`` (days for dates), or None where that is no value of ``dtype``."""
    try:
        if dtype.is_date() or dtype.is_timestamp():
            return value + dt.timedelta(days=offset) if float(offset).is_integer() else None
        if dtype.is_integer():
            return value + int(offset) if float(offset).is_integer() else None
        if dtype.is_decimal():
            return value + decimal.Decimal(str(offset))
        return value + offset
    except (OverflowError, ValueError):
        return None


def _boundaries(column: str, dtype: Any, literals: QueryLiterals) -> list[Any]:
    values: list[Any] = []
    for literal in literals.by_column.get(column.lower(), ()):
        values += [v for v in boundary_values(literal, dtype) if v not in values]
    return values


def _generator(
    column: str, dtype: Any, literals: QueryLiterals, rng: random.Random
) -> Callable[[], Any]:
    """A function drawing one value of ``dtype`` for ``column``, literals planted."""
    planted = [v for v in literals.by_column.get(column.lower(), ()) if _fits(v, dtype)]
    loose = [v for v in literals.loose if _fits(v, dtype)]
    base = _base_generator(column, dtype, rng)

    def draw() -> Any:
        roll = rng.random()
        if planted and roll < 0.45:
            return _near(rng.choice(planted), dtype, rng)
        if loose and roll < 0.55:
            return _near(rng.choice(loose), dtype, rng)
        return base()

    return draw


def _base_generator(column: str, dtype: Any, rng: random.Random) -> Callable[[], Any]:
    lowered = column.lower()
    if dtype.is_boolean():
        return lambda: rng.random() < 0.5
    if dtype.is_integer():
        if lowered == "id" or lowered.endswith(("_id", "id", "key", "_no")):
            return lambda: rng.randint(1, 8)  # keys from a small shared range, so joins match
        low = 0 if dtype.is_unsigned_integer() else -3
        return lambda: rng.randint(low, 60)
    if dtype.is_floating():
        return _pooled(rng, lambda: round(rng.uniform(-5, 250), 2))
    if dtype.is_decimal():
        scale = dtype.scale if dtype.scale is not None else 2
        precision = dtype.precision or 18
        top = min(10 ** (precision - scale) - 1, 10_000)
        quantum = decimal.Decimal(1).scaleb(-scale)
        return _pooled(rng, lambda: decimal.Decimal(str(rng.uniform(-5, top))).quantize(quantum))
    if dtype.is_string():
        pool = [*WORDS, *(f"{column}_{i}" for i in range(1, 4))]
        return lambda: rng.choice(pool)
    if dtype.is_date():
        return _with_special(
            rng, lambda: BASE_DATE + dt.timedelta(days=rng.randint(-400, 400)), SPECIAL_DATES
        )
    if dtype.is_timestamp():
        start = dt.datetime(2024, 1, 1)
        special = [dt.datetime.combine(d, dt.time()) for d in SPECIAL_DATES]
        return _with_special(
            rng, lambda: start + dt.timedelta(seconds=rng.randint(-400, 400) * 86_400 // 7), special
        )
    if dtype.is_time():
        return lambda: dt.time(rng.randint(0, 23), rng.choice((0, 15, 30, 45)))
    if dtype.is_array():
        inner = _base_generator(column, dtype.value_type, rng)
        return lambda: [inner() for _ in range(rng.randint(0, 3))]
    if dtype.is_struct():
        fields = {n: _base_generator(n, t, rng) for n, t in dtype.items()}
        return lambda: {n: make() for n, make in fields.items()}
    if dtype.is_map():
        key = _base_generator(column, dtype.key_type, rng)
        value = _base_generator(column, dtype.value_type, rng)
        return lambda: {key(): value() for _ in range(rng.randint(0, 2))}
    raise SchemaError(
        f"column {column!r} has dtype {dtype} that random databases cannot generate; "
        "use integers, floats, decimals, strings, booleans, dates, timestamps, times, arrays, "
        "structs or maps"
    )


def _pooled(rng: random.Random, fresh: Callable[[], Any], size: int = 8) -> Callable[[], Any]:
    """Mostly values from a small pool: repeated values make DISTINCT and SUM(DISTINCT) matter."""
    pool = [fresh() for _ in range(size)]
    return lambda: rng.choice(pool) if rng.random() < 0.75 else fresh()


def _with_special(
    rng: random.Random, fresh: Callable[[], Any], special: Sequence[Any]
) -> Callable[[], Any]:
    """Leap days, month and year ends, Sundays and Mondays now and then: date arithmetic and
    extraction (month vs day, week starts) go wrong there."""
    return lambda: rng.choice(special) if rng.random() < 0.2 else fresh()


def _fits(value: Any, dtype: Any) -> bool:
    if isinstance(value, Pattern):
        return bool(dtype.is_string())
    if dtype.is_boolean():
        return isinstance(value, bool)
    if dtype.is_numeric():
        return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)
    if dtype.is_string():
        return isinstance(value, str)
    if dtype.is_date():
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if dtype.is_timestamp():
        return isinstance(value, dt.date)
    return False


def _near(value: Any, dtype: Any, rng: random.Random, step: int | None = None) -> Any:
    """The literal itself, or a neighbour (``step`` -1 or 1; random when None)."""
    if isinstance(value, Pattern):
        return value.example()
    if step is None:
        step = rng.choice((-1, 0, 1))
    if dtype.is_string() or dtype.is_boolean():
        return value
    if dtype.is_integer():
        number = int(value) + step
        return max(number, 0) if dtype.is_unsigned_integer() else number
    if dtype.is_floating():
        return float(value) + step * 0.5
    if dtype.is_decimal():
        scale = dtype.scale if dtype.scale is not None else 2
        return (decimal.Decimal(str(value)) + step).quantize(decimal.Decimal(1).scaleb(-scale))
    if dtype.is_date():
        day = value if not isinstance(value, dt.datetime) else value.date()
        return day + dt.timedelta(days=step)
    if dtype.is_timestamp():
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        return moment + dt.timedelta(hours=step)
    return value
