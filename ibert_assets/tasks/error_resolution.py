"""error_resolution records: mutants that fail with a real error, fixed by the verified original."""

from __future__ import annotations

from collections.abc import Iterable

from ibert_assets.outcome import Outcome
from ibert_assets.tasks.common import Upstream, derived
from ibert_assets.tasks.mutations import OPERATORS as MUTATION_OPERATORS
from ibert_assets.tasks.task_templates import SHIPPED, TaskTemplates
from ibert_inference.dataset.record import (
    ErrorResolutionInput,
    ErrorResolutionTarget,
    Record,
)


def error_records(
    pairs: Iterable[Record], *, per_pair: int = 1, templates: TaskTemplates = SHIPPED
) -> Outcome:
    """Mutants that fail with a real error; the fix is the verified original.

    Each pair gives at most ``per_pair`` mutants (``per_pair`` in the task template overrides
    it). The operators are tried from a different one for each pair, so that every kind of
    mistake is represented and no pair yields five near-copies of one example.
    """
    from ibert_inference.errors import EvaluationError, IbertError
    from ibert_inference.safe_eval import evaluates

    template = templates["error_resolution"]
    wanted = set(template.get("operators", []))
    operators = [op for op in MUTATION_OPERATORS if not wanted or op.__name__ in wanted]
    limit = int(template.get("per_pair", per_pair))
    build = Outcome()
    for index, pair in enumerate(pairs):
        code = pair.ibis_code
        if not code or not operators:
            continue
        schema = pair.table_schemas
        kept = 0
        start = index % len(operators)
        for operator in operators[start:] + operators[:start]:
            if kept == limit:
                break
            mutant = operator(code, schema)
            if mutant is None:
                build.counts[f"not_applicable_{operator.__name__}"] += 1
                continue
            try:
                evaluates(mutant.code, schema)
            except EvaluationError as exc:
                error = error_message(exc)
            except IbertError:
                build.counts[f"unsafe_{operator.__name__}"] += 1
                continue
            else:
                build.counts[f"still_evaluates_{operator.__name__}"] += 1
                continue
            kept += 1
            build.keep(
                derived(
                    pair,
                    "error_resolution",
                    ErrorResolutionInput(code=mutant.code, error=error),
                    ErrorResolutionTarget(code=code, change=mutant.description),
                    meta={"mutation": mutant.operator},
                ),
                f"kept_{mutant.operator}",
            )
    return build


def error_message(exc: Exception) -> str:
    """The error as Python prints its last line (``AttributeError: ...``), its type named once."""
    message, error_type = str(exc), getattr(exc, "error_type", "")
    if not error_type or message.startswith(f"{error_type}:"):
        return message
    return f"{error_type}: {message}"


def build(upstream: Upstream) -> Outcome:
    pairs = [*upstream.template_pairs, *upstream.augmented_pairs, *upstream.mined_pairs]
    return error_records(pairs, templates=upstream.templates)
