"""Task ``to-sql``: Ibis -> SQL through the Ibis compiler; exact, so always verified."""

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
    """
    sql = ibis_to_sql(code, schema, dialect=dialect)
    return TaskResult(
        task="ibis_to_sql",
        output=sql,
        verified=True,
        source="deterministic",
        details={"dialect": normalize_dialect(dialect), "compiler": "ibis"},
    )
