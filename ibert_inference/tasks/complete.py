"""Task ``complete``: the model proposes completions; the first that runs wins.

With a schema, a completion is verified by the verification engine: the completed code evaluates,
compiles and runs on the generated databases (``details["verification"]``). Without one only
parsing is checked and ``verified`` is None.
"""

from __future__ import annotations

import ast
from typing import Any

from ibert_inference.errors import IbertError
from ibert_inference.prompts import completion_prompt, extract_code
from ibert_inference.schema import Schema
from ibert_inference.tasks.result import TaskResult


def complete_code(
    prefix: str, *, schema: Schema | None = None, model: Any = None, candidates: int = 4
) -> TaskResult:
    """Complete partial Ibis code, returning only a completion that parses (and evaluates).

    One greedy proposal and ``candidates - 1`` sampled ones, in one batched call.
    """
    from ibert_inference.verify import verification_details, verify_runs

    if model is None:
        raise IbertError("completion needs a model: configure one (IBERT_MODEL_NAME) or --model")
    conversation = completion_prompt(prefix, schema)
    replies = model.generate([conversation], temperature=0.0)
    if candidates > 1:
        replies += model.generate([conversation] * (candidates - 1), temperature=0.8)
    tried = []
    for reply in replies:
        completion = _strip_echo(prefix, extract_code(reply))
        code = prefix + completion
        try:
            ast.parse(code)
        except SyntaxError as exc:
            tried.append({"completion": completion, "problem": f"does not parse: {exc.msg}"})
            continue
        if schema is None:
            return TaskResult("code_completion", completion, None, "model", {"tried": tried})
        verdict = verify_runs(code, schema)
        if not verdict.ok:
            tried.append({"completion": completion, "problem": (verdict.reason or "")[:200]})
            continue
        details = {"tried": tried, "verification": verification_details(verdict, "runs")}
        return TaskResult("code_completion", completion, True, "model", details)
    reason = "no completion runs" + (f"; the last: {tried[-1]['problem']}" if tried else "")
    return TaskResult("code_completion", "", False, "model", {"tried": tried, "reason": reason})


def _strip_echo(prefix: str, completion: str) -> str:
    """Models often repeat the prefix before continuing it."""
    stripped = prefix.strip()
    if stripped and completion.lstrip().startswith(stripped):
        return completion.lstrip()[len(stripped) :]
    return completion
