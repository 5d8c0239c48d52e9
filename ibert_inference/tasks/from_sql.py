"""Task ``from-sql``: the deterministic translator first; the model only where it cannot, and
then only an answer that verifies against the SQL by execution.

Without a schema, the tables and columns are read from the query and their types from how the
query uses them (``infer_schema``); the translation is then verified by execution against that
inferred schema, and the result says the schema was inferred.
"""

from __future__ import annotations

from typing import Any

from ibert_inference.errors import SQLParseError, UnknownNameError, UnsupportedSQLError
from ibert_inference.prompts import extract_code, from_sql_prompt
from ibert_inference.schema import Schema
from ibert_inference.tasks.result import TaskResult


def from_sql(
    sql: str,
    *,
    schema: Schema | None = None,
    dialect: str = "duckdb",
    model: Any = None,
    retries: int = 3,
) -> TaskResult:
    """Ibis code for ``sql``; ``schema`` None infers one from the query (see the module doc)."""
    if schema is not None:
        return _translate(sql, schema, dialect, model, retries)
    inferred = schema_from_sql(sql, dialect)
    result = _translate(sql, inferred, dialect, model, retries)
    details = {**result.details, "inferred_schema": inferred}
    verified = result.verified
    if result.ok and result.source == "deterministic":
        from ibert_inference.verify import verify_pair

        verdict = verify_pair(sql, result.output, inferred, dialect=dialect)
        details["verification"] = {"status": verdict.status, "databases": verdict.databases}
        verified = verdict.ok
        if not verdict.ok:
            details["reason"] = f"not verified on the inferred schema: {verdict.reason}"
    return TaskResult(result.task, result.output, verified, result.source, details)


def schema_from_sql(sql: str, dialect: str = "duckdb") -> Schema:
    """The schema the query implies; an error that asks for ``--schema`` when it says too little."""
    from ibert_inference.infer_schema import SchemaInferenceError, infer_schema
    from ibert_inference.translate.parse import parse_statement

    statement = parse_statement(sql, dialect)  # a syntax error is reported as such
    try:
        return infer_schema(statement, dialect=dialect)
    except SchemaInferenceError as exc:
        raise SchemaInferenceError(
            f"no schema given and none can be inferred from the query ({exc}): "
            "pass --schema with the tables and columns it reads"
        ) from None


def _translate(sql: str, schema: Schema, dialect: str, model: Any, retries: int) -> TaskResult:
    from ibert_inference.translate import sql_to_ibis
    from ibert_inference.verify import verify_pair

    try:
        translation = sql_to_ibis(sql, schema, dialect=dialect)
    except (SQLParseError, UnknownNameError):
        raise  # the input is wrong; a model would only guess
    except UnsupportedSQLError as exc:
        reason = str(exc)
    else:
        return TaskResult(
            "sql_to_ibis",
            translation.code,
            True,
            "deterministic",
            {"warnings": list(getattr(translation, "warnings", []))},
        )
    if model is None:
        return TaskResult("sql_to_ibis", "", False, "none", {"unsupported": reason})
    attempts: list[dict[str, Any]] = []
    feedback = None
    for _ in range(max(1, retries)):
        (reply,) = model.generate([from_sql_prompt(sql, schema, reason, feedback)])
        code = extract_code(reply)
        verdict = verify_pair(sql, code, schema, dialect=dialect)
        attempts.append({"code": code, "status": verdict.status, "reason": verdict.reason})
        if verdict.ok:
            return TaskResult(
                "sql_to_ibis", code, True, "model", {"attempts": attempts, "unsupported": reason}
            )
        feedback = f"{verdict.status}: {verdict.reason}"
    return TaskResult(
        "sql_to_ibis",
        attempts[-1]["code"],
        False,
        "model",
        {"attempts": attempts, "unsupported": reason},
    )
