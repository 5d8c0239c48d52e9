"""Task ``from-sql``: the deterministic translator first; the model only where it cannot, and
then only an answer that verifies against the SQL by execution."""

from __future__ import annotations

from typing import Any

from ibert_inference.demonstrations import demonstrations_for
from ibert_inference.errors import SQLParseError, UnknownNameError, UnsupportedSQLError
from ibert_inference.prompts import extract_code, from_sql_prompt
from ibert_inference.schema import Schema
from ibert_inference.tasks.result import TaskResult


def from_sql(
    sql: str,
    *,
    schema: Schema,
    dialect: str = "duckdb",
    model: Any = None,
    retries: int = 3,
) -> TaskResult:
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
    demonstrations = demonstrations_for(model, "sql_to_ibis", {"sql": sql})
    for _ in range(max(1, retries)):
        (reply,) = model.generate([from_sql_prompt(sql, schema, feedback, demonstrations)])
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
