"""The six tasks, one :class:`TaskSpec` each: every place that differs by task reads it here.

A spec names the task as a record does (``sql_to_ibis``), as the ``ibert`` command does
(``from-sql``) and as its seed command does (``sql-to-ibert``); it holds the prompt a record of
the task becomes (:func:`ibert_inference.model.prompts.record_conversation`), the function that
serves the task, and the figures its evaluation reports.

>>> spec("sql_to_ibis").verb, by_verb("from-sql").name, by_alias("sql-to-ibert").verb
('from-sql', 'sql_to_ibis', 'from-sql')
>>> [s.verb for s in SPECS]
['complete', 'to-sql', 'from-sql', 'fix', 'qa', 'doc']
>>> spec("translate")
Traceback (most recent call last):
...
ibert_inference.errors.IbertError: unknown task 'translate': expected one of code_completion, \
ibis_to_sql, sql_to_ibis, error_resolution, qa, documentation
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ibert_inference.errors import IbertError

if TYPE_CHECKING:  # the command line reads the registry without loading the record's models
    from ibert_inference.dataset.record import Task


Language = Literal["sql", "python", "text"]


@dataclass(frozen=True)
class TaskSpec:
    """One task: its names, what serves it, and what its evaluation reports."""

    name: Task
    """The record's ``task`` and the ``multitask_examples`` partition."""
    verb: str
    """The ``ibert`` subcommand."""
    alias: str
    """The seed command that runs ``ibert <verb>`` (an entry point of the distribution)."""
    summary: str
    """What the command does, as its help says."""
    served_by: str
    """``module:function`` of the function that serves the task (imported on use, so that a
    command imports only what its task needs)."""
    metrics: tuple[str, ...]
    """The figures the task's evaluation reports per model variant."""
    reads: Language = "python"
    """The language of the task's input (what a schema inferred from it was read from)."""
    writes: Language = "python"
    """The language of its output (how a comment in the output is written)."""

    def served(self) -> Callable[..., Any]:
        """The function that serves the task."""
        module, _, function = self.served_by.partition(":")
        return getattr(importlib.import_module(module), function)


SPECS: tuple[TaskSpec, ...] = (
    TaskSpec(
        "code_completion",
        "complete",
        "ibert-complete",
        "complete a partial Ibis expression",
        "ibert_inference.tasks.code_completion:complete_code",
        ("validity", "exact_match"),
    ),
    TaskSpec(
        "ibis_to_sql",
        "to-sql",
        "ibert-to-sql",
        "compile Ibis code to SQL (exact, no model)",
        "ibert_inference.tasks.ibis_to_sql:to_sql",
        ("execution_accuracy",),
        writes="sql",
    ),
    TaskSpec(
        "sql_to_ibis",
        "from-sql",
        "sql-to-ibert",
        "translate SQL to Ibis code, verified",
        "ibert_inference.tasks.sql_to_ibis:from_sql",
        ("execution_accuracy",),
        reads="sql",
    ),
    TaskSpec(
        "error_resolution",
        "fix",
        "ibert-fix",
        "repair Ibis code that fails, verified",
        "ibert_inference.tasks.error_resolution:fix_code",
        ("verified_fix_rate",),
    ),
    TaskSpec(
        "qa",
        "qa",
        "ibert-qa",
        "answer a question about Ibis, with citations",
        "ibert_inference.tasks.qa:answer_question",
        ("answer_overlap", "citation_rate"),
        reads="text",
        writes="text",
    ),
    TaskSpec(
        "documentation",
        "doc",
        "ibert-doc",
        "write docstrings for the functions of a Python file",
        "ibert_inference.tasks.documentation:document_function",
        ("parameter_coverage", "model_docstring_share"),
    ),
)
_BY_NAME = {s.name: s for s in SPECS}
_BY_VERB = {s.verb: s for s in SPECS}
_BY_ALIAS = {s.alias: s for s in SPECS}
VERBS: tuple[str, ...] = tuple(_BY_VERB)
ALIASES: tuple[str, ...] = tuple(_BY_ALIAS)


def spec(task: str) -> TaskSpec:
    """The spec of ``task`` (a record's task name)."""
    try:
        return _BY_NAME[task]  # type: ignore[index]
    except KeyError:
        raise IbertError(f"unknown task {task!r}: expected one of {', '.join(_BY_NAME)}") from None


def by_verb(verb: str) -> TaskSpec:
    """The spec of the ``ibert`` subcommand ``verb``."""
    try:
        return _BY_VERB[verb]
    except KeyError:
        raise IbertError(f"unknown command {verb!r}: expected one of {', '.join(VERBS)}") from None


def by_alias(alias: str) -> TaskSpec:
    """The spec of the seed command ``alias`` (``sql-to-ibert``, ``ibert-fix``, ...)."""
    try:
        return _BY_ALIAS[alias]
    except KeyError:
        raise IbertError(
            f"unknown command {alias!r}: expected one of {', '.join(ALIASES)}"
        ) from None
