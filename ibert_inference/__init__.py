"""iBERT inference: six Ibis code tasks, exact where possible, verified where a model writes.

Importing this package is cheap: it pulls in neither torch nor transformers (nor ibis until a
function that needs it runs), and never Dagster. Public names resolve lazily from their modules.
The model is :class:`Model` (``ibert_inference.model.language_model``); the Dagster resource over
it is ``ibert_assets.resources.ModelResource``.
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

from ibert_inference.errors import (
    EvaluationError,
    IbertError,
    ModelNotAvailableError,
    SchemaError,
    SQLParseError,
    UnsafeCodeError,
    UnsupportedSQLError,
)

if TYPE_CHECKING:
    from ibert_inference.compiler import ibis_to_sql
    from ibert_inference.model.language_model import Model
    from ibert_inference.safe_eval.evaluator import evaluate_ibis
    from ibert_inference.translate import Translation, sql_to_ibis
    from ibert_inference.verify.pair import Verdict, verify_pair

_LAZY = {
    "sql_to_ibis": "ibert_inference.translate",
    "Translation": "ibert_inference.translate",
    "ibis_to_sql": "ibert_inference.compiler",
    "evaluate_ibis": "ibert_inference.safe_eval.evaluator",
    "verify_pair": "ibert_inference.verify.pair",
    "Verdict": "ibert_inference.verify.pair",
    "Model": "ibert_inference.model.language_model",
}
# Names that moved, kept working with a DeprecationWarning: old name -> (module, new name).
_MOVED = {
    "ModelResource": (
        "ibert_inference.model.language_model",
        "Model",
        "ibert_inference.ModelResource is now ibert_inference.Model (a plain class); the Dagster "
        "resource is ibert_assets.resources.ModelResource",
    ),
}

__all__ = [
    "EvaluationError",
    "IbertError",
    "Model",
    "ModelNotAvailableError",
    "SQLParseError",
    "SchemaError",
    "Translation",
    "UnsafeCodeError",
    "UnsupportedSQLError",
    "Verdict",
    "evaluate_ibis",
    "ibis_to_sql",
    "sql_to_ibis",
    "verify_pair",
]


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        home, new_name, message = _MOVED[name]
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(home), new_name)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ibert_inference' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
