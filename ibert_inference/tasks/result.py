"""What every task returns: the answer, whether it was verified, and how it was obtained."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Source = Literal["deterministic", "model", "retrieval", "none"]


@dataclass(frozen=True)
class TaskResult:
    """One task's answer.

    ``verified`` is True when the output passed the task's check (it evaluates, it matches the SQL
    on generated databases, it documents every parameter), False when it did not, and None when the
    task has no check for it. ``details`` carries task-specific facts: attempts, citations, changes.
    """

    task: str
    output: str
    verified: bool | None
    source: Source
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.output) and self.verified is not False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
