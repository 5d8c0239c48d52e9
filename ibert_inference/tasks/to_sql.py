"""Task ``to-sql``: Ibis -> SQL through the Ibis compiler; exact, so always verified.

Without a schema, the tables and columns are read from the code and their types from how it uses
them (``infer_ibis_schema``); the SQL is then compiled against that inferred schema, and the
result says so.
"""

from __future__ import annotations

from ibert_inference.schema import Schema
from ibert_inference.tasks.result import TaskResult
from ibert_inference.to_sql import ibis_to_sql, normalize_dialect


def to_sql(code: str, *, schema: Schema | None = None, dialect: str = "duckdb") -> TaskResult:
    """Compile Ibis source to SQL for ``dialect``; verified because the Ibis compiler wrote it.

    >>> schema = {"t": {"a": "int64", "b": "string"}}
    >>> print(to_sql("t.select('a')", schema=schema, dialect="postgres").output)
    SELECT
      "t0"."a"
    FROM "t" AS "t0"
    >>> to_sql("users.filter(_.age > 30)").details["inferred_schema"]
    {'users': {'age': 'int64'}}
    """
    details: dict[str, object] = {"dialect": normalize_dialect(dialect), "compiler": "ibis"}
    if schema is None:
        from ibert_inference.infer_ibis_schema import infer_ibis_schema, table_names
        from ibert_inference.infer_schema import SchemaInferenceError

        try:
            if table_names(code):  # code that builds its own tables (ibis.table(...)) needs none
                schema = infer_ibis_schema(code)
                details["inferred_schema"] = schema
        except SchemaInferenceError as exc:
            raise SchemaInferenceError(
                f"no schema given and none can be inferred from the code ({exc}): "
                "pass --schema with the tables and columns it reads"
            ) from None
    sql = ibis_to_sql(code, schema, dialect=dialect)
    return TaskResult(
        task="ibis_to_sql", output=sql, verified=True, source="deterministic", details=details
    )
