"""What a builder kept, what it rejected and why: one type for every dataset builder.

As datatrove's counters do, each step counts what it kept and dropped by reason; the counters
become the asset's Dagster metadata, and the I/O manager stores ``records`` and ``rejects``.

Rejects are not records: a reject is a candidate that failed (what was tried, its status and
reason), its shape differs by builder (a pair, a snippet of a file, a doc block) and nothing
downstream reads it as data, so it stays a plain JSON object for a person to read.

>>> from ibert_inference.dataset.record import make_id
>>> record = Record(id=make_id("qa", {"question": "q"}, {"answer": "a"}), task="qa",
...                 input={"question": "q"}, target={"answer": "a"}, meta={"source": "docs"})
>>> outcome = Outcome()
>>> outcome.keep(record, "kept")
True
>>> outcome.keep(record, "kept")  # the same example twice is kept once
False
>>> outcome.reject({"sql": "SELECT 1"}, "vacuous", "empty on every database")
>>> dict(outcome.counts)
{'kept': 1, 'duplicates': 1, 'rejected_vacuous': 1}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ibert_inference.dataset.record import Record

Reject = dict[str, Any]
"""A failed candidate as stored in ``<partition>.rejects.jsonl``: ``status``, ``reason``, and
what was tried."""


def record_id(record: Record) -> str:
    return record.id


@dataclass
class Outcome:
    """Records kept, rejects with their reasons, counters by reason, files skipped, time taken.

    ``key`` says when two records are the same example (their id, unless a builder knows a
    better key); a record whose key was kept already is counted under ``duplicates``.
    """

    records: list[Record] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    key: Callable[[Record], str] = field(default=record_id, repr=False, compare=False)
    seen: set[str] = field(default_factory=set, repr=False, compare=False)

    def keep(self, record: Record, counter: str | None = None) -> bool:
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
