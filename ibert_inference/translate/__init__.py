"""SQL -> Ibis: a deterministic translator that writes readable Ibis 12 code.

The pipeline, one module per step: :mod:`.parse` (parse, check names, qualify), :mod:`.rewrites`
(SQL -> SQL rewrites, as sqlglot's optimizer runs its rules), :mod:`.query` and the construct
modules below it (relations, select, grouping, subqueries, setops; expressions, strings, dates,
aggregates), all sharing :mod:`.core`. Every piece of code is written beside the live Ibis value
it stands for, so the expression is built once, while translating: the returned ``expr`` is that
value, and the returned ``code`` passes the safe evaluator's checks (a test evaluates the code of
every corpus query and compares the two).

>>> schema = {"users": {"name": "string", "age": "int64"}}
>>> t = sql_to_ibis("SELECT name FROM users WHERE age >= 18", schema)
>>> print(t.code, end="")
result = users.filter(_.age >= 18).select("name")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ibert_inference.compiler import import_compilers_on_demand
from ibert_inference.errors import IbertError, UnsafeCodeError, UnsupportedSQLError
from ibert_inference.safe_eval.evaluator import check_code
from ibert_inference.schema.tables import Schema, ibis_tables, validate_schema
from ibert_inference.translate.parse import freeze, parse_query
from ibert_inference.translate.query import translate_query
from ibert_inference.translate.rewrites import rewrite
from ibert_inference.translate.scope import new_context

__all__ = ["Translation", "sql_to_ibis"]


@dataclass(frozen=True)
class Translation:
    """Ibis source assigning ``result``, the expression it evaluates to, and any caveats."""

    code: str
    expr: Any
    warnings: list[str] = field(default_factory=list)


@lru_cache(maxsize=64)
def _tables(frozen: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> dict[str, Any]:
    """Unbound Ibis tables are immutable values: build them once per schema."""
    return ibis_tables({table: dict(columns) for table, columns in frozen})


def _check_compiles(expr: Any) -> None:
    """Ibis 12 cannot compile a scalar subquery that is also a relation of the query around it
    (it shares the two as one CTE and then fails): refuse it here, not in the caller's compile."""
    import ibis

    import_compilers_on_demand()
    try:
        ibis.to_sql(expr, dialect="duckdb")
    except Exception as exc:  # the Ibis compiler raises many types
        raise UnsupportedSQLError(
            "cannot translate a scalar subquery that repeats the query around it: the Ibis "
            f"compiler fails on it ({type(exc).__name__}); name the subquery's value in a CTE"
        ) from exc


def sql_to_ibis(sql: str, schema: Schema, dialect: str = "duckdb") -> Translation:
    """Translate one SQL query into Ibis code whose free names are the schema's tables.

    Raises SQLParseError (invalid SQL), UnknownNameError (unknown table/column, with the closest
    known name) and UnsupportedSQLError (a construct this translator cannot express; non-queries).
    """
    checked = validate_schema(schema)
    tree = rewrite(parse_query(sql, checked, dialect))
    ctx = new_context(_tables(freeze(checked)), dialect, translate_query)
    try:
        rel = translate_query(tree, ctx)
    except IbertError:
        raise
    except Exception as exc:  # a relation-level Ibis refusal: still the caller's SQL, not a crash
        raise UnsupportedSQLError(
            f"cannot translate this query ({type(exc).__name__}: {exc})".replace("\n", " ")
        ) from exc
    code = ctx.program.render(rel.chain)
    if ".as_scalar()" in code:
        _check_compiles(rel.val)
    try:
        check_code(code)
    except UnsafeCodeError as exc:  # e.g. a literal beyond the evaluator's bounds
        raise UnsupportedSQLError(f"the Ibis code for this query is not allowed: {exc}") from exc
    return Translation(code=code, expr=rel.val, warnings=list(ctx.warnings))
