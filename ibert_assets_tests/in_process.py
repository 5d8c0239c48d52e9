"""The safe evaluator run in the test process, for tests of code the tests wrote themselves.

Package code evaluates only in a sandbox worker (``evaluate_ibis`` refuses anywhere else); tests
of the evaluator's rules, of translations and of mutations call it here, where a failure shows
its own traceback.
"""

from __future__ import annotations

from typing import Any

from ibert_inference.safe_eval.evaluator import evaluate_ibis as _evaluate_ibis
from ibert_inference.safe_eval.evaluator import evaluating_in_process


def evaluate_ibis(code: str, schema: Any = None, **options: Any) -> Any:
    """:func:`ibert_inference.safe_eval.evaluator.evaluate_ibis`, allowed in this process."""
    with evaluating_in_process():
        return _evaluate_ibis(code, schema, **options)
