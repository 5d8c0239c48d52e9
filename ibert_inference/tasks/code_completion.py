"""Task ``complete``: the model continues the code; candidates are checked and ranked.

The prompt is the one training uses (:func:`~ibert_inference.model.prompts.completion_prompt`,
with the nearest verified examples as demonstrations and the instruction when there is one). The
prefix opens the model's reply, so it is continued and never rewritten; decoding keeps only
tokens after which the code can still parse, and stops at the end of the statement
(:mod:`ibert_inference.model.constrained_decoding`). Before the model, retrieval: the completions
of the nearest verified training examples (by the prefix's structure and by the instruction's
words), their names mapped onto this schema (:mod:`ibert_inference.model.adapted_completions`),
are candidates checked like the model's. One that runs, uses every name the instruction asks for
and guesses no value answers before the model's weights are even read. Otherwise a greedy model
candidate; when still no candidate is that good, sampled candidates follow while the time budget
lasts. Candidates are ranked: runs on the schema's generated databases, else
evaluates, else parses; then the share of the instruction's table and column names the code uses;
then the share of its literal values the instruction or prefix gives; then what else the
instruction asks for (:mod:`ibert_inference.model.instruction_intent`): the share of its values
the prefix leaves unused that the completion uses, the share of the completion's asked-for
values the prefix has not spent already, its aggregates the instruction's words ask for, the
share of the names it brings in that the instruction mentions; then how many retrieved examples
give the very same completion (neighbours that agree vote); then order. An answer adapted from
an example says so (``source`` "retrieval", ``details["adapted_from"]``). With a schema the
answer must run (``checks``: ``parses``, ``evaluates``, ``runs``; ``details["verification"]``);
without one only parsing is checked. A completion is never ``verified``: there is no reference
to compare it with.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ibert_inference.dataset.record import CodeCompletionInput, CodeCompletionTarget
from ibert_inference.errors import IbertError, ModelNotConfiguredError
from ibert_inference.model.adapted_completions import (
    AdaptedCompletion,
    ExampleCompletion,
    adapted_completions,
)
from ibert_inference.model.instruction_intent import (
    aggregate_agreement,
    covered_share,
    fresh_share,
    instruction_names,
    introduced_names_share,
)
from ibert_inference.model.prompts import completion_prompt, extract_code
from ibert_inference.schema.tables import Schema
from ibert_inference.tasks.result import TaskResult

if TYPE_CHECKING:
    from ibert_inference.model.language_model import Conversation, LanguageModel
    from ibert_inference.model.prompts import Demonstration

TIME_BUDGET_S = 30.0
"""Seconds a request may take by default: enough for a small model on a laptop CPU."""
MAX_COMPLETION_TOKENS = 64
"""New tokens per candidate by default: a completion is the rest of one expression."""
SAMPLING_TEMPERATURE = 0.8
_LITERAL = re.compile(r"""'([^'\n]+)'|"([^"\n]+)"|(?<![\w.])(\d+(?:\.\d+)?)""")
_ALIAS = re.compile(r"(\w+)\s*=(?!=)")


@dataclass(frozen=True)
class CompletionSteps:
    """What helps the model, each step separately switchable (a benchmark measures each):
    verified examples as demonstrations, and decoding that continues the prefix and keeps it
    parseable. Without ``constrained`` the model answers as a chat model does (its reply's code,
    a repeated prefix removed). ``retrieval``: completions of the nearest verified training
    examples, adapted to the request's schema, are candidates too (checked first)."""

    demonstrations: bool = True
    constrained: bool = True
    retrieval: bool = True


@dataclass
class Candidate:
    """One proposed completion and what its checks found."""

    completion: str
    order: int
    parses: bool = False
    evaluates: bool = False
    runs: bool = False
    names: float = 0.0  # share of the instruction's names the code uses
    grounded: float = 1.0  # share of the completion's values the instruction or prefix gives
    covered: float = 1.0  # share of the instruction's values left by the prefix that it uses
    fresh: float = 1.0  # share of its asked-for values the prefix has not used already
    aggregates: int = 0  # aggregates the instruction asks for, less those it does not
    introduced: float = 1.0  # share of the names it brings in that the instruction mentions
    support: int = 1  # retrieved examples that give this very completion
    problem: str = ""
    details: dict[str, Any] | None = None
    adapted_from: dict[str, Any] | None = None  # the verified example it was adapted from

    def rank(self) -> tuple[bool, bool, bool, float, float, float, float, int, float, int, int]:
        return (
            self.runs, self.evaluates, self.parses, self.names, self.grounded, self.covered,
            self.fresh, self.aggregates, self.introduced, self.support, -self.order,
        )  # fmt: skip


def complete_code(
    prefix: str,
    *,
    schema: Schema | None = None,
    model: LanguageModel | None = None,
    instruction: str | None = None,
    candidates: int = 4,
    time_budget_s: float = TIME_BUDGET_S,
    max_new_tokens: int | None = None,
    steps: CompletionSteps = CompletionSteps(),  # frozen: one shared value is safe
) -> TaskResult:
    """Complete partial Ibis code with the best of up to ``candidates`` model continuations.

    Retrieved candidates first: when one runs, uses every name of ``instruction`` (what the code
    should compute) and guesses no value, it answers and the model is not loaded at all. Else
    one greedy candidate; ``candidates - 1`` sampled ones in one batched call unless the greedy
    one is as good, and only while ``time_budget_s`` lasts (counted after the model has loaded;
    ``details["load_s"]`` says how long that took, 0 when it was not needed).
    ``max_new_tokens`` (default :data:`MAX_COMPLETION_TOKENS`) bounds each candidate.
    """
    if model is None:
        from ibert_inference.model.choice import INSTALL_HINT

        raise ModelNotConfiguredError(
            f"completion needs a model and none is configured: {INSTALL_HINT}, "
            "or put model_name in config.yaml"
        )
    if time_budget_s <= 0:
        raise IbertError(f"the time budget must be positive, got {time_budget_s} s")
    retrieving = time.monotonic()
    names = instruction_names(instruction, schema)
    checked: list[Candidate] = []
    if steps.retrieval and schema:
        for adapted in _adapted(model, prefix, schema, instruction):
            candidate = Candidate(adapted.completion, len(checked))
            candidate.adapted_from = {"id": adapted.example_id, "template": adapted.template}
            candidate.support = adapted.support
            checked.append(_check(prefix, candidate, schema, names, instruction))
    if _answered(checked, schema):  # the weights are not even read
        return _finish(prefix, checked, schema, retrieving, time_budget_s, load_s=0.0)
    load_s = _load(model)
    started = time.monotonic()
    deadline = started + time_budget_s
    tokens = max_new_tokens or MAX_COMPLETION_TOKENS
    demonstrations = (
        within_budget(model.demonstrations("code_completion", {"prefix": prefix}))
        if steps.demonstrations
        else []
    )
    conversation = completion_prompt(prefix, schema, demonstrations, instruction)
    rounds = [(1, 0.0)] if candidates > 0 else []  # 0: retrieved candidates only
    if candidates > 1:
        rounds.append((candidates - 1, SAMPLING_TEMPERATURE))
    for count, temperature in rounds:
        if time.monotonic() >= deadline or _answered(checked, schema):
            break
        proposed = _propose(
            model, conversation, prefix, count, temperature, tokens, deadline, steps.constrained
        )
        for completion in proposed:
            candidate = Candidate(_strip_echo(prefix, extract_code(completion)), len(checked))
            checked.append(_check(prefix, candidate, schema, names, instruction))
    return _finish(prefix, checked, schema, started, time_budget_s, load_s)


DEMONSTRATION_BUDGET_CHARS = 1200
"""Characters of demonstrations a completion prompt carries (about 350 tokens): on a CPU, reading
the prompt is most of a small model's time, and the nearest example helps most."""


def within_budget(
    demonstrations: list[Demonstration], budget: int = DEMONSTRATION_BUDGET_CHARS
) -> list[Demonstration]:
    """The nearest demonstrations that fit in ``budget`` characters together (the nearest one
    always: without it the prompt shows no example at all).

    >>> shown = [("a" * 900, "b"), ("c" * 900, "d"), ("e", "f")]
    >>> [len(q) for q, _ in within_budget(shown, budget=1200)]
    [900]
    >>> [len(q) for q, _ in within_budget(shown, budget=500)]  # the nearest, even if too long
    [900]
    """
    kept: list[Demonstration] = []
    used = 0
    for shown, reply in demonstrations:
        size = len(shown) + len(reply)
        if kept and used + size > budget:
            break
        kept.append((shown, reply))
        used += size
    return kept


def _propose(
    model: LanguageModel,
    conversation: Conversation,
    prefix: str,
    count: int,
    temperature: float,
    tokens: int,
    deadline: float,
    constrained: bool,
) -> list[str]:
    if constrained:
        return model.continue_code(
            conversation,
            prefix,
            count=count,
            temperature=temperature,
            max_new_tokens=tokens,
            deadline=deadline,
        )
    return model.generate(
        [conversation] * count, temperature=temperature, max_new_tokens=tokens, deadline=deadline
    )


def _answered(checked: list[Candidate], schema: Schema | None) -> bool:
    """Whether the best of the ``checked`` candidates is good enough to stop looking."""
    best = max(checked, key=Candidate.rank, default=None)
    return best is not None and _good_enough(best, schema)


def _good_enough(best: Candidate, schema: Schema | None) -> bool:
    """No later candidate is likely to rank above this one."""
    return (
        (best.runs or (schema is None and best.parses))
        and best.names >= 1.0
        and best.grounded >= 1.0
        and best.covered >= 1.0
        and best.fresh >= 1.0
        and best.aggregates >= 0
    )


def grounded_share(completion: str, given: str, names: Iterable[str] = ()) -> float:
    """The share of the completion's literal values (strings other than ``names`` and the code's
    own aliases, numbers other than 0 and 1) that the instruction or the prefix, ``given``,
    mentions: a value from nowhere (a filter on 'Brazil' nobody asked for) is a guess.

    >>> grounded_share(".filter(_.country == 'Brazil').limit(5)", "the top 5 countries")
    0.5
    >>> grounded_share(".group_by('country').agg(n=_.count())", "", ["country"])
    1.0
    """
    known = set(names) | set(_ALIAS.findall(completion))
    values = [
        single or double or number
        for single, double, number in _LITERAL.findall(completion)
        if (single or double or number) not in known and number not in ("0", "1")
    ]
    if not values:
        return 1.0
    text = given.lower()
    return sum(value.lower() in text for value in values) / len(values)


RETRIEVED_EXAMPLES = 40
"""Verified examples nearest to the prefix that retrieval adapts (the distinct results are
checked, at most :data:`ADAPTED_CANDIDATES`): on 100 held-out records, the completions of the 12
nearest held a match for 14, those of the 40 nearest for 25; checking one that does not parse
costs nothing, one that runs some 50 ms."""
ADAPTED_CANDIDATES = 30


def _adapted(
    model: LanguageModel, prefix: str, schema: Schema, instruction: str | None
) -> list[AdaptedCompletion]:
    """Completions of the nearest verified examples, written for this schema."""
    given = {"prefix": prefix, "instruction": instruction or ""}
    records = model.nearest_examples("code_completion", given, RETRIEVED_EXAMPLES, schema)
    examples = [
        ExampleCompletion(
            prefix=record.input_as(CodeCompletionInput).prefix,
            completion=record.target_as(CodeCompletionTarget).completion,
            schema=record.table_schemas,
            instruction=record.input_as(CodeCompletionInput).instruction or "",
            example_id=record.id,
            template=record.meta.template,
        )
        for record in records
        if isinstance(record.input, CodeCompletionInput)
    ]
    return adapted_completions(
        prefix, schema, instruction or "", examples, limit=ADAPTED_CANDIDATES
    )


def _load(model: LanguageModel) -> float:
    """Load the weights before the clock starts: the budget is for answering, not loading."""
    started = time.monotonic()
    model.load()  # says so on the progress line while it reads weights
    return time.monotonic() - started


def _check(
    prefix: str,
    candidate: Candidate,
    schema: Schema | None,
    names: list[str],
    instruction: str | None = None,
) -> Candidate:
    """Parse, then (with a schema) evaluate and run ``prefix`` + the candidate."""
    from ibert_inference.verify.pair import verification_details, verify_runs

    if not candidate.completion.strip():
        candidate.problem = "empty (stopped by the budget?)"
        return candidate
    code = prefix + candidate.completion
    try:
        ast.parse(code)
    except SyntaxError as exc:
        candidate.problem = f"does not parse: {exc.msg}"
        return candidate
    if ast.dump(ast.parse(code)) == _tree(prefix):
        candidate.problem = "adds no code (only blanks or a comment)"
        return candidate
    candidate.parses = True
    if names:
        used = [n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", code)]
        candidate.names = len(used) / len(names)
    else:
        candidate.names = 1.0
    schema_names = [*(schema or {}), *(c for columns in (schema or {}).values() for c in columns)]
    if instruction:  # without one, no value was asked for and none is a guess
        candidate.grounded = grounded_share(
            candidate.completion, f"{instruction}\n{prefix}", schema_names
        )
        candidate.covered = covered_share(prefix, candidate.completion, instruction)
        candidate.fresh = fresh_share(prefix, candidate.completion, instruction)
        candidate.aggregates = aggregate_agreement(prefix, candidate.completion, instruction)
        candidate.introduced = introduced_names_share(
            prefix, candidate.completion, instruction, schema
        )
    if schema is None:
        return candidate
    verdict = verify_runs(code, schema)
    candidate.runs = verdict.ok
    # a verdict with compiled SQL (or a compiler error) came from an expression that evaluated
    reason = verdict.reason or ""
    candidate.evaluates = (
        verdict.ok or verdict.compiled_sql is not None or "could not compile" in reason
    )
    if verdict.ok:
        candidate.details = {"verification": verification_details(verdict, "runs")}
    else:
        candidate.problem = reason[:200]
    return candidate


def _tree(prefix: str) -> str:
    try:
        return ast.dump(ast.parse(prefix))
    except SyntaxError:
        return ""


def _finish(
    prefix: str,
    checked: list[Candidate],
    schema: Schema | None,
    started: float,
    budget: float,
    load_s: float,
) -> TaskResult:
    elapsed = time.monotonic() - started
    best = max(checked, key=Candidate.rank, default=None)
    accepted = best is not None and (best.runs if schema is not None else best.parses)
    tried = [
        {"completion": c.completion, "problem": c.problem}
        for c in checked
        if c is not best or not accepted
    ]
    details: dict[str, Any] = {
        **((best.details or {}) if accepted and best else {}),
        "candidates": len(checked),
        "tried": [t for t in tried if t["problem"]],
        "elapsed_s": round(elapsed, 2),
        "time_budget_s": budget,
        "load_s": round(load_s, 2),
    }
    if accepted and best is not None:
        details["instruction_names_used"] = round(best.names, 2)
        checks = {"parses": True}
        if schema is not None:
            checks.update(evaluates=True, runs=True)
        if best.adapted_from is not None:
            example = best.adapted_from
            details["adapted_from"] = example
            details["note"] = (
                f"retrieved, not written by the model: the completion of the verified training "
                f"example {example['id']} (template {example['template']}), its names mapped "
                "onto this schema"
            )
            return TaskResult(
                "code_completion", best.completion, None, "retrieval", details, checks
            )
        return TaskResult("code_completion", best.completion, None, "model", details, checks)
    if best is not None:  # how far the best candidate got, for a measurement
        details["best"] = {
            "completion": best.completion,
            "parses": best.parses,
            "evaluates": best.evaluates,
        }
    failing = [t for t in tried if t["problem"]]
    if failing:
        details["reason"] = f"no completion runs; the last: {failing[-1]['problem']}"
    if elapsed >= budget:
        details["reason"] = (
            f"no completion evaluated within the {budget:g} s budget "
            f"({len(checked)} tried); raise it with --time-budget"
        )
    return TaskResult("code_completion", "", None, "model", details, {"parses": False})


def _strip_echo(prefix: str, completion: str) -> str:
    """Models often repeat the prefix before continuing it."""
    stripped = prefix.strip()
    if stripped and completion.lstrip().startswith(stripped):
        return completion.lstrip()[len(stripped) :]
    return completion
