"""Ibis -> SQL through the Ibis compiler: exact, no model.

>>> print(ibis_to_sql("t.filter(_.a > 1).select('a')", {"t": {"a": "int64"}}))
SELECT
  *
FROM "t" AS "t0"
WHERE
  "t0"."a" > 1
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from ibert_inference.errors import IbertError, NotAQueryError, UnknownDialectError
from ibert_inference.safe_eval.evaluator import evaluate_ibis
from ibert_inference.sandbox import isolated
from ibert_inference.schema.tables import Schema

# Dialects Ibis 12 compiles without a backend connection (pyspark reads session config: not here)
DIALECTS = (
    "athena", "bigquery", "clickhouse", "databricks", "datafusion", "druid", "duckdb", "exasol",
    "flink", "impala", "materialize", "mssql", "mysql", "oracle", "postgres", "risingwave",
    "snowflake", "sqlite", "trino",
)  # fmt: skip
_ALIASES = {"postgresql": "postgres", "tsql": "mssql", "sqlserver": "mssql", "presto": "trino"}


# ibis.util.gen_name: "ibis_<namespace>_<a uuid4 in lower-case base32, 26 characters>"
_GENERATED_NAME = re.compile(r"\bibis_([a-z0-9_]+?)_[a-z2-7]{26}\b")


def normalize_dialect(dialect: str) -> str:
    """Ibis compiler module name of ``dialect`` (``postgresql`` -> ``postgres``)."""
    name = _ALIASES.get(dialect.lower(), dialect.lower())
    if name not in DIALECTS:
        raise UnknownDialectError(
            f"unknown dialect {dialect!r}: Ibis compiles to {', '.join(DIALECTS)}"
        )
    return name


def compile_expr(expr: Any, dialect: str = "duckdb", *, size_checked: bool = False) -> str:
    """SQL text Ibis compiles ``expr`` to, pretty-printed; ``size_checked``: the caller has
    checked the expression's size already (:func:`bounded_to_sql`)."""
    import ibis.expr.operations as ops
    import ibis.expr.types as ir

    name = normalize_dialect(dialect)
    if not isinstance(expr, ir.Table | ir.Value):
        raise NotAQueryError(
            f"a {type(expr).__name__} is not a query: give a table, a column or a scalar expression"
        )
    if isinstance(expr.op(), ops.SortKey):
        raise NotAQueryError(
            "a sort key (.desc() / .asc()) is not a query: order a table instead, "
            "e.g. t.order_by(t.a.desc())"
        )
    try:
        sql = bounded_to_sql(expr, name, pretty=True, size_checked=size_checked)
        return stable_generated_names(sql)
    except IbertError:
        raise
    except Exception as exc:  # the compiler raises many types; the user needs the message
        raise IbertError(
            # the first line is the reason; the rest is a dump of the whole expression tree
            f"Ibis could not compile the expression to {name}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        ) from exc


def bounded_to_sql(
    expr: Any, dialect: str = "duckdb", *, pretty: bool = False, size_checked: bool = False
) -> str:
    """``ibis.to_sql(expr)`` within the sandbox's bounds: the expression's tree size is checked
    first (unless ``size_checked``: the caller checked this very expression), compiling stops
    after ``compile_timeout_s``, and SQL over ``max_output_chars`` is refused
    (InputTooLargeError or EvaluationTimeout, each one line)."""
    import ibis

    from ibert_inference.safe_eval.evaluator import time_limit
    from ibert_inference.safe_eval.expression_size import check_expression_size
    from ibert_inference.sandbox import current_settings
    from ibert_inference.sandbox.bounds import check_output

    if not size_checked:
        check_expression_size(expr)
    import_compilers_on_demand()
    if dialect != "duckdb":  # (Ibis leaves sqlglot's DuckDB as it is)
        ibis_dialects_in_force()
    with time_limit(current_settings().compile_timeout_s, "compiling the expression"):
        sql = str(ibis.to_sql(expr, dialect=dialect, pretty=pretty))
    return check_output(sql)


@functools.cache  # once a process: Ibis's dialects are imported once
def ibis_dialects_in_force() -> None:
    """Make Ibis's additions to sqlglot's dialects hold for all SQL this process writes from now.

    Importing ``ibis.backends.sql.dialects`` adds to the ``TRANSFORMS`` of several of sqlglot's
    generators (Postgres writes a date from parts as ``MAKE_DATE``, Snowflake, Trino, MySQL and
    Oracle have their own), and Ibis's compilers for those dialects rely on it. sqlglot builds a
    generator class's dispatch table when that class first writes SQL and keeps it: in a process
    that had written Postgres SQL before, Ibis compiled a date to Snowflake's ``DATE_FROM_PARTS``
    in its Postgres SQL. This imports Ibis's dialects and drops the tables built without them.

    >>> import sqlglot
    >>> ibis_dialects_in_force()
    >>> sqlglot.transpile("SELECT DATE_FROM_PARTS(2024, 1, 2)", read="snowflake", write="postgres")
    ['SELECT MAKE_DATE(2024, 1, 2)']
    """
    import ibis.backends.sql.dialects  # noqa: F401  (its import is what adds to sqlglot's)
    from sqlglot import generator

    tables = getattr(generator, "_DISPATCH_CACHE", None)  # sqlglot 30's; other versions differ
    if isinstance(tables, dict):
        for cls, table in list(tables.items()):
            if any(table.get(kind) is not write for kind, write in cls.TRANSFORMS.items()):
                del tables[cls]


_COMPILERS = "ibis.backends.sql.compilers"
# a line of that package's __init__: "from ibis.backends.sql.compilers.duckdb import DuckDBCompiler"
_COMPILER_IMPORT = re.compile(rf"^from {re.escape(_COMPILERS)}\.(\w+) import (\w+)$", re.MULTILINE)


def import_compilers_on_demand() -> None:
    """Make Ibis import each SQL compiler when it is first asked for, not all twenty at once.

    ``ibis.to_sql`` imports ``ibis.backends.sql.compilers``, whose ``__init__`` imports every
    compiler and its sqlglot dialect: ~60 ms of CPU, a fifth of a cold ``ibert to-sql``, that
    compiles for one dialect. This puts a package module in its place whose attributes
    (``sc.duckdb``, ``DuckDBCompiler``, the names its ``__init__`` exports) import the one
    compiler they name (PEP 562). The compilers themselves are Ibis's own, unchanged, so the
    SQL is the same. Nothing changes when the package is already imported, or when its
    ``__init__`` no longer reads as a list of such imports (another Ibis).

    >>> import_compilers_on_demand()
    >>> import ibis.backends.sql.compilers as sc
    >>> sc.postgres.compiler.dialect.__name__, sc.PostgresCompiler.__name__
    ('Postgres', 'PostgresCompiler')
    """
    if _COMPILERS in sys.modules:
        return
    spec = importlib.util.find_spec(_COMPILERS)
    if spec is None or spec.origin is None:
        return
    with open(spec.origin, encoding="utf-8") as source:
        exports = {name: module for module, name in _COMPILER_IMPORT.findall(source.read())}
    if not exports:
        return
    package = importlib.util.module_from_spec(spec)  # its __init__ is never run
    package.__all__ = list(exports)  # type: ignore[attr-defined]
    package.__getattr__ = _compiler_getter(package, exports)  # type: ignore[method-assign]  # PEP 562
    package = sys.modules.setdefault(_COMPILERS, package)
    parent, _, name = _COMPILERS.rpartition(".")
    setattr(sys.modules[parent], name, package)  # as an import would: ibis.backends.sql.compilers


def _compiler_getter(package: ModuleType, exports: dict[str, str]) -> Callable[[str], object]:
    """The package's ``__getattr__``: a compiler module by its name, a class by its export."""

    def attribute(name: str) -> object:
        if name in exports:
            return getattr(importlib.import_module(f"{_COMPILERS}.{exports[name]}"), name)
        if not name.startswith("__") and importlib.util.find_spec(f"{_COMPILERS}.{name}"):
            return importlib.import_module(f"{_COMPILERS}.{name}")
        raise AttributeError(f"module {package.__name__!r} has no attribute {name!r}")

    return attribute


def stable_generated_names(sql: str) -> str:
    """The names Ibis makes up while compiling (a random uuid each time) numbered in order of
    appearance instead, so that one expression always compiles to the same text (and a dataset
    record to the same id).

    >>> stable_generated_names("FROM UNNEST(b) AS ibis_bq_arr_ob53z5wwffckpf6koneaqkm364 "
    ...                        "WHERE ibis_bq_arr_ob53z5wwffckpf6koneaqkm364 = a")
    'FROM UNNEST(b) AS ibis_bq_arr_1 WHERE ibis_bq_arr_1 = a'
    """
    numbers: dict[str, int] = {}

    def stable(match: re.Match[str]) -> str:
        number = numbers.setdefault(match.group(0), len(numbers) + 1)
        return f"ibis_{match.group(1)}_{number}"

    return _GENERATED_NAME.sub(stable, sql)


@isolated()
def ibis_to_sql(code: str, schema: Schema | None = None, dialect: str = "duckdb") -> str:
    """Evaluate ``code`` with the safe evaluator and compile it for ``dialect``, in a sandbox
    worker: both the evaluation and the compilation of foreign code are bounded there."""
    normalize_dialect(dialect)
    return compile_expr(evaluate_ibis(code, schema), dialect)


@isolated()
def compile_dialects(
    code: str, schema: Schema | None, dialects: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``code`` evaluated once and compiled for each dialect: ``{"sql": ...}`` or the error, in a
    sandbox worker.

    An error is ``{"error": message, "error_type": class name}``; unsafe code raises instead.

    >>> compiled = compile_dialects("t.select('a')", {"t": {"a": "int64"}}, ["postgres"])
    >>> compiled["postgres"]["sql"][:6]
    'SELECT'
    """
    expr = evaluate_ibis(code, schema)
    compiled: dict[str, dict[str, Any]] = {}
    # one expression, one size: once a dialect compiled, the size passed its check, and the
    # others do not walk the same tree again (~3% of compiling four dialects)
    size_checked = False
    for dialect in dialects:
        try:
            compiled[dialect] = {"sql": compile_expr(expr, dialect, size_checked=size_checked)}
            size_checked = True
        except IbertError as exc:
            compiled[dialect] = {"error": str(exc), "error_type": type(exc).__name__}
    return compiled
