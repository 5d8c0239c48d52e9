"""The rows of one generated table: drawn values, the query's literals planted, and the
adversarial rows that make near-miss answers disagree (see :mod:`ibert_inference.verify.databases`).

>>> import random
>>> from ibert_inference.verify.query_literals import query_literals
>>> from ibert_inference.schema.tables import parse_dtype
>>> found = query_literals("SELECT * FROM t WHERE a > 10")
>>> rows = table_rows({"a": parse_dtype("int64")}, random.Random(0), found, 5, 0.0, False, 1.0)
>>> sorted({10, 9, 11, 0, -10} & {row["a"] for row in rows})
[-10, 0, 9, 10, 11]
"""

from __future__ import annotations

import datetime as dt
import decimal
import random
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from ibert_inference.errors import SchemaError
from ibert_inference.verify.boundary_values import (
    SPECIAL_DATES,
    Pattern,
    boundary_values,
    integer_bounds,
)
from ibert_inference.verify.query_literals import QueryLiterals

# case and whitespace variants among them: lower(), trim() and LIKE vs ILIKE matter on any column
WORDS = ("alpha", "beta", "gamma", "delta", "Alpha", "BETA", "omega", "x y", " x  y ", "")
BASE_DATE = dt.date(2024, 1, 1)
MAX_OFFSETS = 7  # rows per column set apart from another column


def table_rows(
    dtypes: Mapping[str, Any],
    rng: random.Random,
    literals: QueryLiterals,
    size: int,
    null_rate: float,
    null_in_every_column: bool,
    siblings: float,
) -> list[dict[str, Any]]:
    """``size`` drawn rows after the boundary rows (none at all when ``size`` is 0).

    Boundary rows: one per boundary value of every planted literal, never NULL there, with the
    other planted columns at their own literal, so that a row at one condition's boundary still
    passes the query's other conditions. Drawn rows: literals planted near, a NULL in every
    column (``null_in_every_column``), columns of one type set apart by 0, 1 and the loose
    numbers in some rows (:func:`_columns_apart`). The share ``siblings`` of the rows of a
    grouped query gets a sibling with the same group columns and other values: with 1, no group
    has a single row (where sum = mean = min = max); with less, group sizes vary (COUNT(*) > 1).
    Copies of a few rows make DISTINCT, nunique and UNION matter.
    """
    if size == 0:
        return []
    # without siblings, keys spread wider too: more keys of a single row, more without a match
    keys = 8 if siblings else 16
    makers = {
        column: _generator(column, dtype, literals, rng, keys) for column, dtype in dtypes.items()
    }
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
    drawn_rows = round(size / (1 + siblings)) if grouped else size
    fresh = [{column: drawn(column) for column in makers} for _ in range(drawn_rows)]
    if null_in_every_column:
        for column in makers:
            rng.choice(fresh)[column] = None
    _columns_apart(fresh, dtypes, rng, literals)
    if null_in_every_column:
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
            if siblings >= 1 or rng.random() < siblings
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
        # rows whose NULL there is the one NULL the column is guaranteed keep it
        candidates = [row for row in records if row[column] is not None]
        rows = rng.sample(candidates, min(len(candidates), len(offsets)))
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
            low, high = integer_bounds(dtype)
            moved = value + int(offset)
            return moved if float(offset).is_integer() and low <= moved <= high else None
        if dtype.is_decimal():
            scale = dtype.scale if dtype.scale is not None else 2
            top = decimal.Decimal(10) ** ((dtype.precision or 18) - scale)
            moved = (value + decimal.Decimal(str(offset))).quantize(
                decimal.Decimal(1).scaleb(-scale)
            )
            return moved if abs(moved) < top else None
        return value + offset
    except (OverflowError, ValueError, decimal.InvalidOperation):
        return None


def _boundaries(column: str, dtype: Any, literals: QueryLiterals) -> list[Any]:
    values: list[Any] = []
    for literal in literals.by_column.get(column.lower(), ()):
        values += [v for v in boundary_values(literal, dtype) if v not in values]
    return values


def _generator(
    column: str, dtype: Any, literals: QueryLiterals, rng: random.Random, keys: int
) -> Callable[[], Any]:
    """A function drawing one value of ``dtype`` for ``column``, literals planted."""
    planted = [v for v in literals.by_column.get(column.lower(), ()) if _fits(v, dtype)]
    loose = [v for v in literals.loose if _fits(v, dtype)]
    base = _base_generator(column, dtype, rng, keys)

    def draw() -> Any:
        roll = rng.random()
        if planted and roll < 0.45:
            return _near(rng.choice(planted), dtype, rng)
        if loose and roll < 0.55:
            return _near(rng.choice(loose), dtype, rng)
        return base()

    return draw


@lru_cache(maxsize=1024)
def check_generatable(column: str, dtype: Any) -> None:
    """Raise the SchemaError :func:`table_rows` raises for a ``dtype`` it cannot fill (an
    interval, a geometry), drawing nothing from any database's random stream."""
    _base_generator(column, dtype, random.Random(0))


def _base_generator(
    column: str, dtype: Any, rng: random.Random, keys: int = 8
) -> Callable[[], Any]:
    lowered = column.lower()
    if dtype.is_boolean():
        return lambda: rng.random() < 0.5
    if dtype.is_integer():
        if lowered == "id" or lowered.endswith(("_id", "id", "key", "_no")):
            return lambda: rng.randint(1, keys)  # keys from a small shared range: joins match
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
        if not isinstance(value, int | float | decimal.Decimal) or isinstance(value, bool):
            return False
        return _in_range(value, dtype)
    if dtype.is_string():
        return isinstance(value, str)
    if dtype.is_date():
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if dtype.is_timestamp():
        return isinstance(value, dt.date)
    return False


def _in_range(number: float | decimal.Decimal, dtype: Any) -> bool:
    """Whether ``number`` and its neighbours (+-1) are values of ``dtype`` (1e6 is no int8)."""
    if dtype.is_integer():
        low, high = integer_bounds(dtype)
        return low < number < high
    if dtype.is_decimal():
        scale = dtype.scale if dtype.scale is not None else 2
        return abs(float(number)) + 1 < 10 ** ((dtype.precision or 18) - scale)
    return True


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
