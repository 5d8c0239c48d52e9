"""Task ``to-sql``: Ibis -> SQL through the Ibis compiler, then checked by execution.

The compiler is exact, but "verified" means the verification engine checked the answer itself:
the SQL for the target dialect, read back into DuckDB, must return what the Ibis expression returns
on the generated databases. Without a schema, the tables and columns are read from the code and
their types from how it uses them (``infer_ibis_schema``); the SQL is then compiled and checked
against that inferred schema, and the result says so. Code that builds its own tables and names
none has no databases: ``verified`` is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ibert_inference.compiler import compile_expr, ibis_to_sql, normalize_dialect
from ibert_inference.safe_eval.evaluator import evaluate_ibis
from ibert_inference.sandbox import isolated
from ibert_inference.schema.tables import Schema
from ibert_inference.tasks.result import TaskResult

# statuses that say the answer is wrong; the others (vacuous, SQL sqlglot cannot read back into
# DuckDB) say only that the check could not decide
_WRONG = ("mismatch", "ibis_error", "unsafe", "timeout")


def to_sql(code: str, *, schema: Schema | None = None, dialect: str = "duckdb") -> TaskResult:
    """Compile Ibis source to SQL for ``dialect`` and verify the SQL against the code.

    >>> schema = {"t": {"a": "int64", "b": "string"}}
    >>> result = to_sql("t.select('a')", schema=schema, dialect="postgres")
    >>> print(result.output)
    SELECT
      "t0"."a"
    FROM "t" AS "t0"
    >>> result.verified, result.details["verification"]["databases"]
    (True, 5)
    >>> to_sql("users.filter(_.age > 30)").details["inferred_schema"]
    {'users': {'age': 'int64'}}
    """
    from ibert_inference.verify.pair import Verdict, verification_details, verify_pair

    name = normalize_dialect(dialect)
    details: dict[str, object] = {"dialect": name, "compiler": "ibis"}
    if schema is None:
        from ibert_inference.schema.infer_ibis import infer_ibis_schema, table_names
        from ibert_inference.schema.infer_sql import SchemaInferenceError

        try:
            if table_names(code):  # code that builds its own tables (ibis.table(...)) needs none
                schema = infer_ibis_schema(code)
                details["inferred_schema"] = schema
        except SchemaInferenceError as exc:
            raise SchemaInferenceError(
                f"no schema given and none can be inferred from the code ({exc}): "
                "pass --schema with the tables and columns it reads"
            ) from None
    checked = compile_and_verify(code, schema, name)
    if checked is None:  # the one job ran out of time or memory: each step alone, as before
        checked = CheckedSQL(ibis_to_sql(code, schema, dialect=name), None)
        if schema:
            verdict = verify_pair(checked.sql, code, schema, dialect=_sqlglot_dialect(name))
            checked = CheckedSQL(checked.sql, verdict.to_json())
    sql = checked.sql
    if checked.verdict is None:
        return TaskResult("ibis_to_sql", sql, None, "deterministic", details)
    verdict = Verdict(**checked.verdict)
    details["verification"] = verification_details(verdict, "the SQL agrees with the code")
    verified: bool | None = True
    if not verdict.ok:
        verified = False if verdict.status in _WRONG else None
        details["reason"] = f"not verified ({verdict.status}): {verdict.reason}"
    return TaskResult("ibis_to_sql", sql, verified, "deterministic", details)


@dataclass(frozen=True)
class CheckedSQL:
    """The SQL Ibis compiles the code to, and the verifier's verdict on it (None: no schema)."""

    sql: str
    verdict: dict[str, Any] | None


def _no_answer(exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    return None


@isolated(returns=CheckedSQL, on_failure=_no_answer)
def compile_and_verify(code: str, schema: Schema | None, dialect: str) -> CheckedSQL:
    """Evaluate ``code`` once, compile it for ``dialect`` and verify that SQL against the very
    expression, in one sandbox job: a cold ``ibert to-sql`` paid for two jobs, two evaluations
    and two compilations of the same code."""
    from ibert_inference.verify.pair import verify_expr

    expr = evaluate_ibis(code, schema)
    sql = compile_expr(expr, dialect)
    if not schema:
        return CheckedSQL(sql, None)
    verdict = verify_expr(sql, expr, schema, dialect=_sqlglot_dialect(dialect))
    return CheckedSQL(sql, verdict.to_json())


def _sqlglot_dialect(ibis_name: str) -> str:
    """sqlglot's name for an Ibis compiler's dialect (they differ for a few)."""
    return {"mssql": "tsql", "impala": "hive", "flink": "hive"}.get(ibis_name, ibis_name)
