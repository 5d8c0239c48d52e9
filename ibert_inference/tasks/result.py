"""What every task returns: the answer, what was checked about it, and how it was obtained.

One vocabulary for every task. ``verified`` is the strongest claim and is made only where the
answer was shown equal to a reference by execution: the Ibis code returns what the SQL returns
(``from-sql``, ``to-sql``) on the generated databases. Tasks that have no reference to compare
with (``fix``, ``complete``, ``doc``, ``qa``) leave ``verified`` None and say in ``checks`` what
they did check, by the names of :data:`CHECKS`, each True (passed) or False (failed).

>>> result = TaskResult("fix", "t.filter(_.a > 1)", None, "deterministic",
...                     checks={"evaluates": True, "runs": True, "keeps_meaning": True})
>>> result.ok, describe_checks(result)
(True, 'checked: evaluates, runs on generated databases, keeps the meaning; not verified: \
there is no reference answer to compare it with')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Source = Literal["deterministic", "model", "retrieval", "none"]

CHECKS: dict[str, str] = {
    "parses": "parses",
    "evaluates": "evaluates",
    "runs": "runs on generated databases",
    "keeps_meaning": "keeps the meaning",
    "documents_every_parameter": "documents every parameter and the return value",
    "describes_everything": "describes everything without restating a name",
    "example_evaluated": "its example evaluated",
}
"""Every check a task may report, and how it reads in a sentence.

``evaluates``: the safe evaluator built an Ibis expression from the code and Ibis compiled it.
``runs``: the compiled SQL ran without error on every generated database of the schema.
``keeps_meaning``: a repair changed nothing the error did not call for (sort directions, join
keys, filter conditions). ``documents_every_parameter`` / ``describes_everything``: a docstring
has an entry for every parameter and the return value, and none of its sentences restates a
name or is unknown. ``example_evaluated``: the code example shown (a docstring's, an answer's)
was evaluated by the safe evaluator.
"""


@dataclass(frozen=True)
class TaskResult:
    """One task's answer.

    ``verified``: True when the answer was shown equal to a reference by execution, False when
    it was shown different, None when there is no reference (the task's own ``checks`` say what
    was checked instead). ``details`` carries task-specific facts: attempts, citations, changes.
    """

    task: str
    output: str
    verified: bool | None
    source: Source
    details: dict[str, Any] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.checks) - set(CHECKS)
        if unknown:
            raise ValueError(f"unknown check(s) {sorted(unknown)}: use the names of CHECKS")

    @property
    def ok(self) -> bool:
        """An answer that no check failed."""
        return bool(self.output) and self.verified is not False and all(self.checks.values())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_REFERENCES = {
    "sql_to_ibis": "the Ibis code returns what the SQL returns",
    "ibis_to_sql": "the SQL returns what the Ibis code returns",
}


def describe_checks(result: TaskResult) -> str:
    """One line saying what was checked about ``result``, in the words of :data:`CHECKS`."""
    verification = result.details.get("verification") or {}
    databases = verification.get("databases")
    if result.verified:
        claim = _REFERENCES.get(result.task, "it returns what the reference returns")
        on = f" on {databases} generated databases" if databases else ""
        return f"verified: {claim}{on}"
    passed = [CHECKS[name] for name, ok in result.checks.items() if ok]
    failed = [CHECKS[name] for name, ok in result.checks.items() if not ok]
    parts = []
    if passed:
        parts.append("checked: " + ", ".join(passed))
    if failed:
        parts.append("failed: " + ", ".join(failed))
    if result.verified is None and result.task in _REFERENCES:
        parts.append(f"not verified: {result.details.get('reason') or 'no schema to run it on'}")
    elif result.verified is None:
        if not parts:
            parts.append("nothing was checked")
        parts.append("not verified: there is no reference answer to compare it with")
    if result.details.get("note"):
        parts.append(str(result.details["note"]))
    return "; ".join(parts)
