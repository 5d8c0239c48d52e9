"""Each task's records, derived from the verified upstream records: one module per task,
named after it, registered here by task (the inference package's registry names the rest).

Every builder is a plain function: pairs in, records and counted drops out. A record is kept only
when its own check passes: compiled SQL for ibis_to_sql, a prefix+completion that evaluates for
code_completion, a mutant that fails with a real error while its fix verified for
error_resolution, a docstring that documents every parameter for documentation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
from ibert_assets.tasks.task_templates import SHIPPED, TaskTemplates
from ibert_inference.dataset.record import TASKS, Record, Task

BUILDERS: dict[Task, Callable[[Upstream], Outcome]] = {
    "sql_to_ibis": sql_to_ibis.build,
    "ibis_to_sql": ibis_to_sql.build,
    "code_completion": code_completion.build,
    "error_resolution": error_resolution.build,
    "qa": qa.build,
    "documentation": documentation.build,
}
"""Each task's derivation, by task."""


def build_task(
    task: str,
    *,
    template_pairs: Sequence[Record],
    augmented_pairs: Sequence[Record],
    mined: Sequence[Record],
    docs: Sequence[Record],
    dialects: Sequence[str] = DEFAULT_DIALECTS,
    templates: TaskTemplates = SHIPPED,
) -> Outcome:
    """The records of one task, from every verified upstream record, worded by ``templates``."""
    if task not in BUILDERS:
        raise ValueError(f"unknown task {task!r}: expected one of {', '.join(TASKS)}")
    upstream = Upstream(template_pairs, augmented_pairs, mined, docs, dialects, templates)
    return BUILDERS[task](upstream)
