"""What every task's derivation shares: the inputs it is given, and how a task record is
derived from a verified pair (its context, provenance and split group carried over)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ibert_assets.tasks.task_templates import SHIPPED, TaskTemplates
from ibert_inference.dataset.record import (
    VERIFIED,
    Record,
    Task,
    TaskInput,
    TaskTarget,
    make_id,
)

DEFAULT_DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "trino")


@dataclass(frozen=True)
class Upstream:
    """Every verified upstream record a task derives its records from, and its wording."""

    template_pairs: Sequence[Record]
    augmented_pairs: Sequence[Record]
    mined: Sequence[Record]
    docs: Sequence[Record]
    dialects: Sequence[str] = DEFAULT_DIALECTS
    templates: TaskTemplates = SHIPPED
    synthetic_pairs: Sequence[Record] = ()

    @property
    def written_pairs(self) -> list[Record]:
        """The pairs written whole with a description (template and synthetic ones): every
        task derives from them as it does from a template's."""
        return [*self.template_pairs, *self.synthetic_pairs]

    @property
    def mined_pairs(self) -> list[Record]:
        """The mined records that are verified pairs with Ibis code (either direction)."""
        return [p for p in map(as_pair, self.mined) if p is not None]


def derived(
    pair: Record,
    task: Task,
    input: TaskInput,
    target: TaskTarget,
    *,
    meta: dict[str, Any] | None = None,
    **changes: Any,
) -> Record:
    """A task record derived from ``pair``: its context, provenance and group carried over."""
    meta_changes = {"derived_from": pair.id, "group": pair.group_key(), **(meta or {})}
    return pair.replace(
        id=make_id(task, input, target),
        task=task,
        input=input,
        target=target,
        meta=pair.meta.model_copy(update=meta_changes),
        **changes,
    )


def grouped(record: Record) -> Record:
    """``record`` as it is, its split group written into its meta."""
    return record.with_meta(group=record.group_key())


def as_pair(record: Record) -> Record | None:
    """A verified record with Ibis code (:attr:`Record.ibis_code`), seen as a pair: mined
    ibis_to_sql records included."""
    if record.ibis_code is None or record.status != VERIFIED:
        return None
    return record
