"""What every dataset asset check does, as plain functions over the STORED partition.

The file is read back with DuckDB (``read_json_objects``), never taken from the in-memory object the
asset returned: a check must see what a user downloads. The schema check reads the raw JSON
objects (its JSON Schema is what a user without this package validates with); the others read
them as :class:`Record`. Each function returns a
:class:`CheckOutcome`; the Dagster checks in each domain wrap it in an ``AssetCheckResult``.
"""

import json
import random
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import dagster as dg
from pydantic import Field

from ibert_assets.metadata import per_partition_figures
from ibert_assets.settings import Settings
from ibert_assets.store import DatasetStore, partition_path, read_rejects
from ibert_inference.dataset.record import (
    IbisToSqlInput,
    IbisToSqlTarget,
    Record,
    RecordError,
    SqlToIbisInput,
    SqlToIbisTarget,
    record_json_schema,
    records_from_lines,
)

REVERIFY_SEED_OFFSET = 1_000
# Dagster 1.13's notice on every check of a partitioned asset; the project relies on that preview
# feature knowingly (README), and the notice, once per check, opened every `dagster dev` start
PARTITIONED_CHECK_NOTICE = "Specifying a partitions_def on an AssetCheckSpec"


def asset_check(**options: Any) -> Callable[[Callable[..., Any]], dg.AssetChecksDefinition]:
    """``dg.asset_check(**options)`` without the preview notice of partitioned checks."""

    def decorate(function: Callable[..., Any]) -> dg.AssetChecksDefinition:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=PARTITIONED_CHECK_NOTICE, category=dg.PreviewWarning
            )
            return dg.asset_check(**options)(function)

    return decorate


@dataclass
class CheckOutcome:
    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def result(
        self,
        *,
        warn: bool = False,
        partition: str | None = None,
        check: dg.AssetCheckKey | None = None,
    ) -> dg.AssetCheckResult:
        """The Dagster result; ``partition`` (the one checked) heads its description and
        metadata, so that a result read beside another partition's says whose it is; ``check``
        names the check where one step judges several."""
        severity = dg.AssetCheckSeverity.WARN if warn else dg.AssetCheckSeverity.ERROR
        metadata = per_partition_figures(self.metadata)
        description = self.description
        if partition is not None:
            verdict = "passed" if self.passed else "FAILED"
            description = f"partition {partition} {verdict}: {description}"
            metadata = {"partition": dg.MetadataValue.text(partition), **metadata}
        return dg.AssetCheckResult(
            passed=self.passed,
            description=description,
            metadata=metadata,
            severity=severity,
            check_name=check.name if check else None,
            asset_key=check.asset_key if check else None,
        )


def checked_partition(context: dg.AssetCheckExecutionContext) -> str | None:
    """The partition a check ran on, None for an unpartitioned asset."""
    return context.partition_key if context.has_partition_key else None


def checked_records(
    context: dg.AssetCheckExecutionContext,
    store: DatasetStore,
    asset: str,
    parts: Sequence[str] | None = None,
) -> list[Record]:
    """What a check reads: the run's partition, or every stored part of a split asset."""
    keys = parts or [context.partition_key]
    return [r for key in keys for r in stored_records(store.base, asset, key)]


def checked_rows(
    context: dg.AssetCheckExecutionContext,
    store: DatasetStore,
    asset: str,
    parts: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """:func:`checked_records` as raw JSON objects, for the schema check."""
    keys = parts or [context.partition_key]
    return [json.loads(r) for key in keys for r in stored_lines(store.base, asset, key)]


def stored_records(base: str, asset: str, partition: str) -> list[Record]:
    """Every record of a stored partition, read back with DuckDB and validated."""
    where = partition_path(base, asset, partition)
    return records_from_lines(stored_lines(base, asset, partition), f"{where}: record {{}}")


def stored_lines(base: str, asset: str, partition: str) -> list[str]:
    """Every JSON object of a stored partition as text, read back with DuckDB."""
    from ibert_inference.sandbox.locked_duckdb import locked_connection

    path = partition_path(base, asset, partition)
    if not path.exists():
        return []
    # the store's own files, read with file access; no extension is fetched or loaded
    connection = locked_connection(files=True)
    if path.protocol not in ("", "file", "local"):
        connection.register_filesystem(path.fs)
        location = str(path)
    else:
        location = path.path
    if path.stat().st_size == 0:
        return []
    rows = connection.execute(
        "SELECT json FROM read_json_objects(?, format = 'newline_delimited')", [location]
    ).fetchall()
    return [str(row[0]) for row in rows]


@lru_cache(maxsize=1)
def _record_validator() -> Callable[[Any], Any]:
    """The record's JSON Schema compiled to Python once: 40x faster than interpreting it."""
    import fastjsonschema

    return fastjsonschema.compile(record_json_schema())


def schema_check(records: list[dict[str, Any]]) -> CheckOutcome:
    """Every record passes the record's JSON Schema."""
    import fastjsonschema

    validate = _record_validator()
    failures = []
    for record in records:
        try:
            validate(record)
        except fastjsonschema.JsonSchemaValueException as error:
            name = error.name or "data"
            where = name.removeprefix("data").lstrip(".") or "(record)"
            message = error.message.removeprefix(name).strip()
            failures.append(f"{record.get('id', '?')}: {where}: {message}"[:200])
    return CheckOutcome(
        passed=not failures,
        description=(
            f"all {len(records)} records match the JSON Schema"
            if not failures
            else f"{len(failures)} of {len(records)} records break the JSON Schema"
        ),
        metadata={"records": len(records), "invalid": len(failures), "examples": failures[:5]},
    )


def unique_ids_check(records: list[Record]) -> CheckOutcome:
    counts: Counter[str] = Counter(record.id for record in records)
    repeated = {key: n for key, n in counts.items() if n > 1}
    return CheckOutcome(
        passed=not repeated,
        description=(
            f"{len(counts)} distinct ids"
            if not repeated
            else f"{len(repeated)} ids appear more than once"
        ),
        metadata={"records": len(records), "repeated_ids": sorted(repeated)[:10]},
    )


def reverify_check(
    records: list[Record],
    *,
    seed: int,
    verify: Callable[[Record, int], Any] | None = None,
    require_records: bool = True,
) -> CheckOutcome:
    """Re-verify every pair on databases generated with another seed than generation used.

    A pair that disagrees or fails there fails the check. One that is empty on every database of
    the new seed (a query selective enough to find no row by chance: customers without orders,
    say) gives no evidence either way: it is counted and shown, not failed.
    """
    verify = verify or verify_record
    failures, vacuous = [], []
    checked = 0
    for record in records:
        verdict = verify(record, seed)
        if verdict is None:
            continue
        checked += 1
        if verdict.status == "vacuous":
            vacuous.append(record.id)
        elif not verdict.ok:
            failures.append(f"{record.id}: {verdict.status}: {verdict.reason}"[:200])
    if require_records and not records:
        return CheckOutcome(False, "no verified records: every example was rejected", {})
    description = (
        f"{checked - len(vacuous)} pairs verified again with seed {seed}"
        if not failures
        else f"{len(failures)} of {checked} pairs fail with seed {seed}"
    )
    if vacuous:
        description += f"; {len(vacuous)} empty on every database of that seed (no evidence)"
    return CheckOutcome(
        passed=not failures,
        description=description,
        metadata={
            "checked": checked,
            "failed": len(failures),
            "vacuous": len(vacuous),
            "seed": seed,
            "examples": failures[:5],
            "vacuous_examples": vacuous[:5],
        },
    )


def verify_record(record: Record, seed: int) -> Any:
    """Verify a pair record (sql_to_ibis or ibis_to_sql in DuckDB); None for other tasks."""
    from ibert_inference import verify_pair

    schema, given, wanted = record.table_schemas, record.input, record.target
    if isinstance(given, SqlToIbisInput) and isinstance(wanted, SqlToIbisTarget):
        return verify_pair(
            given.sql, wanted.ibis, schema, seed=seed, dialect=given.dialect or "duckdb"
        )
    if isinstance(given, IbisToSqlInput) and isinstance(wanted, IbisToSqlTarget):
        dialect = given.dialect or record.dialect or "duckdb"
        if dialect == "duckdb" and schema:
            return verify_pair(wanted.sql, given.ibis, schema, seed=seed)
    return None


def rejection_rate_check(
    base: str, asset: str, partition: str, kept: int, *, limit: float
) -> CheckOutcome:
    """Rejected / generated stays under ``limit`` (``kept`` records stored): a warning."""
    rejects = read_rejects(base, asset, partition)
    total = kept + len(rejects)
    rate = len(rejects) / total if total else 0.0
    reasons = Counter(r.get("status", "unknown") for r in rejects)
    return CheckOutcome(
        passed=rate <= limit,
        description=f"rejection rate {rate:.1%} (limit {limit:.0%})",
        metadata={
            "rate": rate,
            "limit": limit,
            "rejected": len(rejects),
            "by_reason": dict(reasons),
        },
    )


Judge = Callable[[Any], CheckOutcome]
"""What a check concludes from what it read: records, the raw JSON objects (schema check), or
the records of each part by name (a check across splits)."""


def record_check(
    asset: dg.AssetsDefinition,
    name: str,
    judge: Judge,
    description: str,
    partitions_def: dg.PartitionsDefinition | None,
    parts: Sequence[str] = (),
    *,
    blocking: bool = False,
    read: Callable[..., list[Any]] = checked_records,
) -> dg.AssetChecksDefinition:
    """The asset check ``name`` of ``asset``: ``judge`` over the stored records it reads (the
    run's partition, or every one of ``parts``), an error when it fails. ``read`` is
    :func:`checked_records`, or :func:`checked_rows` for a judge of the raw JSON objects."""
    asset_name = asset.key.to_user_string()

    @asset_check(
        asset=asset,
        name=name,
        blocking=blocking,
        partitions_def=partitions_def,
        description=description,
    )
    def check(
        context: dg.AssetCheckExecutionContext, dataset_store: DatasetStore
    ) -> dg.AssetCheckResult:
        outcome = judge(read(context, dataset_store, asset_name, parts))
        return outcome.result(partition=checked_partition(context))

    return check


@dataclass(frozen=True)
class Judgement:
    """One named check of a stored partition, for :func:`judged_checks`."""

    name: str
    judge: Judge
    description: str
    blocking: bool = False
    reads_rows: bool = False  # the judge reads the raw JSON objects (the schema check)
    # the judge reads the records of each part apart, by part name (a check across splits)
    by_part: bool = False


def judged_checks(
    asset: dg.AssetsDefinition,
    judgements: Sequence[Judgement],
    partitions_def: dg.PartitionsDefinition | None,
    parts: Sequence[str] = (),
    *,
    name: str = "record_checks",
    rejection_limit: float | None = None,
) -> dg.AssetChecksDefinition:
    """The checks ``judgements`` of ``asset`` as one Dagster step, ``<asset>_<name>``.

    Each stays a check of its own (its name, description, blocking flag and result, selectable
    alone); together they read the stored partition (or every one of ``parts``) once, and parse
    each record once, where a step apiece read and parsed it once per check and paid Dagster's
    overhead of a step (~0.3 s) each: with seven checks per template partition, more than the
    checks themselves. A line that is no valid record fails every judge that reads records,
    saying which line; the schema check, which reads the raw objects, still names the field.

    ``rejection_limit``: the step also judges ``rejection_rate`` (a warning), the default of
    the limit its run config (``limit``) may change; the records it counts are the lines read.
    """
    asset_name = asset.key.to_user_string()
    keys = {j.name: dg.AssetCheckKey(asset.key, j.name) for j in judgements}
    rate_key = dg.AssetCheckKey(asset.key, "rejection_rate")

    def judge(
        context: dg.AssetCheckExecutionContext, dataset_store: DatasetStore, limit: float | None
    ) -> Iterator[dg.AssetCheckResult]:
        selected = [j for j in judgements if keys[j.name] in context.selected_asset_check_keys]
        partitions = list(parts) or [context.partition_key]
        stored = {key: stored_lines(dataset_store.base, asset_name, key) for key in partitions}
        parsed: dict[str, list[Record]] | RecordError | None = None
        for judgement in selected:
            if judgement.reads_rows:
                rows = [json.loads(line) for lines in stored.values() for line in lines]
                outcome = judgement.judge(rows)
            else:
                if parsed is None:
                    parsed = _parsed_records(dataset_store.base, asset_name, stored)
                if isinstance(parsed, RecordError):
                    outcome = CheckOutcome(False, f"a stored line is no valid record: {parsed}")
                elif judgement.by_part:
                    outcome = judgement.judge(parsed)
                else:
                    outcome = judgement.judge([r for found in parsed.values() for r in found])
            yield outcome.result(partition=checked_partition(context), check=keys[judgement.name])
        if limit is not None and rate_key in context.selected_asset_check_keys:
            partition = context.partition_key
            kept = len(stored[partition])  # a count: no record need be parsed
            outcome = rejection_rate_check(
                dataset_store.base, asset_name, partition, kept, limit=limit
            )
            yield outcome.result(warn=True, partition=partition, check=rate_key)

    if rejection_limit is None:

        def check(
            context: dg.AssetCheckExecutionContext, dataset_store: DatasetStore
        ) -> Iterator[dg.AssetCheckResult]:
            yield from judge(context, dataset_store, None)

    else:
        if parts:
            raise ValueError("the rejection rate is judged per partition, not over parts")
        check = _configured(judge, rejection_limit)

    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=PARTITIONED_CHECK_NOTICE, category=dg.PreviewWarning
        )
        specs = [
            dg.AssetCheckSpec(
                j.name,
                asset=asset,
                description=j.description,
                blocking=j.blocking,
                partitions_def=partitions_def,
            )
            for j in judgements
        ]
        if rejection_limit is not None:
            specs.append(
                dg.AssetCheckSpec(
                    rate_key.name,
                    asset=asset,
                    description="Rejected examples stay under the configured share (default "
                    f"{rejection_limit:.0%}).",
                    partitions_def=partitions_def,
                )
            )
        return dg.multi_asset_check(specs=specs, name=f"{asset_name}_{name}", can_subset=True)(
            check
        )


Judged = Callable[
    [dg.AssetCheckExecutionContext, DatasetStore, float | None], Iterator[dg.AssetCheckResult]
]


def _configured(judge: Judged, default: float) -> Callable[..., Iterator[dg.AssetCheckResult]]:
    """The step's function when it judges the rejection rate: its run config holds the limit,
    ``default`` unless set."""

    class RejectionRateConfig(dg.Config):
        limit: float = Field(
            default=default,
            ge=0.0,
            le=1.0,
            description="largest share of rejected examples "
            f"(default: IBERT_MAX_REJECTION_RATE or {Settings.max_rejection_rate})",
        )

    def check(
        context: dg.AssetCheckExecutionContext,
        config: RejectionRateConfig,
        dataset_store: DatasetStore,
    ) -> Iterator[dg.AssetCheckResult]:
        yield from judge(context, dataset_store, config.limit)

    return check


def _parsed_records(
    base: str, asset: str, stored: dict[str, list[str]]
) -> dict[str, list[Record]] | RecordError:
    """The stored lines of each partition as records, or the error naming the bad line."""
    try:
        return {
            key: records_from_lines(lines, f"{partition_path(base, asset, key)}: record {{}}")
            for key, lines in stored.items()
        }
    except RecordError as error:
        return error


def dataset_checks(
    asset: dg.AssetsDefinition,
    partitions_def: dg.PartitionsDefinition | None,
    *,
    parts: Sequence[str] = (),
    reverify: bool = True,
    rejection_rate: bool = True,
    generation_seed: int = 0,
    reverify_sample: int | None = None,
    max_rejection_rate: float = Settings.max_rejection_rate,
    also: Sequence[Judgement] = (),
) -> list[dg.AssetChecksDefinition]:
    """The standard checks of a dataset asset, per partition, over the stored file.

    ``max_rejection_rate`` is the default limit of the rejection-rate check (the settings'
    ``IBERT_MAX_REJECTION_RATE``); a run's config may change it.

    ``reverify_sample`` re-verifies that many pairs of each partition, drawn with a fixed seed,
    instead of all of them: for a dataset whose every pair was verified when it was made and
    that is large enough for re-verifying it all to cost as much as making it. ``parts`` names
    the stored files of an unpartitioned asset cut into splits; the checks read them all.
    ``also``: the asset's other checks of its stored records, judged in the same step
    (:func:`judged_checks`).
    """

    def reverified(records: list[Record]) -> CheckOutcome:
        if reverify_sample is not None and len(records) > reverify_sample:
            records = random.Random(0).sample(records, reverify_sample)
        return reverify_check(records, seed=generation_seed + REVERIFY_SEED_OFFSET)

    judgements = [
        Judgement(
            "records_match_schema",
            schema_check,
            "Every stored record (read back with DuckDB) passes the JSON Schema.",
            blocking=True,
            reads_rows=True,
        ),
        Judgement(
            "ids_unique", unique_ids_check, "No two stored records share an id.", blocking=True
        ),
    ]
    if reverify:
        description = (
            "Every stored pair verifies again on databases of another seed."
            if reverify_sample is None
            else f"{reverify_sample} stored pairs (a fixed sample) verify again on databases of "
            "another seed."
        )
        judgements.append(
            Judgement("reverified_on_fresh_seed", reverified, description, blocking=True)
        )
    limit = max_rejection_rate if rejection_rate else None
    return [
        judged_checks(asset, [*judgements, *also], partitions_def, parts, rejection_limit=limit)
    ]
