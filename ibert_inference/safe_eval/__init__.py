"""The safe evaluator: Ibis source text from outside turned into an expression, never run as is.

:mod:`.evaluator` parses and checks the code and evaluates it in a namespace where only values
:mod:`.allowed_values` admits may flow; :mod:`.guards` are the bounded stand-ins the rewritten
code calls; :mod:`.isolated` runs an evaluation whole in a sandbox worker, the only place it runs.
"""

from ibert_inference.safe_eval.evaluator import evaluate_ibis, evaluating_in_process
from ibert_inference.safe_eval.isolated import evaluates, output_schema

__all__ = ["evaluate_ibis", "evaluates", "evaluating_in_process", "output_schema"]
