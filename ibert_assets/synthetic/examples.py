"""Synthetic examples: one world's generated queries, translated by the deterministic
translator and verified by execution on the verifier's databases; plain functions, no Dagster.

Only verified pairs become records. What the translator refuses and what the verifier finds
wrong are not dropped silently: both are stored as rejects and counted per construct
(:attr:`SyntheticBuild.by_construct`), so every build is also a fuzzing run of the translator.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ibert_assets.outcome import Outcome
from ibert_assets.synthetic.coherence import world_problems
from ibert_assets.synthetic.queries import Query, generate_queries
from ibert_assets.synthetic.worlds import World, generate_world
from ibert_inference.dataset.record import VERIFIED, Record, make_id
from ibert_inference.errors import IbertError

# schema structures grow with worlds, SQL shapes with queries, and a partition costs ~1 s of
# Dagster and checks besides its queries: 160 worlds of 24 queries of new shapes take a
# default build's sql_to_ibis past 5,000 SQL shapes and 1,000 schema structures (README,
# "Synthetic worlds")
DEFAULT_QUERIES_PER_WORLD = 24


class SyntheticWorldError(IbertError):
    """A generated world breaks the coherence rules (:mod:`.coherence`)."""


PHASES = ("generation", "translation", "verification")


@dataclass
class SyntheticBuild:
    """One world's outcome, its refusals and mismatches per construct, and where time went."""

    outcome: Outcome
    world: World
    by_construct: Counter[str] = field(default_factory=Counter)  # "refused:cte", "verified:cte"
    levels: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))


def world_group(world_key: str) -> str:
    """The split group of a world: all of its records land in one split."""
    return f"world:{world_key}"


def synthetic_record(world: World, query: Query, ibis_code: str, verdict: Any) -> Record:
    """The verified pair of ``query`` as a ``sql_to_ibis`` record of source ``synthetic``."""
    import ibis

    input_, target = {"sql": query.sql, "dialect": "duckdb"}, {"ibis": ibis_code}
    schema = world.schema(query.tables)
    return Record(
        id=make_id("sql_to_ibis", input_, target),
        task="sql_to_ibis",
        dialect="duckdb",
        backend="duckdb",
        ibis_version=ibis.__version__,
        context={"tables": {t: {"schema": cols} for t, cols in schema.items()}},
        input=input_,
        target=target,
        meta={
            "source": "synthetic",
            # a world stands where a template file does: held out whole, seen or unseen
            "template": f"synthetic/{world.key}",
            "family": query.constructs[0] if query.constructs else None,
            "features": sorted(set(query.constructs)),
            "difficulty": query.level,
            "description": query.question,
            "group": world_group(world.key),
            "world": world.key,
            "domain": world.domain,
            "layout": world.layout,
            "complexity": query.level,
        },
        verification={
            "method": "differential_execution",
            "status": VERIFIED,
            "databases": verdict.databases,
            "seed": verdict.seed,
            "order_checked": verdict.order_checked,
            "compiled_sql": verdict.compiled_sql,
        },
    )


def build_synthetic_examples(
    world_key: str, *, queries: int = DEFAULT_QUERIES_PER_WORLD, seed: int = 0
) -> SyntheticBuild:
    """Generate the world ``world_key`` and ``queries`` queries over it; translate and verify
    each; keep the verified pairs."""
    from ibert_inference import sql_to_ibis, verify_pair

    start = time.perf_counter()
    world = generate_world(world_key, seed)
    problems = world_problems(world)
    if problems:  # a generator bug: no record of an incoherent world is worth keeping
        raise SyntheticWorldError(
            f"world {world_key} (seed {seed}) is incoherent: {'; '.join(problems)}; "
            "fix the generator in ibert_assets/synthetic/worlds.py"
        )
    generated = generate_queries(world, queries, seed=seed)
    build = SyntheticBuild(Outcome(), world)
    build.seconds["generation"] = time.perf_counter() - start
    outcome = build.outcome
    for query in generated:
        # the tables the query reads: what the translation needs and the verifier fills
        schema = world.schema(query.tables)
        outcome.counts["generated"] += 1
        build.levels[query.level] += 1
        item = {"sql": query.sql, "constructs": list(query.constructs), "world": world.key}
        began = time.perf_counter()
        try:
            code = sql_to_ibis(query.sql, schema).code
        except IbertError as exc:
            build.seconds["translation"] += time.perf_counter() - began
            outcome.reject(item, "refused", f"{type(exc).__name__}: {exc}")
            build.by_construct.update(f"refused:{c}" for c in set(query.constructs))
            continue
        translated = time.perf_counter()
        build.seconds["translation"] += translated - began
        verdict = verify_pair(query.sql, code, schema, seed=seed)
        build.seconds["verification"] += time.perf_counter() - translated
        if not verdict.ok:
            outcome.reject({**item, "ibis": code}, verdict.status, verdict.reason)
            build.by_construct.update(f"{verdict.status}:{c}" for c in set(query.constructs))
            continue
        if outcome.keep(synthetic_record(world, query, code, verdict), "verified"):
            build.by_construct.update(f"verified:{c}" for c in set(query.constructs))
    outcome.seconds = time.perf_counter() - start
    return build


def construct_table(by_construct: Counter[str]) -> list[tuple[str, dict[str, int]]]:
    """Per construct, how many queries ended in each status, constructs sorted."""
    rows: dict[str, dict[str, int]] = {}
    for key, count in by_construct.items():
        status, _, construct = key.partition(":")
        rows.setdefault(construct, {})[status] = count
    return sorted(rows.items())
