"""Comparing two query results: multisets of rows, order where the query orders, tolerant numbers.

A result is ``(column names, rows)`` as DuckDB returns them (``cursor.description`` and
``fetchall()``). Numbers compare with a tolerance that knows types: floats relatively, and a
DECIMAL against anything within its own last digit (Ibis keeps the decimal scale of AVG over a
DECIMAL column where DuckDB returns a double).

>>> compare_results((["a"], [(1,), (2,)]), (["A"], [(2,), (1,)]), ordered=False) is None
True
>>> compare_results((["a"], [(1,), (2,)]), (["a"], [(2,), (1,)]), ordered=True)
'row 1 differs: the SQL returned (1,) / the Ibis code returned (2,)'
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Sequence
from typing import Any

Result = tuple[Sequence[str], Sequence[Sequence[Any]]]
REL_TOL = 1e-6
ABS_TOL = 1e-9


def compare_results(
    expected: Result,
    actual: Result,
    *,
    ordered: bool,
    sort_key_columns: Sequence[int] = (),
    limited: bool = False,
    sides: tuple[str, str] = ("the SQL", "the Ibis code"),
) -> str | None:
    """None when the results agree, else a short reason.

    With ``ordered`` and ``sort_key_columns`` (output positions of the ORDER BY keys), rows may
    trade places only within runs of equal sort keys, which is all an ORDER BY promises; with
    ``limited`` (a LIMIT cut the ordered rows) the rows tied with the last one may differ too.
    ``sides`` name the two results in the reason: which one the SQL returned, which the Ibis.
    """
    side_e, side_a = sides
    names_e, rows_e = expected
    names_a, rows_a = actual
    if len(names_e) != len(names_a):
        return (
            f"{side_e} returned {len(names_e)} columns {list(names_e)} / "
            f"{side_a} returned {len(names_a)} columns {list(names_a)}"
        )
    for index, (name_e, name_a) in enumerate(zip(names_e, names_a, strict=True)):
        if name_e.lower() != name_a.lower():
            return f"column {index + 1} named {name_e!r} by {side_e} / {name_a!r} by {side_a}"
    if len(rows_e) != len(rows_a):
        return f"row count: {side_e} returned {len(rows_e)} / {side_a} returned {len(rows_a)}"
    if list(rows_e) == list(rows_a):
        # the same values in the same order agree under every rule below (a value equals
        # itself within any tolerance, and ties are ties on both sides): nearly every result of
        # a verified pair, which then skips normalizing, sorting and value-by-value comparing
        # (~1.5 ms a pair over the five databases of a synthetic query)
        return None
    normal_e = [tuple(_normalize(v) for v in row) for row in rows_e]
    normal_a = [tuple(_normalize(v) for v in row) for row in rows_a]
    if ordered and not sort_key_columns:
        return _compare_sequences(normal_e, normal_a, sides)
    if ordered:
        keys_e = [tuple(row[i] for i in sort_key_columns) for row in normal_e]
        keys_a = [tuple(row[i] for i in sort_key_columns) for row in normal_a]
        reason = _compare_sequences(keys_e, keys_a, sides, what="sort key of row")
        if reason is not None:
            return reason
        if limited and keys_e:
            # which of the rows tied at the cut survive the LIMIT is arbitrary; "tied" within
            # the same tolerance as the keys were compared with, on each side
            normal_e = _before_last_tie(normal_e, keys_e)
            normal_a = _before_last_tie(normal_a, keys_a)
    return _compare_sequences(
        sorted(normal_e, key=_sort_key), sorted(normal_a, key=_sort_key), sides
    )


def _before_last_tie(
    rows: list[tuple[Any, ...]], keys: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    last = keys[-1]
    return [
        row
        for row, key in zip(rows, keys, strict=True)
        if not all(values_equal(k, t) for k, t in zip(key, last, strict=True))
    ]


def _compare_sequences(
    expected: list[tuple[Any, ...]],
    actual: list[tuple[Any, ...]],
    sides: tuple[str, str],
    what: str = "row",
) -> str | None:
    if len(expected) != len(actual):
        return (
            f"{sides[0]} returned {len(expected)} rows / {sides[1]} returned {len(actual)} "
            "outside the rows tied at the LIMIT"
        )
    for index, (row_e, row_a) in enumerate(zip(expected, actual, strict=True)):
        if not all(values_equal(e, a) for e, a in zip(row_e, row_a, strict=True)):
            return (
                f"{what} {index + 1} differs: {sides[0]} returned {_show(row_e)} / "
                f"{sides[1]} returned {_show(row_a)}"
            )
    return None


def values_equal(expected: Any, actual: Any) -> bool:
    """Type-aware equality: NULL = NULL, NaN = NaN, numbers within tolerance."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if _is_number(expected) and _is_number(actual):
        return _numbers_equal(expected, actual)
    if isinstance(expected, list | tuple) and isinstance(actual, list | tuple):
        return len(expected) == len(actual) and all(
            values_equal(e, a) for e, a in zip(expected, actual, strict=True)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            values_equal(expected[k], actual[k]) for k in expected
        )
    return bool(expected == actual)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def _numbers_equal(a: Any, b: Any) -> bool:
    if (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    tolerance = ABS_TOL
    for value in (a, b):
        if isinstance(value, decimal.Decimal):
            exponent = value.as_tuple().exponent
            if isinstance(exponent, int):
                # one unit in the decimal's last place, rounding either way
                tolerance = max(tolerance, 10.0**exponent)
    return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=tolerance)


def _normalize(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, list):
        return tuple(_normalize(v) for v in value)
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    return value


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """Rows sorted so that equal-within-tolerance rows line up: numbers rounded, NULLs first."""
    key: list[tuple[int, Any]] = []
    for value in row:
        if value is None:
            key.append((0, ""))
        elif _is_number(value):
            number = float(value)
            # five significant digits: values equal within tolerance sort side by side
            key.append((1, 0.0) if math.isnan(number) else (2, float(f"{number:.5g}")))
        else:
            key.append((3, repr(value)))
    return tuple(key)


def _show(row: tuple[Any, ...]) -> str:
    text = repr(tuple(row))
    return text if len(text) <= 160 else text[:157] + "..."
