"""Asset checks that fail when the data regresses on what a model needs from it.

* ``one_target_per_input``: no input of a strict task (``sql_to_ibis``) has two targets; the
  other tasks' ambiguous inputs are counted in the metadata.
* ``schemas_match_roles``: no table schema gives a column a type its name contradicts
  (``quantity: date``, ``price: boolean``, ``customer_id: boolean``).

Both read the stored partition back, like every dataset check (ibert_assets/checks.py).
"""

from collections.abc import Iterable, Sequence

from ibert_assets.checks import CheckOutcome, Judgement
from ibert_assets.quality import inputs_with_several_targets, role_contradictions
from ibert_inference.dataset.record import Record

STRICT_TASKS = ("sql_to_ibis",)
SHOWN = 5


def one_target_check(
    records: Iterable[Record], strict_tasks: Sequence[str] = STRICT_TASKS
) -> CheckOutcome:
    """Fails when an input of a strict task has more than one target."""
    records = list(records)
    ambiguous = inputs_with_several_targets(records)
    strict = {key: found for key, found in ambiguous.items() if _task_of(key) in strict_tasks}
    return CheckOutcome(
        passed=not strict,
        description=(
            f"{len(strict)} inputs of {', '.join(strict_tasks)} with more than one target; "
            f"{len(ambiguous) - len(strict)} ambiguous inputs of other tasks"
        ),
        metadata={
            "strict_ambiguous_inputs": len(strict),
            "other_ambiguous_inputs": len(ambiguous) - len(strict),
            "examples": [key[:300] for key in list(strict)[:SHOWN]],
        },
    )


def role_check(records: Iterable[Record]) -> CheckOutcome:
    """Fails when a record's schema types a column against its name's role."""
    found: dict[str, str] = {}
    for record in records:
        for contradiction in role_contradictions(record.table_schemas):
            found.setdefault(contradiction, record.id)
    return CheckOutcome(
        passed=not found,
        description=f"{len(found)} columns typed against their name's role",
        metadata={"contradictions": [f"{c} in {i}" for c, i in list(found.items())[:SHOWN]]},
    )


def _task_of(input_key: str) -> str:
    import json

    return str(json.loads(input_key)[0])


QUALITY_JUDGEMENTS = (
    Judgement(
        "one_target_per_input",
        one_target_check,
        "No sql_to_ibis input has two targets (other tasks: counted).",
    ),
    Judgement(
        "schemas_match_roles",
        role_check,
        "No column is typed against the role its name announces.",
    ),
)
"""The two quality checks, to judge in the step of an asset's dataset checks
(``dataset_checks(..., also=QUALITY_JUDGEMENTS)``)."""
