"""Untrusted work that callers need as plain answers, each run whole in a sandbox worker.

>>> evaluates("t.filter(_.a > 1)", {"t": {"a": "int64"}}) is None
True
>>> compile_dialects("t.select('a')", {"t": {"a": "int64"}}, ["postgres"])["postgres"]["sql"][:6]
'SELECT'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ibert_inference.errors import IbertError
from ibert_inference.sandbox import isolated
from ibert_inference.schema import Schema


@isolated()
def evaluates(code: str, schema: Schema | None = None) -> None:
    """None when ``code`` evaluates to an expression; else the evaluator's error is raised."""
    from ibert_inference.safe_eval import evaluate_ibis

    evaluate_ibis(code, schema)


@isolated()
def compile_dialects(
    code: str, schema: Schema | None, dialects: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """``code`` evaluated once and compiled for each dialect: ``{"sql": ...}`` or the error.

    An error is ``{"error": message, "error_type": class name}``; unsafe code raises instead.
    """
    from ibert_inference.safe_eval import evaluate_ibis
    from ibert_inference.to_sql import compile_expr

    expr = evaluate_ibis(code, schema)
    compiled: dict[str, dict[str, Any]] = {}
    for dialect in dialects:
        try:
            compiled[dialect] = {"sql": compile_expr(expr, dialect)}
        except IbertError as exc:
            compiled[dialect] = {"error": str(exc), "error_type": type(exc).__name__}
    return compiled
