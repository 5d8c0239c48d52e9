"""SQL -> Ibis: a deterministic translator that writes readable Ibis 12 code, checked by evaluation.

>>> schema = {"users": {"name": "string", "age": "int64"}}
>>> t = sql_to_ibis("SELECT name FROM users WHERE age >= 18", schema)
>>> print(t.code, end="")
result = users.filter(_.age >= 18).select("name")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ibert_inference.errors import EvaluationError, IbertError, UnsupportedSQLError
from ibert_inference.schema import Schema, ibis_tables, validate_schema

__all__ = ["Translation", "sql_to_ibis"]


@dataclass(frozen=True)
class Translation:
    """Ibis source assigning ``result``, the expression it evaluates to, and any caveats."""

    code: str
    expr: Any
    warnings: list[str] = field(default_factory=list)


def evaluate(code: str, schema: Schema, tables: Mapping[str, Any]) -> Any:
    """Evaluate generated code into an Ibis expression (the shared safe evaluator when present)."""
    try:
        from ibert_inference.safe_eval import evaluate_ibis
    except ImportError:
        import ibis
        from ibis import _

        namespace: dict[str, Any] = {"ibis": ibis, "_": _, **tables}
        exec(compile(code, "<translation>", "exec"), namespace)
        return namespace["result"]
    return evaluate_ibis(code, schema, tables=tables)


def sql_to_ibis(sql: str, schema: Schema, dialect: str = "duckdb") -> Translation:
    """Translate one SQL query into Ibis code whose free names are the schema's tables.

    Raises SQLParseError (invalid SQL), UnknownNameError (unknown table/column, with the closest
    known name) and UnsupportedSQLError (a construct this translator cannot express; non-queries).
    """
    from ibert_inference.translate.codegen import Program
    from ibert_inference.translate.parse import parse_query
    from ibert_inference.translate.relations import Context, translate_query

    checked = validate_schema(schema)
    tree = parse_query(sql, checked, dialect)
    tables = ibis_tables(checked)
    program = Program()
    program.reserve(set(tables))
    ctx = Context(program, tables, {t.lower(): t for t in tables}, dialect)
    try:
        rel = translate_query(tree, ctx)
    except IbertError:
        raise
    except Exception as exc:  # a relation-level Ibis refusal: still the caller's SQL, not a crash
        raise UnsupportedSQLError(
            f"cannot translate this query ({type(exc).__name__}: {exc})"
        ) from exc
    code = program.render(rel.chain)
    try:
        expr = evaluate(code, checked, tables)
    except EvaluationError as exc:
        raise UnsupportedSQLError(f"generated Ibis code failed to evaluate: {exc}\n{code}") from exc
    except Exception as exc:  # the live build passed, so this is a code-writing bug: say so
        raise UnsupportedSQLError(
            f"generated Ibis code failed to evaluate ({type(exc).__name__}: {exc})\n{code}"
        ) from exc
    return Translation(code=code, expr=expr, warnings=list(ctx.warnings))
