"""qa records: documentation Q&A as mined, and template descriptions asked as questions."""

from __future__ import annotations

from collections.abc import Iterable

from ibert_assets.outcome import Outcome
from ibert_assets.tasks.common import Upstream, derived, grouped
from ibert_assets.tasks.task_templates import SHIPPED, TaskTemplates
from ibert_inference.dataset.record import (
    QaInput,
    QaTarget,
    Record,
    SqlToIbisInput,
)


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
    return qa_records(upstream.template_pairs, upstream.docs, templates=upstream.templates)
