"""ibis_to_sql on the Dagster side: verified Ibis code compiled by Ibis for several dialects;
scored by execution accuracy on DuckDB."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from ibert_assets.outcome import Outcome
from ibert_assets.tasks.common import DEFAULT_DIALECTS, Upstream, derived
from ibert_assets.tasks.scoring import (
    Execution,
    Row,
    TaskScores,
    execution_accuracy,
    model_demonstrations,
    safe,
)
from ibert_inference.dataset.record import (
    IbisToSqlInput,
    IbisToSqlTarget,
    Record,
)

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel


def ibis_to_sql_records(
    pairs: Iterable[Record], dialects: Sequence[str] = DEFAULT_DIALECTS
) -> Outcome:
    """Ibis compiled by Ibis for several dialects; the DuckDB one was verified with the pair.

    The DuckDB SQL that ran when the pair was verified is taken as it is; for the other
    dialects the code is evaluated once, in a sandbox worker, and compiled for each. The pairs
    are compiled by as many sandbox workers at once as the sandbox has (``IBERT_SANDBOX_WORKERS``;
    ``ibert-build`` gives it one per build worker) and kept in their order.
    """
    from ibert_inference.sandbox import current_settings

    build = Outcome()
    with_code = []
    for pair in pairs:
        if pair.ibis_code is None:
            build.counts["no_ibis"] += 1
        else:
            with_code.append(pair)
    with ThreadPoolExecutor(max_workers=current_settings().workers) as threads:
        compiled = threads.map(lambda pair: _compiled(pair, dialects), with_code)
        for pair, (known, by_dialect) in zip(with_code, compiled, strict=True):
            _keep_dialects(build, pair, dialects, known, by_dialect)
    return build


def _compiled(
    pair: Record, dialects: Sequence[str]
) -> tuple[str | None, dict[str, dict[str, Any]]]:
    """The DuckDB SQL verified with ``pair`` (None when it has none), and the other dialects'
    SQL or error compiled in a sandbox worker (:func:`compile_dialects`)."""
    from ibert_inference.compiler import compile_dialects
    from ibert_inference.errors import IbertError

    code = pair.ibis_code
    assert code is not None
    known = pair.verification.compiled_sql if pair.verification else None
    others = [dialect for dialect in dialects if dialect != "duckdb" or known is None]
    try:
        compiled = compile_dialects(code, pair.table_schemas, others) if others else {}
    except IbertError as exc:
        compiled = {d: {"error": str(exc), "error_type": type(exc).__name__} for d in others}
    return known, compiled


def _keep_dialects(
    build: Outcome,
    pair: Record,
    dialects: Sequence[str],
    known: str | None,
    compiled: dict[str, dict[str, Any]],
) -> None:
    """One ibis_to_sql record of ``pair`` per dialect it compiled to; the others counted."""
    code = pair.ibis_code
    assert code is not None
    for dialect in dialects:
        sql = known if dialect == "duckdb" and known is not None else None
        outcome = compiled.get(dialect, {})
        sql = sql or outcome.get("sql")
        if sql is None:
            build.counts[f"compile_failed_{dialect}"] += 1
            build.counts[f"error_{outcome.get('error_type', 'IbertError')}"] += 1
            continue
        assert pair.verification is not None  # every pair was verified
        verification = pair.verification.model_copy(
            update={"compiled_by": "ibis", "dialect": dialect}
        )
        build.keep(
            derived(
                pair,
                "ibis_to_sql",
                IbisToSqlInput(ibis=code, dialect=dialect),
                IbisToSqlTarget(sql=sql),
                dialect=dialect,
                verification=verification,
            ),
            f"kept_{dialect}",
        )


def build(upstream: Upstream) -> Outcome:
    # originals in every dialect; variants in DuckDB, whose SQL ran when they were verified
    built = ibis_to_sql_records([*upstream.written_pairs, *upstream.mined_pairs], upstream.dialects)
    built.extend(ibis_to_sql_records(upstream.augmented_pairs, ["duckdb"]))
    return built


MODEL_METRICS: dict[str, Callable[[Row], float]] = {
    "execution_accuracy": lambda r: float(bool(r["model"])),
}


def scorable(record: Record) -> bool:
    if isinstance(record.input, IbisToSqlInput):
        # an input without a dialect is DuckDB's; one that names none (null) is not scored
        return "dialect" not in record.input.model_fields_set or record.input.dialect == "duckdb"
    return True


def evaluate_ibis_to_sql(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    from ibert_inference import ibis_to_sql, verify_pair
    from ibert_inference.model.prompts import extract_code, to_sql_prompt

    duck = [r for r in records if scorable(r)]
    conversations = [
        to_sql_prompt(
            r.input_as(IbisToSqlInput).ibis,
            r.table_schemas,
            "duckdb",
            model_demonstrations(model, "ibis_to_sql", r.input),
        )
        for r in duck
    ]
    replies = model.generate(conversations) if model is not None and duck else []

    def judge(record: Record, reply: str | None) -> Execution:
        code, schema = record.input_as(IbisToSqlInput).ibis, record.table_schemas
        sql, error = safe(lambda: ibis_to_sql(code, schema))
        deterministic = bool(sql) and verify_pair(sql, code, schema).ok
        model_ok = None if reply is None else verify_pair(extract_code(reply), code, schema).ok
        return deterministic, model_ok, error

    return execution_accuracy("ibis_to_sql", duck, replies, judge)
