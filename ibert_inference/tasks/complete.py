"""Task ``complete``: the model proposes completions; the first that evaluates wins."""

from __future__ import annotations

import ast
from typing import Any

from ibert_inference.demonstrations import demonstrations_for
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
    from ibert_inference.safe_eval import evaluate_ibis

    if model is None:
        from ibert_inference.model import INSTALL_HINT

        raise IbertError(f"completion needs a model: {INSTALL_HINT}")
    demonstrations = demonstrations_for(model, "code_completion", {"prefix": prefix})
    conversation = completion_prompt(prefix, schema, demonstrations)
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
        try:
            evaluate_ibis(code, schema)
        except IbertError as exc:
            tried.append({"completion": completion, "problem": str(exc)[:200]})
            continue
        return TaskResult("code_completion", completion, True, "model", {"tried": tried})
    return TaskResult("code_completion", "", False, "model", {"tried": tried})


def _strip_echo(prefix: str, completion: str) -> str:
    """Models often repeat the prefix before continuing it."""
    stripped = prefix.strip()
    if stripped and completion.lstrip().startswith(stripped):
        return completion.lstrip()[len(stripped) :]
    return completion
