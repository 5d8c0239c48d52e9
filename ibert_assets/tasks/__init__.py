"""Each task's parts on the Dagster side: one module per task, named after it, that derives the
task's records from the verified upstream records and scores a model on its test records,
registered here by task (the inference package's registry, ``ibert_inference.tasks.registry``,
names the rest).

Every builder is a plain function: pairs in, records and counted drops out. A record is kept only
when its own check passes: compiled SQL for ibis_to_sql, a prefix+completion that evaluates for
code_completion, a mutant that fails with a real error while its fix verified for
error_resolution, a docstring that documents every parameter for documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ibert_assets.outcome import Outcome
from ibert_assets.tasks import (
    code_completion,
    documentation,
    error_resolution,
    ibis_to_sql,
    qa,
    sql_to_ibis,
)
from ibert_assets.tasks.common import DEFAULT_DIALECTS, Upstream
from ibert_assets.tasks.scoring import Evaluator, Row
from ibert_assets.tasks.task_templates import SHIPPED, TaskTemplates
from ibert_inference.dataset.record import TASKS, Record, Task


def _every_record(record: Record) -> bool:
    return True


@dataclass(frozen=True)
class TaskParts:
    """What the Dagster side does per task: derive its records from the verified upstream
    records, and score a model on its test records."""

    build: Callable[[Upstream], Outcome]
    evaluate: Evaluator
    model_metrics: dict[str, Callable[[Row], float]]
    """What the model path scored on one example, from the evaluator's row (the names are the
    task registry's ``metrics``)."""
    scorable: Callable[[Record], bool] = _every_record
    """Whether the evaluator can score a test record."""


PARTS: dict[Task, TaskParts] = {
    "sql_to_ibis": TaskParts(
        sql_to_ibis.build, sql_to_ibis.evaluate_sql_to_ibis, sql_to_ibis.MODEL_METRICS
    ),
    "ibis_to_sql": TaskParts(
        ibis_to_sql.build,
        ibis_to_sql.evaluate_ibis_to_sql,
        ibis_to_sql.MODEL_METRICS,
        ibis_to_sql.scorable,
    ),
    "code_completion": TaskParts(
        code_completion.build,
        code_completion.evaluate_code_completion,
        code_completion.MODEL_METRICS,
    ),
    "error_resolution": TaskParts(
        error_resolution.build,
        error_resolution.evaluate_error_resolution,
        error_resolution.MODEL_METRICS,
    ),
    "qa": TaskParts(qa.build, qa.evaluate_qa, qa.MODEL_METRICS),
    "documentation": TaskParts(
        documentation.build,
        documentation.evaluate_documentation,
        documentation.MODEL_METRICS,
    ),
}
"""Each task's parts, by task."""


def parts(task: str) -> TaskParts:
    """The parts of ``task``; an unknown one is a ValueError naming the known ones."""
    if task not in PARTS:
        raise ValueError(f"unknown task {task!r}: expected one of {', '.join(TASKS)}")
    return PARTS[task]


def build_task(
    task: str,
    *,
    template_pairs: Sequence[Record],
    augmented_pairs: Sequence[Record],
    mined: Sequence[Record],
    docs: Sequence[Record],
    synthetic_pairs: Sequence[Record] = (),
    dialects: Sequence[str] = DEFAULT_DIALECTS,
    templates: TaskTemplates = SHIPPED,
) -> Outcome:
    """The records of one task, from every verified upstream record, worded by ``templates``."""
    upstream = Upstream(
        template_pairs, augmented_pairs, mined, docs, dialects, templates, synthetic_pairs
    )
    return parts(task).build(upstream)
