"""Scoring the six tasks on test examples: the model path beside the deterministic path.

Every score is computed by running things, never by comparing text where running is possible:
execution accuracy through the verification engine, fixes that must evaluate and match the
verified code, completions that must evaluate. Each example's outcome is kept for inspection.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from ibert_inference.dataset.record import (
    CodeCompletionInput,
    CodeCompletionTarget,
    DocumentationInput,
    ErrorResolutionInput,
    ErrorResolutionTarget,
    IbisToSqlInput,
    QaInput,
    QaTarget,
    Record,
    SqlToIbisInput,
    TaskInput,
)

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel

_WORD = re.compile(r"[a-z0-9_]+")


@dataclass
class TaskScores:
    task: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)


def sample(records: Sequence[Record], task: str, size: int) -> list[Record]:
    """A deterministic sample of the task's test records that the task's scoring can run.

    Ibis->SQL answers are scored by executing them on DuckDB, so that task samples its DuckDB
    records (the other dialects' targets are the same compiler's output).
    """
    mine = sorted((r for r in records if r.task == task and _scorable(r)), key=lambda r: r.id)
    return random.Random(0).sample(mine, min(size, len(mine)))


def _scorable(record: Record) -> bool:
    if isinstance(record.input, IbisToSqlInput):
        # an input without a dialect is DuckDB's; one that names none (null) is not scored
        return "dialect" not in record.input.model_fields_set or record.input.dialect == "duckdb"
    return True


def token_f1(prediction: str, reference: str) -> float:
    """Word-overlap F1 between two texts (SQuAD style)."""
    predicted, expected = _WORD.findall(prediction.lower()), _WORD.findall(reference.lower())
    if not predicted or not expected:
        return 0.0
    common = sum(min(predicted.count(w), expected.count(w)) for w in set(predicted))
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 4) if values else 0.0


def _safe(function: Callable[[], Any]) -> tuple[Any, str | None]:
    from ibert_inference.errors import IbertError

    try:
        return function(), None
    except IbertError as exc:
        return None, str(exc)[:200]


def _demonstrations(
    model: LanguageModel | None, task: str, given: TaskInput
) -> list[tuple[str, str]]:
    return model.demonstrations(task, given.to_dict()) if model is not None else []


def evaluate_sql_to_ibis(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    from ibert_inference import sql_to_ibis, verify_pair
    from ibert_inference.model.prompts import extract_code, from_sql_prompt

    conversations = [
        from_sql_prompt(
            r.input_as(SqlToIbisInput).sql,
            r.table_schemas,
            demonstrations=_demonstrations(model, "sql_to_ibis", r.input),
        )
        for r in records
    ]
    replies = model.generate(conversations) if model is not None and records else []

    def judge(record: Record, reply: str | None) -> _Execution:
        sql, schema = record.input_as(SqlToIbisInput).sql, record.table_schemas
        translation, error = _safe(lambda: sql_to_ibis(sql, schema))
        deterministic = bool(translation) and verify_pair(sql, translation.code, schema).ok
        model_ok = None if reply is None else verify_pair(sql, extract_code(reply), schema).ok
        return deterministic, model_ok, error

    return _execution_accuracy("sql_to_ibis", records, replies, judge)


def evaluate_ibis_to_sql(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    from ibert_inference import ibis_to_sql, verify_pair
    from ibert_inference.model.prompts import extract_code, to_sql_prompt

    duck = [r for r in records if _scorable(r)]
    conversations = [
        to_sql_prompt(
            r.input_as(IbisToSqlInput).ibis,
            r.table_schemas,
            "duckdb",
            _demonstrations(model, "ibis_to_sql", r.input),
        )
        for r in duck
    ]
    replies = model.generate(conversations) if model is not None and duck else []

    def judge(record: Record, reply: str | None) -> _Execution:
        code, schema = record.input_as(IbisToSqlInput).ibis, record.table_schemas
        sql, error = _safe(lambda: ibis_to_sql(code, schema))
        deterministic = bool(sql) and verify_pair(sql, code, schema).ok
        model_ok = None if reply is None else verify_pair(extract_code(reply), code, schema).ok
        return deterministic, model_ok, error

    return _execution_accuracy("ibis_to_sql", duck, replies, judge)


_Execution = tuple[bool, bool | None, str | None]
"""One record's execution result: the deterministic path's, the model's (None without a model),
the deterministic path's error."""


def _execution_accuracy(
    task: str,
    records: list[Record],
    replies: list[str],
    judge: Callable[[Record, str | None], _Execution],
) -> TaskScores:
    """A row per record as ``judge`` finds it given the model's reply (``replies`` is empty
    without a model), and the share of each path that executed right."""
    scores = TaskScores(task)
    for index, record in enumerate(records):
        deterministic, model_ok, error = judge(record, replies[index] if replies else None)
        scores.rows.append({"id": record.id, "deterministic": deterministic,
                            "model": model_ok, "error": error})  # fmt: skip
    scores.summary = {
        "execution_accuracy_deterministic": _mean([r["deterministic"] for r in scores.rows]),
        "execution_accuracy_model": _mean([bool(r["model"]) for r in scores.rows]),
    }
    return scores


def _fix_verified(fixed: str, target: str, schema: dict[str, dict[str, str]]) -> bool:
    from ibert_inference import ibis_to_sql, verify_pair

    reference, _ = _safe(lambda: ibis_to_sql(target, schema))
    return bool(reference) and verify_pair(reference, fixed, schema).ok


def _paths(model: LanguageModel | None) -> list[tuple[str, LanguageModel | None]]:
    """The paths an example is scored on: the deterministic one (no model), then the model's
    when there is one (without one, its column is None)."""
    return [("deterministic", None), *([("model", model)] if model is not None else [])]


def evaluate_error_resolution(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    from ibert_inference.tasks.error_resolution import fix_code

    scores = TaskScores("error_resolution")
    for record in records:
        code, schema = record.input_as(ErrorResolutionInput).code, record.table_schemas
        target = record.target_as(ErrorResolutionTarget).code
        row: dict[str, Any] = {"id": record.id}
        for path, used in _paths(model):
            result, error = _safe(lambda: fix_code(code, schema=schema, model=used))  # noqa: B023
            ok = bool(result and result.ok) and _fix_verified(result.output, target, schema)
            row[path], row[f"{path}_source"] = ok, getattr(result, "source", error)
        row.setdefault("model", None)
        scores.rows.append(row)
    scores.summary = {
        "verified_fix_rate_deterministic": _mean([r["deterministic"] for r in scores.rows]),
        "verified_fix_rate_model": _mean([bool(r["model"]) for r in scores.rows]),
    }
    return scores


def evaluate_code_completion(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    from ibert_inference.tasks.code_completion import complete_code

    scores = TaskScores("code_completion")
    for record in records:
        prefix = record.input_as(CodeCompletionInput).prefix
        expected = record.target_as(CodeCompletionTarget).completion
        if model is None:
            scores.rows.append({"id": record.id, "valid": None, "exact": None})
            continue
        result, error = _safe(
            lambda: complete_code(prefix, schema=record.table_schemas, model=model, candidates=2)  # noqa: B023
        )
        valid = bool(result and result.ok and result.checks.get("runs"))
        exact = bool(result) and " ".join(result.output.split()) == " ".join(expected.split())
        scores.rows.append({"id": record.id, "valid": valid, "exact": exact, "error": error})
    scores.summary = {
        "validity_model": _mean([bool(r["valid"]) for r in scores.rows]),
        "exact_match_model": _mean([bool(r["exact"]) for r in scores.rows]),
    }
    return scores


def evaluate_qa(
    records: list[Record],
    model: LanguageModel | None,
    store: StoreLayout | None = None,
    corpus_paths: Sequence[Any] = (),
) -> TaskScores:
    """Retrieval hit: the passage a documentation question was mined with is among the cited
    ones (over the questions whose passage is in the corpus of ``store``, its mined
    documentation, and ``corpus_paths``: a template's question has none); answer overlap: word
    F1 of the answer given, retrieval alone beside the model."""
    from ibert_inference.model.retrieval import default_corpus, passage_index
    from ibert_inference.tasks.qa import answer_question

    in_corpus = {
        passage.id for passage in passage_index([*default_corpus(store), *corpus_paths]).passages
    }
    scores = TaskScores("qa")
    for record in records:
        question, answer = record.input_as(QaInput).question, record.target_as(QaTarget).answer
        retrieved, _ = _safe(
            partial(answer_question, question, corpus_paths=corpus_paths, store=store)
        )
        cited = {c["id"] for c in (retrieved.details.get("citations", []) if retrieved else [])}
        row = {
            "id": record.id,
            "retrievable": record.id in in_corpus,
            "retrieval_hit": record.id in cited if record.id in in_corpus else None,
            "overlap_retrieval": token_f1(retrieved.output, answer) if retrieved else 0.0,
            "overlap_model": None,
            "cites_model": None,
        }
        if model is not None:
            ask = partial(answer_question, model=model, corpus_paths=corpus_paths, store=store)
            answered, _ = _safe(partial(ask, question))
            row["overlap_model"] = token_f1(answered.output, answer) if answered else 0.0
            row["cites_model"] = bool(answered) and _cites(answered)
        scores.rows.append(row)
    retrievable = [r for r in scores.rows if r["retrievable"]]
    scores.summary = {
        "retrieval_hit_rate": _mean([bool(r["retrieval_hit"]) for r in retrievable]),
        "retrievable_examples": float(len(retrievable)),
        "answer_overlap_retrieval": _mean([r["overlap_retrieval"] for r in scores.rows]),
        "answer_overlap_model": _mean([r["overlap_model"] or 0.0 for r in scores.rows]),
        "citation_rate_model": _mean([bool(r["cites_model"]) for r in scores.rows]),
    }
    return scores


def _cites(result: Any) -> bool:
    """The model's answer cites at least one of the passages it was given, as [n]."""
    numbers = {c["n"] for c in result.details.get("citations", [])}
    return result.source == "model" and any(f"[{n}]" in result.output for n in numbers)


def evaluate_documentation(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    import ast

    from ibert_inference.tasks.documentation import (
        document_function,
        missing_documentation,
        parameters,
    )

    scores = TaskScores("documentation")
    for record in records:
        code = record.input_as(DocumentationInput).code
        row: dict[str, Any] = {"id": record.id}
        for path, used in _paths(model):
            result, error = _safe(lambda: document_function(code, model=used, examples=False))  # noqa: B023
            if result is None:
                row[path], row[f"{path}_error"] = 0.0, error
                continue
            function = next(
                n
                for n in ast.walk(ast.parse(code))
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            )
            wanted = parameters(function)
            docstring = result.details.get("docstring") or ""  # none when nothing was written
            missing = missing_documentation(function, docstring, "google")
            covered = [p for p in wanted if p not in missing]
            row[path] = len(covered) / len(wanted) if wanted else 1.0
            row[f"{path}_source"] = result.source
        row.setdefault("model", None)
        scores.rows.append(row)
    scores.summary = {
        "parameter_coverage_deterministic": _mean([r["deterministic"] for r in scores.rows]),
        "parameter_coverage_model": _mean([r["model"] or 0.0 for r in scores.rows]),
        "model_docstring_share": _mean(
            [r.get("model_source") == "model" for r in scores.rows if r.get("model") is not None]
        ),
    }
    return scores


class Evaluator(Protocol):
    """Scores one task's records: the deterministic path, and ``model``'s when there is one."""

    def __call__(
        self,
        records: list[Record],
        model: LanguageModel | None,
        store: StoreLayout | None = None,
    ) -> TaskScores: ...


EVALUATORS: dict[str, Evaluator] = {
    "sql_to_ibis": evaluate_sql_to_ibis,
    "ibis_to_sql": evaluate_ibis_to_sql,
    "error_resolution": evaluate_error_resolution,
    "code_completion": evaluate_code_completion,
    "qa": evaluate_qa,
    "documentation": evaluate_documentation,
}


def evaluate_task(
    task: str,
    records: Sequence[Record],
    model: LanguageModel | None,
    *,
    sample_size: int = 50,
    store: StoreLayout | None = None,
) -> TaskScores:
    """The task's evaluator on a sample of ``records``; ``store``: the dataset store the tasks
    read (``qa``'s mined documentation)."""
    scores = EVALUATORS[task](sample(records, task, sample_size), model, store)
    scores.summary["examples"] = len(scores.rows)
    return scores
