"""The evaluator's isolated entry points: foreign code evaluated whole in a sandbox worker.

These (and the other ``@isolated`` functions: ``ibis_to_sql``, ``verify_pair``, ...) are the
only doors to :func:`~ibert_inference.safe_eval.evaluator.evaluate_ibis`, which refuses to run
anywhere but in a worker.

>>> evaluates("t.filter(_.a > 1)", {"t": {"a": "int64"}}) is None
True
>>> output_schema("t.select('a')", {"t": {"a": "int64", "b": "string"}})
{'a': 'int64'}
"""

from __future__ import annotations

from ibert_inference.errors import EvaluationError
from ibert_inference.safe_eval.evaluator import evaluate_ibis
from ibert_inference.sandbox import isolated
from ibert_inference.schema import Schema


@isolated()
def evaluates(code: str, schema: Schema | None = None) -> None:
    """None when ``code`` evaluates to an expression; else the evaluator's error is raised."""
    evaluate_ibis(code, schema)


@isolated()
def output_schema(code: str, schema: Schema | None = None) -> dict[str, str]:
    """The columns (name -> dtype) of the table ``code`` evaluates to; EvaluationError when it
    evaluates to something else (a column, a scalar)."""
    import ibis.expr.types as ir

    expr = evaluate_ibis(code, schema)
    if not isinstance(expr, ir.Table):
        raise EvaluationError(
            f"the code gives a {type(expr).__name__}, not a table", error_type="NotATable"
        )
    return {name: str(dtype) for name, dtype in expr.schema().items()}
