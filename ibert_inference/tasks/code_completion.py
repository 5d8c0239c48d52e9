"""Task ``complete``: the model proposes completions; the first that runs wins.

A request has a budget: a deadline in seconds and a number of new tokens per candidate. The
greedy candidate comes first and, when it runs, is the answer at once; sampled candidates
are generated only when it does not, and generation stops where it is when the deadline passes.
With a schema, the completed code must evaluate, compile and run on the generated databases
(``checks``: ``parses``, ``evaluates``, ``runs``; ``details["verification"]``); without one only
parsing is checked. A completion is never ``verified``: there is no reference to compare it with.
"""

from __future__ import annotations

import ast
import time
from typing import TYPE_CHECKING, Any

from ibert_inference.errors import IbertError, ModelNotConfiguredError
from ibert_inference.model.prompts import completion_prompt, extract_code
from ibert_inference.schema.tables import Schema
from ibert_inference.tasks.result import TaskResult

if TYPE_CHECKING:
    from ibert_inference.model.language_model import LanguageModel

TIME_BUDGET_S = 30.0
"""Seconds a request may take by default: enough for a small model on a laptop CPU."""
MAX_COMPLETION_TOKENS = 64
"""New tokens per candidate by default: a completion is the rest of one expression."""


def complete_code(
    prefix: str,
    *,
    schema: Schema | None = None,
    model: LanguageModel | None = None,
    candidates: int = 4,
    time_budget_s: float = TIME_BUDGET_S,
    max_new_tokens: int | None = None,
) -> TaskResult:
    """Complete partial Ibis code, returning only a completion that parses (and evaluates).

    One greedy proposal first; ``candidates - 1`` sampled ones in one batched call only when the
    greedy one fails, and only while ``time_budget_s`` lasts (counted after the model has
    loaded; ``details["load_s"]`` says how long that took). ``max_new_tokens`` (default
    :data:`MAX_COMPLETION_TOKENS`) bounds each candidate.
    """
    if model is None:
        from ibert_inference.model.choice import INSTALL_HINT

        raise ModelNotConfiguredError(
            f"completion needs a model and none is configured: {INSTALL_HINT}, "
            "or put model_name in config.yaml"
        )
    if time_budget_s <= 0:
        raise IbertError(f"the time budget must be positive, got {time_budget_s} s")
    load_s = _load(model)
    started = time.monotonic()
    deadline = started + time_budget_s
    tokens = max_new_tokens or MAX_COMPLETION_TOKENS
    demonstrations = model.demonstrations("code_completion", {"prefix": prefix})
    conversation = completion_prompt(prefix, schema, demonstrations)
    tried: list[dict[str, str]] = []
    rounds = [([conversation], 0.0)]
    if candidates > 1:
        rounds.append(([conversation] * (candidates - 1), 0.8))
    for conversations, temperature in rounds:
        if time.monotonic() >= deadline:
            break
        replies = model.generate(
            conversations, temperature=temperature, max_new_tokens=tokens, deadline=deadline
        )
        for reply in replies:
            result = _check(prefix, reply, schema, tried)
            if result is not None:
                return _finish(result, started, time_budget_s, tried, load_s)
    failed = TaskResult("code_completion", "", None, "model", {}, {"parses": False})
    return _finish(failed, started, time_budget_s, tried, load_s)


def _load(model: LanguageModel) -> float:
    """Load the weights before the clock starts: the budget is for answering, not loading."""
    started = time.monotonic()
    model.load()  # says so on the progress line while it reads weights
    return time.monotonic() - started


def _check(
    prefix: str, reply: str, schema: Schema | None, tried: list[dict[str, str]]
) -> TaskResult | None:
    """The answer ``reply`` gives when it parses (and evaluates); else None, with why in tried."""
    from ibert_inference.verify.pair import verification_details, verify_runs

    completion = _strip_echo(prefix, extract_code(reply))
    if not completion.strip():
        tried.append({"completion": completion, "problem": "empty (stopped by the budget?)"})
        return None
    code = prefix + completion
    try:
        ast.parse(code)
    except SyntaxError as exc:
        tried.append({"completion": completion, "problem": f"does not parse: {exc.msg}"})
        return None
    if schema is None:
        return TaskResult("code_completion", completion, None, "model", {}, {"parses": True})
    verdict = verify_runs(code, schema)
    if not verdict.ok:
        tried.append({"completion": completion, "problem": (verdict.reason or "")[:200]})
        return None
    details = {"verification": verification_details(verdict, "runs")}
    checks = {"parses": True, "evaluates": True, "runs": True}
    return TaskResult("code_completion", completion, None, "model", details, checks)


def _finish(
    result: TaskResult, started: float, budget: float, tried: list[dict[str, str]], load_s: float
) -> TaskResult:
    elapsed = time.monotonic() - started
    details: dict[str, Any] = {
        **result.details,
        "tried": tried,
        "elapsed_s": round(elapsed, 2),
        "time_budget_s": budget,
        "load_s": round(load_s, 2),
    }
    if not result.ok and tried:
        details["reason"] = f"no completion runs; the last: {tried[-1]['problem']}"
    if not result.ok and elapsed >= budget:
        details["reason"] = (
            f"no completion evaluated within the {budget:g} s budget "
            f"({len(tried)} tried); raise it with --time-budget"
        )
    return TaskResult(
        result.task, result.output, result.verified, result.source, details, result.checks
    )


def _strip_echo(prefix: str, completion: str) -> str:
    """Models often repeat the prefix before continuing it."""
    stripped = prefix.strip()
    if stripped and completion.lstrip().startswith(stripped):
        return completion.lstrip()[len(stripped) :]
    return completion
