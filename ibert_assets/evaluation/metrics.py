"""Scoring the six tasks on test examples: the model path beside the deterministic path.

Each task's evaluator lives with the task (``ibert_assets/tasks/<task>.py``, what they share in
``ibert_assets/tasks/scoring.py``); this module samples a task's test records and runs it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ibert_assets.tasks import parts
from ibert_assets.tasks.scoring import TaskScores
from ibert_inference.dataset.record import Record

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel


def sample(records: Sequence[Record], task: str, size: int) -> list[Record]:
    """A deterministic sample of the task's test records that the task's scoring can run.

    Ibis->SQL answers are scored by executing them on DuckDB, so that task samples its DuckDB
    records (the other dialects' targets are the same compiler's output).
    """
    scorable = parts(task).scorable
    mine = sorted((r for r in records if r.task == task and scorable(r)), key=lambda r: r.id)
    return random.Random(0).sample(mine, min(size, len(mine)))


def evaluate_task(
    task: str,
    records: Sequence[Record],
    model: LanguageModel | None,
    *,
    sample_size: int = 50,
    store: StoreLayout | None = None,
) -> TaskScores:
    """The task's evaluator on a sample of ``records``; ``store``: the dataset store the tasks
    read (``qa``'s mined documentation)."""
    scores = parts(task).evaluate(sample(records, task, sample_size), model, store)
    scores.summary["examples"] = len(scores.rows)
    return scores
