"""sql_to_ibis on the Dagster side: verified pairs in the canonical Ibis style, one target per
SQL input; scored by execution accuracy of the translator and of the model."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ibert_assets.outcome import Outcome
from ibert_assets.tasks.canonical import canonical_style, one_target_per_input
from ibert_assets.tasks.common import Upstream, grouped
from ibert_assets.tasks.scoring import (
    Execution,
    Row,
    TaskScores,
    execution_accuracy,
    model_demonstrations,
    safe,
)
from ibert_inference.dataset.record import (
    VERIFIED,
    Record,
    SqlToIbisInput,
    SqlToIbisTarget,
    make_id,
)

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel


def sql_to_ibis_records(pairs: Iterable[Record]) -> Outcome:
    """Verified pairs in the canonical Ibis style, one target per SQL input (templates win
    over augmented variants, which win over mined pairs): a model never learns two answers."""
    build = Outcome()
    candidates = []
    for pair in pairs:
        if pair.task != "sql_to_ibis" or pair.status != VERIFIED:
            build.counts["not_a_verified_pair"] += 1
            continue
        assert isinstance(pair.target, SqlToIbisTarget)  # a verified sql_to_ibis pair
        code = pair.target.ibis
        restyled = canonical_style(code)
        if restyled != code:
            build.counts["restyled"] += 1
            target = pair.target.model_copy(update={"ibis": restyled})
            pair = pair.replace(id=make_id(pair.task, pair.input, target), target=target)
        candidates.append(pair)
    kept, dropped = one_target_per_input(candidates)
    build.counts["dropped_second_target"] += dropped
    for chosen in kept:
        build.keep(grouped(chosen), "kept")
    return build


def build(upstream: Upstream) -> Outcome:
    return sql_to_ibis_records(
        [*upstream.written_pairs, *upstream.augmented_pairs, *upstream.mined]
    )


MODEL_METRICS: dict[str, Callable[[Row], float]] = {
    "execution_accuracy": lambda r: float(bool(r["model"])),
}
"""What the model path scored on one example, from the evaluator's row."""


def evaluate_sql_to_ibis(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    from ibert_inference import sql_to_ibis, verify_pair
    from ibert_inference.model.prompts import extract_code, from_sql_prompt

    conversations = [
        from_sql_prompt(
            r.input_as(SqlToIbisInput).sql,
            r.table_schemas,
            demonstrations=model_demonstrations(model, "sql_to_ibis", r.input),
        )
        for r in records
    ]
    replies = model.generate(conversations) if model is not None and records else []

    def judge(record: Record, reply: str | None) -> Execution:
        sql, schema = record.input_as(SqlToIbisInput).sql, record.table_schemas
        translation, error = safe(lambda: sql_to_ibis(sql, schema))
        deterministic = bool(translation) and verify_pair(sql, translation.code, schema).ok
        model_ok = None if reply is None else verify_pair(sql, extract_code(reply), schema).ok
        return deterministic, model_ok, error

    return execution_accuracy("sql_to_ibis", records, replies, judge)
