"""Question answering about Ibis: retrieve passages, then answer from them with citations.

Without a model the best passages are the answer. With one, the model answers from the numbered
passages, and its answer is shown only when it adds something the passages do not have that can
be checked: a code example (not copied from a passage) that the safe evaluator turns into an Ibis
expression (``checks["example_evaluated"]``). Otherwise the passages are the answer, and
``details["note"]`` says why the model's was not shown. Either way every retrieved passage is
cited: a model never costs a citation. Answers are not verified (``verified`` is None).

>>> result = answer_question("How do I sort rows?")
>>> result.source, len(result.details["citations"]) > 0
('retrieval', True)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ibert_inference.errors import IbertError
from ibert_inference.model.prompts import qa_prompt
from ibert_inference.model.retrieval import Hit, default_corpus, passage_index
from ibert_inference.tasks.result import TaskResult

_CODE_BLOCK = re.compile(r"```([A-Za-z0-9_+-]*)\n(.*?)```", re.DOTALL)

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel


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

    ``context`` (the user's code or situation) steers the search with a weight below the
    question's (:data:`~ibert_inference.model.retrieval.CONTEXT_WEIGHT`), and the model reads
    all of it.
    """
    paths = [*default_corpus(store), *map(Path, corpus_paths)]
    hits = passage_index(paths).search(question, k=k, context=context)
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
    retrieved = TaskResult("qa", format_passages(hits), None, "retrieval", {"citations": citations})
    if model is None:
        return retrieved
    demonstrations = model.demonstrations("qa", {"question": question})
    conversation = qa_prompt(question, hits, demonstrations, context)
    answer = model.generate([conversation])[0].strip()
    example, problem = new_code_example(answer, hits)
    if example is None:
        note = f"the model's answer was not shown: {problem}"
        details = {**retrieved.details, "note": note, "model_answer": answer}
        return TaskResult("qa", retrieved.output, None, "retrieval", details)
    output = f"{answer}\n\nSources:\n{format_citations(hits)}"
    details = {"citations": citations, "example": example}
    return TaskResult("qa", output, None, "model", details, {"example_evaluated": True})


def new_code_example(answer: str, hits: list[Hit]) -> tuple[str | None, str]:
    """The first code example of ``answer`` that no passage shows and that evaluates; else
    None and why there is none."""
    blocks = [code.strip() for language, code in _CODE_BLOCK.findall(answer)
              if language.lower() in {"", "python", "py"} and code.strip()]  # fmt: skip
    if not blocks:
        return None, "it adds no code example"
    shown = " ".join(" ".join(hit.passage.text.split()) for hit in hits)
    new = [code for code in blocks if " ".join(code.split()) not in shown]
    if not new:
        return None, "its code example only repeats a passage"
    problem = ""
    for code in new:
        error = _evaluation_error(code)
        if error is None:
            return code, ""
        problem = problem or error
    return None, f"its code example does not evaluate ({problem})"


def _evaluation_error(code: str) -> str | None:
    """None when ``code`` evaluates (in a sandbox worker) on the tables it names; else why not."""
    from ibert_inference.safe_eval.isolated import evaluates
    from ibert_inference.schema.infer_ibis import infer_ibis_schema, table_names

    try:
        schema = infer_ibis_schema(code) if table_names(code) else None
        evaluates(code, schema)
    except IbertError as exc:
        return " ".join(str(exc).split())[:200]
    return None


def format_passages(hits: list[Hit]) -> str:
    """Passages as the answer: numbered, titled, with their source."""
    blocks = []
    for number, hit in enumerate(hits, start=1):
        source = f" ({hit.passage.source})" if hit.passage.source else ""
        blocks.append(f"[{number}] {hit.passage.title}{source}\n{hit.passage.text}")
    return "\n\n".join(blocks)


def format_citations(hits: list[Hit]) -> str:
    """One line per passage: the same numbers, titles and sources as the passages' answer."""
    lines = []
    for number, hit in enumerate(hits, start=1):
        source = f" ({hit.passage.source})" if hit.passage.source else ""
        lines.append(f"[{number}] {hit.passage.title}{source}")
    return "\n".join(lines)
