"""sql_to_ibis records: verified pairs in the canonical Ibis style, one target per SQL input."""

from __future__ import annotations

from collections.abc import Iterable

from ibert_assets.outcome import Outcome
from ibert_assets.tasks.canonical import canonical_style, one_target_per_input
from ibert_assets.tasks.common import Upstream, grouped
from ibert_inference.dataset.record import (
    VERIFIED,
    Record,
    SqlToIbisTarget,
    make_id,
)


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
        [*upstream.template_pairs, *upstream.augmented_pairs, *upstream.mined]
    )
