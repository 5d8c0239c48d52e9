"""Task ``to-sql``: Ibis -> SQL through the Ibis compiler, then checked by execution.

The compiler is exact, but "verified" means the verification engine checked the answer itself:
the SQL for the target dialect, read back into DuckDB, must return what the Ibis expression returns
on the generated databases. Without a schema, the tables and columns are read from the code and
their types from how it uses them (``infer_ibis_schema``); the SQL is then compiled and checked
against that inferred schema, and the result says so. Code that builds its own tables and names
none has no databases: ``verified`` is None.
"""

from __future__ import annotations

from ibert_inference.compiler import ibis_to_sql, normalize_dialect
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
    from ibert_inference.verify.pair import verification_details, verify_pair

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
    sql = ibis_to_sql(code, schema, dialect=name)
    if not schema:
        return TaskResult("ibis_to_sql", sql, None, "deterministic", details)
    verdict = verify_pair(sql, code, schema, dialect=_sqlglot_dialect(name))
    details["verification"] = verification_details(verdict, "the SQL agrees with the code")
    verified: bool | None = True
    if not verdict.ok:
        verified = False if verdict.status in _WRONG else None
        details["reason"] = f"not verified ({verdict.status}): {verdict.reason}"
    return TaskResult("ibis_to_sql", sql, verified, "deterministic", details)


def _sqlglot_dialect(ibis_name: str) -> str:
    """sqlglot's name for an Ibis compiler's dialect (they differ for a few)."""
    return {"mssql": "tsql", "impala": "hive", "flink": "hive"}.get(ibis_name, ibis_name)
