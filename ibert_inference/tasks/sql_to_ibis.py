"""Task ``from-sql``: the deterministic translator first; the model only where it cannot or
where its translation is wrong. Every answer, the translator's too, is verified against the SQL by
execution before it says ``verified``; ``details["verification"]`` says on what.

Without a schema, the tables and columns are read from the query and their types from how the
query uses them (``infer_schema``); the answer is then verified against that inferred schema, and
the result says the schema was inferred.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ibert_inference.errors import SQLParseError, UnknownNameError, UnsupportedSQLError
from ibert_inference.model.prompts import extract_code, from_sql_prompt
from ibert_inference.schema.tables import Schema
from ibert_inference.tasks.result import TaskResult

if TYPE_CHECKING:
    from ibert_inference.model.language_model import LanguageModel
    from ibert_inference.schema.infer_sql import InferredSchema


def from_sql(
    sql: str,
    *,
    schema: Schema | None = None,
    dialect: str = "duckdb",
    model: LanguageModel | None = None,
    retries: int = 3,
) -> TaskResult:
    """Ibis code for ``sql``; ``schema`` None infers one from the query (see the module doc)."""
    if schema is not None:
        return _translate(sql, schema, dialect, model, retries)
    inferred = inferred_schema_from_sql(sql, dialect)
    result = _translate(sql, inferred.tables, dialect, model, retries)
    details = {**result.details, "inferred_schema": inferred.tables}
    if inferred.notes:
        details["inferred_schema_notes"] = list(inferred.notes)
    return TaskResult(result.task, result.output, result.verified, result.source, details)


def schema_from_sql(sql: str, dialect: str = "duckdb") -> Schema:
    """The schema the query implies; an error that asks for ``--schema`` when it says too little."""
    return inferred_schema_from_sql(sql, dialect).tables


def inferred_schema_from_sql(sql: str, dialect: str = "duckdb") -> InferredSchema:
    """:func:`schema_from_sql` with the assumptions made (an ambiguous column's table)."""
    from ibert_inference.schema.infer_sql import SchemaInferenceError, infer_schema_with_notes
    from ibert_inference.translate.parse import parse_statement

    statement = parse_statement(sql, dialect)  # a syntax error is reported as such
    try:
        return infer_schema_with_notes(statement, dialect=dialect)
    except SchemaInferenceError as exc:
        raise SchemaInferenceError(
            f"no schema given and none can be inferred from the query ({exc}): "
            "pass --schema with the tables and columns it reads"
        ) from None


def _translate(
    sql: str, schema: Schema, dialect: str, model: LanguageModel | None, retries: int
) -> TaskResult:
    from ibert_inference.translate import sql_to_ibis
    from ibert_inference.verify.pair import verification_details, verify_pair

    try:
        translation = sql_to_ibis(sql, schema, dialect=dialect)
    except (SQLParseError, UnknownNameError):
        raise  # the input is wrong; a model would only guess
    except UnsupportedSQLError as exc:
        reason = str(exc)
        unverified = TaskResult(
            "sql_to_ibis", "", False, "none", {"unsupported": reason, "reason": reason}
        )
    else:
        verdict = verify_pair(sql, translation.code, schema, dialect=dialect)
        details = {
            "warnings": list(getattr(translation, "warnings", [])),
            "verification": verification_details(verdict, "agrees with the SQL"),
        }
        if verdict.ok:
            return TaskResult("sql_to_ibis", translation.code, True, "deterministic", details)
        reason = f"the translation does not verify ({verdict.status}): {verdict.reason}"
        unverified = TaskResult(
            "sql_to_ibis", translation.code, False, "deterministic", {**details, "reason": reason}
        )
    if model is None:
        return unverified
    attempts: list[dict[str, Any]] = []
    feedback = None
    demonstrations = model.demonstrations("sql_to_ibis", {"sql": sql})
    for _ in range(max(1, retries)):
        (reply,) = model.generate([from_sql_prompt(sql, schema, feedback, demonstrations)])
        code = extract_code(reply)
        verdict = verify_pair(sql, code, schema, dialect=dialect)
        attempts.append({"code": code, "status": verdict.status, "reason": verdict.reason})
        if verdict.ok:
            return TaskResult(
                "sql_to_ibis",
                code,
                True,
                "model",
                {
                    "attempts": attempts,
                    "unsupported": reason,
                    "verification": verification_details(verdict, "agrees with the SQL"),
                },
            )
        feedback = f"{verdict.status}: {verdict.reason}"
    return TaskResult(
        "sql_to_ibis",
        attempts[-1]["code"],
        False,
        "model",
        {
            "attempts": attempts,
            "unsupported": reason,
            "reason": f"no answer verifies; the last ({attempts[-1]['status']}): "
            f"{attempts[-1]['reason']}",
        },
    )
