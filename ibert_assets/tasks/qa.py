"""qa on the Dagster side: documentation Q&A as mined, and template descriptions asked as
questions; scored by retrieval hits, answer overlap and citations."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from ibert_assets.outcome import Outcome
from ibert_assets.tasks.common import Upstream, derived, grouped
from ibert_assets.tasks.scoring import Row, TaskScores, mean, safe, token_f1
from ibert_assets.tasks.task_templates import SHIPPED, TaskTemplates
from ibert_inference.dataset.record import (
    QaInput,
    QaTarget,
    Record,
    SqlToIbisInput,
)

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel


def qa_records(
    pairs: Iterable[Record], docs: Iterable[Record] = (), *, templates: TaskTemplates = SHIPPED
) -> Outcome:
    """Documentation Q&A as mined, plus text to Ibis: each template example's description asked
    as a question over its tables, answered with the verified Ibis code."""
    template = templates["qa"]
    build = Outcome()
    for record in docs:
        if record.task == "qa":
            build.keep(grouped(record), "kept_docs")
    for index, pair in enumerate(pairs):
        description = pair.meta.description
        code = pair.ibis_code
        if not description or not code:
            build.counts["no_description"] += 1
            continue
        tables = ", ".join(pair.context.tables)
        schema = "; ".join(
            f"{name}({', '.join(columns)})" for name, columns in pair.table_schemas.items()
        )
        phrasing = template["questions"][index % len(template["questions"])]
        values = {
            "question": description,
            "question_lower": description[0].lower() + description[1:].rstrip("."),
            "tables": tables,
            "schema": schema,
            "ibis": code,
            "sql": pair.input.sql if isinstance(pair.input, SqlToIbisInput) else "",
        }
        question = phrasing.format(**values)
        answer = template["answer"].format(**values).strip()
        build.keep(
            derived(
                pair, "qa", QaInput(question=question), QaTarget(answer=answer),
                meta={"qa_kind": "text_to_ibis"},
            ),
            "kept_templates",
        )  # fmt: skip
    return build


def build(upstream: Upstream) -> Outcome:
    return qa_records(upstream.written_pairs, upstream.docs, templates=upstream.templates)


MODEL_METRICS: dict[str, Callable[[Row], float]] = {
    "answer_overlap": lambda r: float(r["overlap_model"] or 0.0),
    "citation_rate": lambda r: float(bool(r["cites_model"])),
}


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
        retrieved, _ = safe(
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
            answered, _ = safe(partial(ask, question))
            row["overlap_model"] = token_f1(answered.output, answer) if answered else 0.0
            row["cites_model"] = bool(answered) and _cites(answered)
        scores.rows.append(row)
    retrievable = [r for r in scores.rows if r["retrievable"]]
    scores.summary = {
        "retrieval_hit_rate": mean([bool(r["retrieval_hit"]) for r in retrievable]),
        "retrievable_examples": float(len(retrievable)),
        "answer_overlap_retrieval": mean([r["overlap_retrieval"] for r in scores.rows]),
        "answer_overlap_model": mean([r["overlap_model"] or 0.0 for r in scores.rows]),
        "citation_rate_model": mean([bool(r["cites_model"]) for r in scores.rows]),
    }
    return scores


def _cites(result: Any) -> bool:
    """The model's answer cites at least one of the passages it was given, as [n]."""
    numbers = {c["n"] for c in result.details.get("citations", [])}
    return result.source == "model" and any(f"[{n}]" in result.output for n in numbers)
