"""Error resolution: repair Ibis code that fails, and return only repairs that evaluate.

Deterministic repairs (:mod:`ibert_inference.repairs`) go first; the model, when given, gets a
bounded number of attempts, each shown the error of the previous one. A fix is returned only if
the safe evaluator turns it into an expression (and Ibis compiles it to SQL); it says verified only
if it also runs on the generated databases (with a schema; without one ``verified`` is None).

>>> result = fix_code("t.filter(_.amout > 1)", schema={"t": {"amount": "float64"}})
>>> result.output, result.source, result.details["changes"]
('t.filter(_.amount > 1)', 'deterministic', ["column 'amout' -> 'amount' (line 1)"])
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ibert_inference.errors import EvaluationError, IbertError, UnsafeCodeError
from ibert_inference.model.prompts import extract_code, fix_prompt
from ibert_inference.repairs import REPAIRS, ErrorInfo, Repair
from ibert_inference.sandbox import isolated
from ibert_inference.schema.tables import Schema
from ibert_inference.tasks.result import Source, TaskResult

if TYPE_CHECKING:
    from ibert_inference.model.language_model import LanguageModel

MAX_REPAIR_ROUNDS = 3
"""Repairs chain (a closed parenthesis reveals a misspelt column): at most this many in a row."""
MODEL_ATTEMPTS = 3
_TYPED_ERROR = re.compile(r"^\s*([A-Z][A-Za-z]*(?:Error|Exception))\s*:\s*(.*)", re.DOTALL)


def fix_code(
    code: str,
    *,
    schema: Schema | None = None,
    error: str | None = None,
    context: str | None = None,
    model: LanguageModel | None = None,
) -> TaskResult:
    """Repair ``code`` so that it evaluates.

    ``details["error"]`` is the error the safe evaluator finds; ``error``, the message the user
    saw (say, from a database at run time), is kept as ``details["given_error"]`` and stands in
    for it when the code evaluates.

    Raises :class:`~ibert_inference.errors.UnsafeCodeError` when the code itself uses constructs
    the safe evaluator refuses (nothing is run).
    """
    found = evaluation_error(code, schema)
    if found is None and error is None:
        return _checked(
            TaskResult(
                "fix",
                code,
                True,
                "deterministic",
                {"changes": [], "error": None, "attempts": [], "message": "nothing to fix"},
            ),
            schema,
        )
    original = found or _error_from_text(error or "")
    attempts: list[dict[str, Any]] = []

    extra = {"given_error": error} if error is not None else {}
    repaired = _deterministic(code, original, schema, attempts)
    if repaired is not None:
        return _fixed(repaired, "deterministic", original, attempts, extra, schema)
    if model is not None:
        prompt_error = original.message if found or not error else error
        if found and found.error_type and not prompt_error.startswith(found.error_type):
            prompt_error = f"{found.error_type}: {prompt_error}"  # as the training data shows it
        repaired = _with_model(code, ErrorInfo(prompt_error), schema, context, model, attempts)
        if repaired is not None:
            return _fixed(repaired, "model", original, attempts, extra, schema)
    reason = f"no repair evaluates; the error is: {original.message}"
    if schema is None and original.error_type == "NameError":
        reason += " (give the tables' columns with --schema / schema=)"
    return TaskResult(
        "fix",
        "",
        False,
        "none",
        {
            "changes": [],
            "error": original.message,
            "error_type": original.error_type,
            "attempts": attempts,
            "reason": reason,
            **extra,
        },
    )


def _error_without_answer(exc: Exception, args: Any, kwargs: Any) -> ErrorInfo:
    """A worker that ran out of time reports a timeout to repair; one that died is unsafe."""
    from ibert_inference.sandbox import WorkerTimeout

    if isinstance(exc, WorkerTimeout):
        return ErrorInfo(str(exc), "Timeout", None)
    raise UnsafeCodeError(str(exc), construct="resource limit")


@isolated(returns=ErrorInfo, on_failure=_error_without_answer)
def evaluation_error(code: str, schema: Schema | None) -> ErrorInfo | None:
    """The error ``code`` raises when evaluated and compiled, or None when it works.

    Runs in a sandbox worker. Unsafe code raises :class:`UnsafeCodeError` rather than returning
    an error to repair.
    """
    from ibert_inference.safe_eval.evaluator import evaluate_ibis

    try:
        expr = evaluate_ibis(code, schema)
    except EvaluationError as exc:
        return ErrorInfo(str(exc), exc.error_type, exc.line)
    import ibis

    try:
        ibis.to_sql(expr)
    except Exception as exc:  # Ibis raises many types when compiling; each is the code's error
        return ErrorInfo(f"{type(exc).__name__}: {exc}", type(exc).__name__, None)
    return None


def _deterministic(
    code: str, error: ErrorInfo, schema: Schema | None, attempts: list[dict[str, Any]]
) -> Repair | None:
    """Apply repairs round by round; keep going from a repair that changed the error."""
    current, current_error = code, error
    changes: list[str] = []
    seen = {code}
    for _ in range(MAX_REPAIR_ROUNDS):
        progress: tuple[str, ErrorInfo, list[str]] | None = None
        for name, repair in REPAIRS.items():
            candidate = repair(current, current_error, schema)
            if candidate is None or candidate.code in seen:
                continue
            seen.add(candidate.code)
            try:
                new_error = evaluation_error(candidate.code, schema)
            except IbertError as exc:  # a repair must never make code unsafe; skip it if it did
                new_error = ErrorInfo(str(exc), type(exc).__name__)
            attempts.append(
                {
                    "source": "deterministic",
                    "repair": name,
                    "error": new_error.message if new_error else None,
                }
            )
            if new_error is None:
                return Repair(candidate.code, changes + candidate.changes)
            if progress is None and new_error.message != current_error.message:
                progress = (candidate.code, new_error, candidate.changes)
        if progress is None:
            return None
        current, current_error = progress[0], progress[1]
        changes = changes + progress[2]
    return None


def _with_model(
    code: str,
    error: ErrorInfo,
    schema: Schema | None,
    context: str | None,
    model: LanguageModel,
    attempts: list[dict[str, Any]],
) -> Repair | None:
    given = {"code": code, "error": error.message}
    demonstrations = model.demonstrations("error_resolution", given)
    conversation = fix_prompt(code, error.message, schema, context, demonstrations)
    for _ in range(MODEL_ATTEMPTS):
        answer = model.generate([conversation])[0]
        candidate = extract_code(answer).strip() + "\n"
        failure = None
        if not candidate.strip() or candidate.strip() == code.strip():
            failure = ErrorInfo("the answer repeats the code or has none")
        else:
            try:
                failure = evaluation_error(candidate, schema)
            except IbertError as exc:
                failure = ErrorInfo(str(exc), type(exc).__name__)
        attempts.append(
            {"source": "model", "error": failure.message if failure else None, "code": candidate}
        )
        if failure is None:
            return Repair(candidate, line_changes(code, candidate))
        conversation = [
            *conversation,
            {"role": "assistant", "content": answer},
            {
                "role": "user",
                "content": f"That code fails with:\n{failure.message}\nReturn corrected code only.",
            },
        ]
    return None


def line_changes(before: str, after: str) -> list[str]:
    """Human-readable changed lines between two versions of code."""
    changes = []
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines())
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if tag == "equal":
            continue
        old = " / ".join(line.strip() for line in before.splitlines()[a_start:a_end])
        new = " / ".join(line.strip() for line in after.splitlines()[b_start:b_end])
        changes.append(f"line {a_start + 1}: `{old}` -> `{new}`")
    return changes


def _checked(result: TaskResult, schema: Schema | None) -> TaskResult:
    """``result`` verified by the verification engine: the code runs on generated databases.

    Without a schema nothing can run it: ``verified`` is then None (it evaluates, no more).
    """
    from ibert_inference.verify.pair import verification_details, verify_runs

    if not schema:
        return replace(result, verified=None)
    verdict = verify_runs(result.output, schema)
    details = {**result.details, "verification": verification_details(verdict, "runs")}
    if not verdict.ok:
        details["reason"] = f"the code evaluates but does not run: {verdict.reason}"
    return replace(result, verified=verdict.ok, details=details)


def _fixed(
    repair: Repair,
    source: Source,
    error: ErrorInfo,
    attempts: list[dict[str, Any]],
    extra: dict[str, Any],
    schema: Schema | None,
) -> TaskResult:
    """The result of a repair that evaluates, checked on the generated databases."""
    details = {
        "changes": repair.changes,
        "error": error.message,
        "error_type": error.error_type,
        "attempts": attempts,
        **extra,
    }
    return _checked(TaskResult("fix", repair.code, True, source, details), schema)


def _error_from_text(text: str) -> ErrorInfo:
    match = _TYPED_ERROR.match(text)
    if match:
        return ErrorInfo(text.strip(), match.group(1))
    return ErrorInfo(text.strip())
