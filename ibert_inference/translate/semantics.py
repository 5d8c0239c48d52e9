"""How each SQL function or operator the translator maps behaves in each dialect, beside Ibis.

One :class:`FunctionSemantics` per function: the Ibis method it becomes, what differs, and per
dialect a :class:`Behaviour` - a key the translator branches on (:func:`behaviour`), and the
answer a probe query gives on probe rows, so that a test can run every cell on DuckDB.

``handled`` says who keeps the dialect's meaning: ``translator`` (it reads this table),
``sqlglot`` (the parser already encodes it, e.g. NULL ordering), ``same`` (no difference between
dialects, the translator bridges SQL and Ibis), or ``warning`` (the Ibis code keeps the exact
comparison and the translation carries a warning).

>>> behaviour("regexp_replace", "postgres")
'first_match'
>>> behaviour("regexp_replace", "snowflake")
'all_matches'
>>> len(SEMANTICS) * len(DIALECTS) == len(cells())
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

DIALECTS: tuple[str, ...] = ("duckdb", "postgres", "snowflake", "bigquery", "mysql")

# The probe table every row's query reads: one schema, rows chosen per function.
PROBE_SCHEMA: dict[str, str] = {
    "s": "string",
    "a": "string",
    "b": "string",
    "i": "int64",
    "j": "int64",
    "x": "float64",
    "k": "int64",
    "d": "date",
}


@dataclass(frozen=True)
class Behaviour:
    """One dialect's behaviour: a key, its answer on the probe rows, and (optionally) the probe
    spelled the dialect's way."""

    key: str
    answer: tuple[tuple[object, ...], ...]
    sql: str | None = None


@dataclass(frozen=True)
class FunctionSemantics:
    name: str
    ibis: str
    difference: str
    handled: str
    sql: str
    rows: tuple[dict[str, object], ...]
    dialects: dict[str, Behaviour] = field(default_factory=dict)

    def probe(self, dialect: str) -> str:
        return self.dialects[dialect].sql or self.sql


def _same(key: str, answer: tuple[tuple[object, ...], ...]) -> dict[str, Behaviour]:
    return {dialect: Behaviour(key, answer) for dialect in DIALECTS}


def _cells(**by_dialect: Behaviour) -> dict[str, Behaviour]:
    assert set(by_dialect) == set(DIALECTS), sorted(by_dialect)
    return by_dialect


_B = Behaviour
_SUNDAY = dt.date(2023, 1, 1)

SEMANTICS: tuple[FunctionSemantics, ...] = (
    FunctionSemantics(
        "regexp_replace",
        "StringValue.re_replace",
        "DuckDB and Postgres replace the first match unless the 'g' flag is given; Snowflake, "
        "BigQuery and MySQL replace every match; Ibis re_replace replaces every match",
        "translator",
        "SELECT REGEXP_REPLACE(s, 'a', 'X') AS v FROM t",
        ({"s": "banana"},),
        _cells(
            duckdb=_B("first_match", (("bXnana",),)),
            postgres=_B("first_match", (("bXnana",),)),
            snowflake=_B("all_matches", (("bXnXnX",),)),
            bigquery=_B("all_matches", (("bXnXnX",),)),
            mysql=_B("all_matches", (("bXnXnX",),)),
        ),
    ),
    FunctionSemantics(
        "concat",
        "StringValue.__add__ / StringValue.concat",
        "CONCAT skips NULL arguments in DuckDB and Postgres and is NULL when any argument is "
        "NULL in Snowflake, BigQuery and MySQL; Ibis + propagates NULL",
        "translator",
        "SELECT CONCAT(a, b) AS v FROM t",
        ({"a": "x", "b": None},),
        _cells(
            duckdb=_B("skip_nulls", (("x",),)),
            postgres=_B("skip_nulls", (("x",),)),
            snowflake=_B("propagate_nulls", ((None,),)),
            bigquery=_B("propagate_nulls", ((None,),)),
            mysql=_B("propagate_nulls", ((None,),)),
        ),
    ),
    FunctionSemantics(
        "division",
        "NumericValue.__truediv__",
        "integer / integer truncates toward zero in Postgres and is exact elsewhere; Ibis / is "
        "exact and Ibis // floors (-7 // 2 = -4)",
        "translator",
        "SELECT i / j AS v FROM t",
        ({"i": -7, "j": 2},),
        _cells(
            duckdb=_B("exact", ((-3.5,),)),
            postgres=_B("truncate", ((-3,),)),
            snowflake=_B("exact", ((-3.5,),)),
            bigquery=_B("exact", ((-3.5,),)),
            mysql=_B("exact", ((-3.5,),)),
        ),
    ),
    FunctionSemantics(
        "stddev",
        "NumericColumn.std",
        "STDDEV is the sample deviation except in MySQL (population); Ibis std defaults to sample",
        "translator",
        "SELECT STDDEV(x) AS v FROM t",
        ({"x": 1.0}, {"x": 2.0}, {"x": 3.0}, {"x": 4.0}),
        _cells(
            duckdb=_B("sample", ((1.290994,),)),
            postgres=_B("sample", ((1.290994,),)),
            snowflake=_B("sample", ((1.290994,),)),
            bigquery=_B("sample", ((1.290994,),)),
            mysql=_B("population", ((1.118034,),)),
        ),
    ),
    FunctionSemantics(
        "variance",
        "NumericColumn.var",
        "VARIANCE is the sample variance except in MySQL (population); Ibis var defaults to sample",
        "translator",
        "SELECT VARIANCE(x) AS v FROM t",
        ({"x": 1.0}, {"x": 2.0}, {"x": 3.0}, {"x": 4.0}),
        _cells(
            duckdb=_B("sample", ((1.666667,),)),
            postgres=_B("sample", ((1.666667,),)),
            snowflake=_B("sample", ((1.666667,),)),
            bigquery=_B("sample", ((1.666667,),)),
            mysql=_B("population", ((1.25,),)),
        ),
    ),
    FunctionSemantics(
        "day_of_week",
        "DateValue.day_of_week.index",
        "Sunday is 0 (DuckDB, Postgres DOW, Snowflake DAYOFWEEK) or 1 (BigQuery DAYOFWEEK, "
        "MySQL DAYOFWEEK); Ibis day_of_week.index() counts from Monday = 0",
        "translator",
        "SELECT EXTRACT(DOW FROM d) AS v FROM t",
        ({"d": _SUNDAY},),
        _cells(
            duckdb=_B("sunday_0", ((0,),)),
            postgres=_B("sunday_0", ((0,),)),
            snowflake=_B("sunday_0", ((0,),), "SELECT DAYOFWEEK(d) AS v FROM t"),
            bigquery=_B("sunday_1", ((1,),), "SELECT EXTRACT(DAYOFWEEK FROM d) AS v FROM t"),
            mysql=_B("sunday_1", ((1,),), "SELECT DAYOFWEEK(d) AS v FROM t"),
        ),
    ),
    FunctionSemantics(
        "week",
        "DateValue.week_of_year",
        "EXTRACT(WEEK) is the ISO week (weeks from Monday, 2023-01-01 is in week 52) except in "
        "BigQuery and MySQL, where weeks start on Sunday and days before the first Sunday are "
        "week 0; Ibis week_of_year is ISO",
        "translator",
        "SELECT EXTRACT(WEEK FROM d) AS v FROM t",
        ({"d": _SUNDAY}, {"d": dt.date(2024, 1, 1)}),
        _cells(
            duckdb=_B("iso", ((52,), (1,))),
            postgres=_B("iso", ((52,), (1,))),
            snowflake=_B("iso", ((52,), (1,))),
            bigquery=_B("sunday_weeks", ((1,), (0,))),
            mysql=_B("sunday_weeks", ((1,), (0,))),
        ),
    ),
    FunctionSemantics(
        "order_ascending_nulls",
        "Table.order_by",
        "ascending order puts NULLs last in DuckDB, Postgres and Snowflake, first in BigQuery "
        "and MySQL; Ibis puts them last unless nulls_first=True",
        "sqlglot",
        "SELECT x FROM t ORDER BY x",
        ({"x": 1.0}, {"x": None}, {"x": 2.0}),
        _cells(
            duckdb=_B("nulls_last", ((1.0,), (2.0,), (None,))),
            postgres=_B("nulls_last", ((1.0,), (2.0,), (None,))),
            snowflake=_B("nulls_last", ((1.0,), (2.0,), (None,))),
            bigquery=_B("nulls_first", ((None,), (1.0,), (2.0,))),
            mysql=_B("nulls_first", ((None,), (1.0,), (2.0,))),
        ),
    ),
    FunctionSemantics(
        "order_descending_nulls",
        "Table.order_by / Value.desc",
        "descending order puts NULLs first in Postgres and Snowflake (NULL is largest), last in "
        "DuckDB, BigQuery and MySQL; Ibis puts them last unless nulls_first=True",
        "sqlglot",
        "SELECT x FROM t ORDER BY x DESC",
        ({"x": 1.0}, {"x": None}, {"x": 2.0}),
        _cells(
            duckdb=_B("nulls_last", ((2.0,), (1.0,), (None,))),
            postgres=_B("nulls_first", ((None,), (2.0,), (1.0,))),
            snowflake=_B("nulls_first", ((None,), (2.0,), (1.0,))),
            bigquery=_B("nulls_last", ((2.0,), (1.0,), (None,))),
            mysql=_B("nulls_last", ((2.0,), (1.0,), (None,))),
        ),
    ),
    FunctionSemantics(
        "window_default_frame",
        "Value.over",
        "with ORDER BY and no frame, SQL's frame is RANGE UNBOUNDED PRECEDING to CURRENT ROW "
        "(ties included); an Ibis window without a frame spans the whole partition",
        "same",
        "SELECT k, SUM(x) OVER (ORDER BY k) AS v FROM t ORDER BY k, v",
        ({"k": 1, "x": 1.0}, {"k": 1, "x": 2.0}, {"k": 2, "x": 3.0}),
        _same("range_to_current_row", ((1, 3.0), (1, 3.0), (2, 6.0))),
    ),
    FunctionSemantics(
        "substring",
        "StringValue.substr",
        "SQL positions count from 1, Ibis substr from 0; a position that may be 0 or less (read "
        "differently by each dialect) is refused",
        "same",
        "SELECT SUBSTRING(s, 2, 3) AS v FROM t",
        ({"s": "banana"},),
        _same("one_based", (("ana",),)),
    ),
    FunctionSemantics(
        "position",
        "StringValue.find",
        "SQL positions count from 1 and an absent substring is 0; Ibis find counts from 0 and "
        "answers -1",
        "same",
        "SELECT POSITION('n' IN s) AS v, POSITION('z' IN s) AS w FROM t",
        ({"s": "banana"},),
        {
            **_same("one_based_zero_absent", ((3, 0),)),
            "bigquery": _B(
                "one_based_zero_absent",
                ((3, 0),),
                "SELECT STRPOS(s, 'n') AS v, STRPOS(s, 'z') AS w FROM t",
            ),
        },
    ),
    FunctionSemantics(
        "string_equality",
        "Value.__eq__",
        "string comparison is exact except in MySQL, whose default collation ignores case "
        "(and accents); Ibis == is exact",
        "warning",
        "SELECT COUNT(*) AS v FROM t WHERE a = 'X'",
        ({"a": "x"},),
        _cells(
            duckdb=_B("exact", ((0,),)),
            postgres=_B("exact", ((0,),)),
            snowflake=_B("exact", ((0,),)),
            bigquery=_B("exact", ((0,),)),
            mysql=_B("case_insensitive", ((1,),)),
        ),
    ),
    FunctionSemantics(
        "length",
        "StringValue.length",
        "LENGTH counts characters except in MySQL, where it counts bytes (CHAR_LENGTH counts "
        "characters); Ibis length counts characters",
        "warning",
        "SELECT LENGTH(s) AS v FROM t",
        ({"s": "été"},),
        _cells(
            duckdb=_B("characters", ((3,),)),
            postgres=_B("characters", ((3,),)),
            snowflake=_B("characters", ((3,),)),
            bigquery=_B("characters", ((3,),)),
            mysql=_B("bytes", ((5,),)),
        ),
    ),
    FunctionSemantics(
        "count_if",
        "Column.count(where=...)",
        "DuckDB's COUNT_IF is NULL for a group where the condition is never TRUE or FALSE (only "
        "NULL); BigQuery's COUNTIF and Snowflake's COUNT_IF answer 0 (Snowflake's documentation "
        "says NULL, its engine 0); Postgres and MySQL have none, read as COUNT(*) FILTER; Ibis "
        "count(where=) answers 0",
        "translator",
        "SELECT COUNT_IF(a = 'x') AS v FROM t",
        ({"a": None},),
        _cells(
            duckdb=_B("null_when_undecided", ((None,),)),
            postgres=_B("zero", ((0,),)),
            snowflake=_B("zero", ((0,),)),
            bigquery=_B("zero", ((0,),), "SELECT COUNTIF(a = 'x') AS v FROM t"),
            mysql=_B("zero", ((0,),)),
        ),
    ),
    FunctionSemantics(
        "date_trunc",
        "DateValue.truncate",
        "DATE_TRUNC of a DATE is a TIMESTAMP in DuckDB and Postgres and a DATE in Snowflake and "
        "BigQuery (MySQL has none; sqlglot reads it as BigQuery's); Ibis truncate is typed DATE "
        "but compiles to DuckDB's DATE_TRUNC",
        "translator",
        "SELECT DATE_TRUNC('month', d) AS v FROM t",
        ({"d": dt.date(2024, 3, 5)},),
        _cells(
            duckdb=_B("timestamp", ((dt.datetime(2024, 3, 1),),)),
            postgres=_B("timestamp", ((dt.datetime(2024, 3, 1),),)),
            snowflake=_B("date", ((dt.date(2024, 3, 1),),)),
            bigquery=_B(
                "date", ((dt.date(2024, 3, 1),),), "SELECT DATE_TRUNC(d, MONTH) AS v FROM t"
            ),
            mysql=_B("date", ((dt.date(2024, 3, 1),),)),
        ),
    ),
    FunctionSemantics(
        "log",
        "NumericValue.log10 / NumericValue.ln / NumericValue.log",
        "LOG(x) is base 10 in DuckDB and Postgres, the natural logarithm in BigQuery and MySQL; "
        "Snowflake needs LOG(base, x)",
        "sqlglot",
        "SELECT LOG(x) AS v FROM t",
        ({"x": 100.0},),
        _cells(
            duckdb=_B("base_10", ((2.0,),)),
            postgres=_B("base_10", ((2.0,),)),
            snowflake=_B("base_10", ((2.0,),), "SELECT LOG(10, x) AS v FROM t"),
            bigquery=_B("natural", ((4.60517,),)),
            mysql=_B("natural", ((4.60517,),)),
        ),
    ),
)

_BY_NAME = {entry.name: entry for entry in SEMANTICS}


def behaviour(name: str, dialect: str) -> str | None:
    """The behaviour key of function ``name`` in ``dialect``; None for a dialect the table does
    not cover (the translator then follows what sqlglot's parser recorded)."""
    cell = _BY_NAME[name].dialects.get(dialect)
    return cell.key if cell is not None else None


def cells() -> list[tuple[FunctionSemantics, str]]:
    """Every (function, dialect) pair of the table."""
    return [(entry, dialect) for entry in SEMANTICS for dialect in DIALECTS]


def warnings_for(name: str, dialect: str) -> str | None:
    """The caveat a translation carries when a ``warning`` row's dialect differs from Ibis."""
    entry = _BY_NAME[name]
    key = behaviour(name, dialect)
    if entry.handled != "warning" or key is None or key == behaviour(name, "duckdb"):
        return None
    return f"{dialect}: {entry.difference}; the Ibis code keeps Ibis's behaviour"
