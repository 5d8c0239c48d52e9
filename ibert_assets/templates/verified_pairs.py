"""Template examples and their variants as records: plain functions, no Dagster."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ibert_assets.outcome import Outcome
from ibert_assets.templates.augment import Pair, variants
from ibert_assets.templates.loader import TemplateExample, expand_template, load_template
from ibert_inference.dataset.record import (
    VERIFIED,
    Record,
    SqlToIbisInput,
    SqlToIbisTarget,
    make_id,
    template_group,
)


def pair_record(
    *,
    sql: str,
    ibis: str,
    schema: dict[str, dict[str, str]],
    meta: dict[str, Any],
    verdict: Any,
    dialect: str = "duckdb",
) -> Record:
    """The canonical SQL<->Ibis pair record (task ``sql_to_ibis``); ``sql`` is written in
    ``dialect`` (the verified DuckDB SQL is sqlglot's transpilation of it)."""
    import ibis as ibis_module

    input_, target = {"sql": sql, "dialect": dialect}, {"ibis": ibis}
    return Record(
        id=pair_id(sql, ibis, dialect),
        task="sql_to_ibis",
        dialect=dialect,
        backend="duckdb",
        ibis_version=ibis_module.__version__,
        context={"tables": {t: {"schema": dict(cols)} for t, cols in schema.items()}},
        input=input_,
        target=target,
        meta=meta,
        provenance=None,
        verification={
            "method": "differential_execution",
            "status": verdict.status,
            "databases": verdict.databases,
            "seed": verdict.seed,
            "order_checked": verdict.order_checked,
            "compiled_sql": verdict.compiled_sql,  # the DuckDB SQL of the Ibis side that ran
        },
    )


def pair_id(sql: str, ibis: str, dialect: str = "duckdb") -> str:
    """The id of the pair record :func:`pair_record` makes of ``sql`` and ``ibis``."""
    return make_id("sql_to_ibis", {"sql": sql, "dialect": dialect}, {"ibis": ibis})


def example_meta(example: TemplateExample, source: str = "template") -> dict[str, Any]:
    return {
        "source": source,
        "template": example.template,
        "family": example.family,
        "variation": example.variation,
        "features": list(example.features),
        "difficulty": example.difficulty,
        "description": example.description,
        # the values the query's columns may hold: augmentation draws new literals from them
        **({"domains": example.domains} if example.domains else {}),
        # all variations of a family share a split: they differ only in literals
        "group": template_group(example.template, example.family),
    }


def build_template_examples(path: Path, *, seed: int = 0) -> Outcome:
    """Load, expand and verify one template file. A TemplateError propagates: the file is bad."""
    from ibert_inference import verify_pair

    start = time.perf_counter()
    outcome = Outcome()
    for example in expand_template(load_template(path)):
        outcome.counts["generated"] += 1
        verdict = verify_pair(example.sql, example.ibis, example.schema, seed=seed)
        meta = example_meta(example)
        if verdict.ok:
            outcome.keep(
                pair_record(
                    sql=example.sql, ibis=example.ibis, schema=example.schema, meta=meta,
                    verdict=verdict,
                ),
                VERIFIED,
            )  # fmt: skip
        else:
            item = {"sql": example.sql, "ibis": example.ibis, "meta": meta}
            outcome.reject(item, verdict.status, verdict.reason)
    outcome.seconds = time.perf_counter() - start
    return outcome


def build_augmented_examples(
    records: Iterable[Record], *, seed: int = 0, renames: int = 1
) -> Outcome:
    """Variants of verified template pairs, each verified again; duplicates of known ids dropped."""
    from ibert_inference import verify_pair

    start = time.perf_counter()
    records = list(records)
    outcome = Outcome(seen={record.id for record in records})  # an original is no variant
    for index, record in enumerate(records):
        given, wanted = record.input, record.target
        if not isinstance(given, SqlToIbisInput) or not isinstance(wanted, SqlToIbisTarget):
            raise TypeError(f"record {record.id} is a {record.task} record, not a pair")
        pair = Pair(
            given.sql, wanted.ibis, record.table_schemas,
            description=record.meta.description or "", domains=dict(record.meta.domains or {}),
        )  # fmt: skip
        for variant in variants(pair, seed=seed + index, renames=renames):
            outcome.counts["generated"] += 1
            if pair_id(variant.sql, variant.ibis, variant.dialect) in outcome.seen:
                # an example kept already (another operator made the same variant): verifying
                # it again would change nothing, it would be dropped as a duplicate
                outcome.counts["duplicates"] += 1
                continue
            verdict = verify_pair(
                variant.sql, variant.ibis, variant.schema, dialect=variant.dialect, seed=seed
            )
            meta = {
                **record.meta.model_dump(exclude_unset=True),
                "source": "augmented",
                "augmentation": variant.operator,
                "derived_from": record.id,
                # retold from the variation; None where no true wording could be derived
                "description": variant.description or None,
            }
            if not verdict.ok:
                item = {"sql": variant.sql, "ibis": variant.ibis, "meta": meta}
                outcome.reject(item, verdict.status, verdict.reason)
                continue
            new = pair_record(
                sql=variant.sql, ibis=variant.ibis, schema=variant.schema, meta=meta,
                verdict=verdict, dialect=variant.dialect,
            )  # fmt: skip
            outcome.keep(new, f"kept_{variant.operator}")
    outcome.seconds = time.perf_counter() - start
    return outcome
