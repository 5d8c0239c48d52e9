"""error_resolution on the Dagster side: mutants that fail with a real error, fixed by the
verified original; scored by the share of fixes that verify."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ibert_assets.outcome import Outcome
from ibert_assets.tasks.common import Upstream, derived
from ibert_assets.tasks.mutations import OPERATORS as MUTATION_OPERATORS
from ibert_assets.tasks.scoring import Row, TaskScores, mean, safe, scoring_paths
from ibert_assets.tasks.task_templates import SHIPPED, TaskTemplates
from ibert_inference.dataset.record import (
    ErrorResolutionInput,
    ErrorResolutionTarget,
    Record,
)

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel


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
    pairs = [*upstream.written_pairs, *upstream.augmented_pairs, *upstream.mined_pairs]
    return error_records(pairs, templates=upstream.templates)


MODEL_METRICS: dict[str, Callable[[Row], float]] = {
    "verified_fix_rate": lambda r: float(bool(r["model"])),
}


def _fix_verified(fixed: str, target: str, schema: dict[str, dict[str, str]]) -> bool:
    from ibert_inference import ibis_to_sql, verify_pair

    reference, _ = safe(lambda: ibis_to_sql(target, schema))
    return bool(reference) and verify_pair(reference, fixed, schema).ok


def evaluate_error_resolution(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    from ibert_inference.tasks.error_resolution import fix_code

    scores = TaskScores("error_resolution")
    for record in records:
        code, schema = record.input_as(ErrorResolutionInput).code, record.table_schemas
        target = record.target_as(ErrorResolutionTarget).code
        row: dict[str, Any] = {"id": record.id}
        for path, used in scoring_paths(model):
            result, error = safe(lambda: fix_code(code, schema=schema, model=used))  # noqa: B023
            ok = bool(result and result.ok) and _fix_verified(result.output, target, schema)
            row[path], row[f"{path}_source"] = ok, getattr(result, "source", error)
        row.setdefault("model", None)
        scores.rows.append(row)
    scores.summary = {
        "verified_fix_rate_deterministic": mean([r["deterministic"] for r in scores.rows]),
        "verified_fix_rate_model": mean([bool(r["model"]) for r in scores.rows]),
    }
    return scores
