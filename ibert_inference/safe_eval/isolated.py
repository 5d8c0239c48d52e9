"""The evaluator's isolated entry point: foreign code evaluated whole in a sandbox worker.

>>> evaluates("t.filter(_.a > 1)", {"t": {"a": "int64"}}) is None
True
"""

from __future__ import annotations

from ibert_inference.safe_eval.evaluator import evaluate_ibis
from ibert_inference.sandbox import isolated
from ibert_inference.schema import Schema


@isolated()
def evaluates(code: str, schema: Schema | None = None) -> None:
    """None when ``code`` evaluates to an expression; else the evaluator's error is raised."""
    evaluate_ibis(code, schema)
