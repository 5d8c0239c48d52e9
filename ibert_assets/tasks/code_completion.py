"""code_completion on the Dagster side: prefixes of verified code whose completion evaluates
again; scored by validity and exact match of the model's completions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ibert_assets.outcome import Outcome
from ibert_assets.quality import task_input_key
from ibert_assets.tasks.canonical import one_target_per_input
from ibert_assets.tasks.common import Upstream, derived
from ibert_assets.tasks.completion import completion_cuts
from ibert_assets.tasks.scoring import Row, TaskScores, mean, safe
from ibert_assets.tasks.task_templates import SHIPPED, TaskTemplates
from ibert_inference.dataset.record import (
    CodeCompletionInput,
    CodeCompletionTarget,
    Record,
)

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel


def completion_records(
    pairs: Iterable[Record],
    *,
    per_example: int | None = None,
    templates: TaskTemplates = SHIPPED,
) -> Outcome:
    """Prefixes of verified code; prefix + completion must evaluate again to count.

    At most ``per_example`` cuts per pair (default: the task template's
    ``max_cuts_per_example``), spread over the code; with fewer cuts than that, successive
    pairs take turns at the first, middle and last boundary.
    """
    from ibert_inference.errors import IbertError
    from ibert_inference.safe_eval import evaluates

    template = templates["code_completion"]
    limit = per_example or int(template.get("max_cuts_per_example", 3))
    build = Outcome()
    taken: dict[str, str] = {}
    for index, pair in enumerate(pairs):
        code = pair.ibis_code
        if not code:
            continue
        schema = pair.table_schemas
        cuts = completion_cuts(code)
        # spread the kept cuts over the code: first, middle and last boundary
        chosen = [cuts[i] for i in sorted({0, len(cuts) // 2, len(cuts) - 1})] if cuts else []
        turn = index % len(chosen) if chosen else 0
        for cut in (chosen[turn:] + chosen[:turn])[:limit]:
            # a cut that gives back the verified code character for character needs no new run
            if cut.prefix + cut.completion != code:
                try:
                    evaluates(cut.prefix + cut.completion, schema)
                except IbertError:
                    build.counts["reassembly_failed"] += 1
                    continue
            instruction = completion_instruction(template, pair, schema)
            key = task_input_key(
                "code_completion", {"prefix": cut.prefix, "instruction": instruction}
            )
            if taken.setdefault(key, cut.completion) != cut.completion:
                build.counts["dropped_second_target"] += 1  # the intent does not decide it
                continue
            build.keep(
                derived(
                    pair,
                    "code_completion",
                    CodeCompletionInput(prefix=cut.prefix, instruction=instruction),
                    CodeCompletionTarget(completion=cut.completion),
                    meta={"boundary": cut.boundary},
                ),
                f"kept_{cut.boundary}",
            )
    return build


def completion_instruction(
    template: dict[str, Any], pair: Record, schema: dict[str, dict[str, str]]
) -> str:
    """The instruction with the intent (the pair's description) where it has one."""
    tables = ", ".join(schema)
    description = str(pair.meta.description or "").strip().rstrip(".")
    if description and "instruction_with_intent" in template:
        intent = description[0].lower() + description[1:]
        return str(template["instruction_with_intent"]).format(intent=intent, tables=tables)
    return str(template["instruction"]).format(tables=tables)


def build(upstream: Upstream) -> Outcome:
    # three cuts of each original, one of each variant: variants repeat their original's shape
    templates = upstream.templates
    built = completion_records(
        [*upstream.written_pairs, *upstream.mined_pairs], templates=templates
    )
    built.extend(completion_records(upstream.augmented_pairs, per_example=1, templates=templates))
    kept, dropped = one_target_per_input(built.records)
    built.records = kept
    built.counts["dropped_second_target"] += dropped
    return built


MODEL_METRICS: dict[str, Callable[[Row], float]] = {
    "validity": lambda r: float(bool(r["valid"])),
    "exact_match": lambda r: float(bool(r["exact"])),
}


def evaluate_code_completion(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    from ibert_inference.tasks.code_completion import CompletionSteps, complete_code

    # the model's own completions: retrieval would answer from the train split, not the model
    model_only = CompletionSteps(retrieval=False)
    scores = TaskScores("code_completion")
    for record in records:
        given = record.input_as(CodeCompletionInput)
        prefix, instruction = given.prefix, given.instruction
        expected = record.target_as(CodeCompletionTarget).completion
        if model is None:
            scores.rows.append({"id": record.id, "valid": None, "exact": None})
            continue
        result, error = safe(
            lambda: complete_code(
                prefix,  # noqa: B023
                schema=record.table_schemas,  # noqa: B023
                model=model,
                instruction=instruction,  # noqa: B023
                candidates=2,
                steps=model_only,
            )
        )
        valid = bool(result and result.ok and result.checks.get("runs"))
        exact = bool(result) and " ".join(result.output.split()) == " ".join(expected.split())
        scores.rows.append({"id": record.id, "valid": valid, "exact": exact, "error": error})
    scores.summary = {
        "validity_model": mean([bool(r["valid"]) for r in scores.rows]),
        "exact_match_model": mean([bool(r["exact"]) for r in scores.rows]),
    }
    return scores
