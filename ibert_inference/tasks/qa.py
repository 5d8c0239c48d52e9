"""Question answering about Ibis: retrieve passages, then answer from them with citations.

Without a model the best passages are the answer; with one, the model answers from the
numbered passages and cites them as [1]..[k]. Answers are not verified (``verified`` is None).

>>> result = answer_question("How do I sort rows?")
>>> result.source, len(result.details["citations"]) > 0
('retrieval', True)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ibert_inference.model.prompts import qa_prompt
from ibert_inference.model.retrieval import Hit, default_corpus, passage_index
from ibert_inference.tasks.result import TaskResult

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel

CONTEXT_SEARCH_CHARS = 500


def answer_question(
    question: str,
    *,
    model: LanguageModel | None = None,
    corpus_paths: Iterable[Path | str] = (),
    k: int = 3,
    context: str | None = None,
    store: StoreLayout | None = None,
) -> TaskResult:
    """Answer ``question`` from the shipped corpus, the mined documentation of the dataset
    ``store`` (default: ``data/``) and ``corpus_paths``.

    ``context`` (the user's code or situation) joins the question in the search, its first
    :data:`CONTEXT_SEARCH_CHARS` characters so a long file does not drown the question, and the
    model reads all of it.
    """
    paths = [*default_corpus(store), *map(Path, corpus_paths)]
    query = f"{question} {context[:CONTEXT_SEARCH_CHARS]}" if context else question
    hits = passage_index(paths).search(query, k=k)
    citations = [
        {
            "n": number,
            "id": hit.passage.id,
            "title": hit.passage.title,
            "source": hit.passage.source,
            "score": round(hit.score, 3),
        }
        for number, hit in enumerate(hits, start=1)
    ]
    if not hits:
        return TaskResult(
            "qa",
            "",
            None,
            "none",
            {"citations": [], "reason": "no passage matches the question's words"},
        )
    if model is None:
        return TaskResult("qa", format_passages(hits), None, "retrieval", {"citations": citations})
    demonstrations = model.demonstrations("qa", {"question": question})
    conversation = qa_prompt(question, hits, demonstrations, context)
    answer = model.generate([conversation])[0].strip()
    if not answer:
        return TaskResult(
            "qa",
            format_passages(hits),
            None,
            "retrieval",
            {"citations": citations, "reason": "the model gave an empty answer"},
        )
    return TaskResult("qa", answer, None, "model", {"citations": citations})


def format_passages(hits: list[Hit]) -> str:
    """Passages as the answer: numbered, titled, with their source."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        source = f" ({hit.passage.source})" if hit.passage.source else ""
        blocks.append(f"[{number}] {hit.passage.title}{source}\n{hit.passage.text}")
    return "\n\n".join(blocks)
