"""What a builder kept, what it rejected and why: one type for every dataset builder.

As datatrove's counters do, each step counts what it kept and dropped by reason; the counters
become the asset's Dagster metadata, and the I/O manager stores ``records`` and ``rejects``.

>>> outcome = Outcome()
>>> outcome.keep({"id": "a1"}, "verified")
True
>>> outcome.keep({"id": "a1"}, "verified")  # the same example twice is kept once
False
>>> outcome.reject({"sql": "SELECT 1"}, "vacuous", "empty on every database")
>>> dict(outcome.counts)
{'verified': 1, 'duplicates': 1, 'rejected_vacuous': 1}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def record_id(record: dict[str, Any]) -> str:
    return str(record["id"])


@dataclass
class Outcome:
    """Records kept, rejects with their reasons, counters by reason, files skipped, time taken.

    ``key`` says when two records are the same example (their id, unless a builder knows a
    better key); a record whose key was kept already is counted under ``duplicates``.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    key: Callable[[dict[str, Any]], str] = field(default=record_id, repr=False, compare=False)
    seen: set[str] = field(default_factory=set, repr=False, compare=False)

    def keep(self, record: dict[str, Any], counter: str | None = None) -> bool:
        """Keep ``record`` (counted under ``counter``) unless the same example is kept already."""
        key = self.key(record)
        if key in self.seen:
            self.counts["duplicates"] += 1
            return False
        self.seen.add(key)
        self.records.append(record)
        if counter is not None:
            self.counts[counter] += 1
        return True

    def reject(self, item: dict[str, Any], status: str, reason: str | None) -> None:
        """Store ``item`` among the rejects with its status and reason, counted by status."""
        self.rejects.append({"status": status, "reason": reason, **item})
        self.counts[f"rejected_{status}"] += 1

    def extend(self, other: Outcome) -> None:
        """``other``'s records, rejects and counters added to these; the same example once."""
        for record in other.records:
            self.keep(record)
        self.rejects.extend(other.rejects)
        self.counts.update(other.counts)
        self.skipped.update(other.skipped)
