"""What the tasks' evaluators share: a task's scores, the paths an example is scored on, word
overlap, and execution accuracy of the deterministic path beside the model's.

Every score is computed by running things, never by comparing text where running is possible:
execution accuracy through the verification engine, fixes that must evaluate and match the
verified code, completions that must evaluate. Each example's outcome is kept for inspection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ibert_inference.dataset.record import Record, TaskInput

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel

_WORD = re.compile(r"[a-z0-9_]+")

Row = dict[str, Any]
"""What an evaluator scored on one example."""


@dataclass
class TaskScores:
    task: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)


def token_f1(prediction: str, reference: str) -> float:
    """Word-overlap F1 between two texts (SQuAD style)."""
    predicted, expected = _WORD.findall(prediction.lower()), _WORD.findall(reference.lower())
    if not predicted or not expected:
        return 0.0
    common = sum(min(predicted.count(w), expected.count(w)) for w in set(predicted))
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def safe(function: Callable[[], Any]) -> tuple[Any, str | None]:
    from ibert_inference.errors import IbertError

    try:
        return function(), None
    except IbertError as exc:
        return None, str(exc)[:200]


def model_demonstrations(
    model: LanguageModel | None, task: str, given: TaskInput
) -> list[tuple[str, str]]:
    return model.demonstrations(task, given.to_dict()) if model is not None else []


Execution = tuple[bool, bool | None, str | None]
"""One record's execution result: the deterministic path's, the model's (None without a model),
the deterministic path's error."""


def execution_accuracy(
    task: str,
    records: list[Record],
    replies: list[str],
    judge: Callable[[Record, str | None], Execution],
) -> TaskScores:
    """A row per record as ``judge`` finds it given the model's reply (``replies`` is empty
    without a model), and the share of each path that executed right."""
    scores = TaskScores(task)
    for index, record in enumerate(records):
        deterministic, model_ok, error = judge(record, replies[index] if replies else None)
        scores.rows.append({"id": record.id, "deterministic": deterministic,
                            "model": model_ok, "error": error})  # fmt: skip
    scores.summary = {
        "execution_accuracy_deterministic": mean([r["deterministic"] for r in scores.rows]),
        "execution_accuracy_model": mean([bool(r["model"]) for r in scores.rows]),
    }
    return scores


def scoring_paths(model: LanguageModel | None) -> list[tuple[str, LanguageModel | None]]:
    """The paths an example is scored on: the deterministic one (no model), then the model's
    when there is one (without one, its column is None)."""
    return [("deterministic", None), *([("model", model)] if model is not None else [])]


class Evaluator(Protocol):
    """Scores one task's records: the deterministic path, and ``model``'s when there is one."""

    def __call__(
        self,
        records: list[Record],
        model: LanguageModel | None,
        store: StoreLayout | None = None,
    ) -> TaskScores: ...
