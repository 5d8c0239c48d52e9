"""Mining assets: repository snapshots, verified pairs mined from code, documentation examples,
and the weekly schedule that re-mines every repository."""

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import dagster as dg
from pydantic import Field

from ibert_assets import checks
from ibert_assets.errors import SourceUnreachableError
from ibert_assets.metadata import (
    OWNERS,
    RECORD_COLUMNS,
    counts_table,
    dataset_metadata,
    stored_total,
)
from ibert_assets.mining.mine import mine_code, mine_docs
from ibert_assets.mining.repos import RepoSpec, load_repo_specs
from ibert_assets.mining.sensors import repositories_file_sensor
from ibert_assets.mining.snapshots import NO_NETWORK, Snapshot, snapshot_source
from ibert_assets.outcome import Outcome
from ibert_assets.settings import Settings
from ibert_assets.store import (
    DatasetStore,
    partition_path,
    read_records,
    read_rejects,
)
from ibert_inference.dataset.layout import DOCS_EXAMPLES
from ibert_inference.dataset.record import Record

MINING_SEED = 0
SNAPSHOT_RETRIES = 2  # an unreachable repository is tried this many more times, then skipped


class SnapshotConfig(dg.Config):
    fail_when_unreachable: bool = Field(
        default=False,
        description="An unreachable repository fails its step (after the retries) instead of "
        "being skipped with a 'skipped: unreachable' observation; the weekly re-mining sets it.",
    )


def _previous(store: DatasetStore, asset: str, partition: str) -> list[Record] | None:
    path = partition_path(store.base, asset, partition)
    return read_records(path) if path.exists() else None


def _mining_output(
    context: dg.AssetExecutionContext, outcome: Outcome, store: DatasetStore
) -> dg.Output[Outcome]:
    context.log.info(
        f"{context.partition_key}: read {outcome.counts['files_read']} files, "
        f"kept_unchanged {outcome.counts['kept_unchanged']} records, "
        f"{len(outcome.records)} records, {len(outcome.rejects)} rejects, "
        f"skipped {dict(outcome.skipped)}"
    )
    asset = context.assets_def.key.path[-1]
    total = stored_total(
        store.base, asset, replacing=context.partition_key, count=len(outcome.records)
    )
    metadata = dataset_metadata(outcome, total=total)
    metadata["skipped_files"] = counts_table(outcome.skipped, title="files")
    return dg.Output(outcome, metadata=metadata)


def mining_definitions(settings: Settings, partitions: dg.PartitionsDefinition) -> dg.Definitions:
    """The mining assets, their checks and the weekly re-mining: one partition per line of the
    settings' repositories file, clones in its clone cache."""
    snapshots, mined, docs = mining_assets(settings, partitions)
    limit = settings.max_rejection_rate
    assets = dg.Definitions(
        assets=[snapshots, mined, docs],
        asset_checks=[
            *checks.dataset_checks(
                mined, partitions, generation_seed=MINING_SEED, max_rejection_rate=limit
            ),
            *checks.dataset_checks(docs, partitions, reverify=False, max_rejection_rate=limit),
        ],
    )
    return dg.Definitions.merge(
        assets, remining([snapshots, mined, docs], partitions, settings.repos_file)
    )


def mining_assets(
    settings: Settings, partitions: dg.PartitionsDefinition
) -> tuple[dg.AssetsDefinition, dg.AssetsDefinition, dg.AssetsDefinition]:
    """``repo_snapshots``, ``mined_examples`` and ``docs_examples``."""
    repos_file, clone_cache = settings.repos_file, settings.clone_cache

    @dg.asset(
        partitions_def=partitions,
        group_name="mining",
        owners=OWNERS,
        kinds={"git"},
        description=(
            "One repository of repos.txt cloned (first run) or fetched (later runs) into the "
            "cache: head commit, SPDX license, file counts. An `installed:<package>` line "
            "snapshots the installed package instead (version for commit, no network). "
            "An unreachable repository is retried with backoff, then skipped: no "
            "materialization, an observation whose status is 'skipped: unreachable' (on the "
            "mined and docs assets too), and the run succeeds."
        ),
        retry_policy=dg.RetryPolicy(
            max_retries=SNAPSHOT_RETRIES, delay=1.0, backoff=dg.Backoff.EXPONENTIAL
        ),
        output_required=False,
    )
    def repo_snapshots(
        context: dg.AssetExecutionContext, config: SnapshotConfig
    ) -> Iterator[dg.Output[list[dict]] | dg.AssetObservation]:
        specs = {spec.name: spec for spec in load_repo_specs(repos_file)}
        yield from snapshot_events(
            specs[context.partition_key],
            clone_cache,
            fed=[dg.AssetKey("mined_examples"), dg.AssetKey(DOCS_EXAMPLES)],
            last_attempt=context.retry_number >= SNAPSHOT_RETRIES,
            fail_when_unreachable=config.fail_when_unreachable,
            log=context.log.warning,
        )

    @dg.asset(
        partitions_def=partitions,
        group_name="mining",
        owners=OWNERS,
        kinds={"python", "duckdb"},
        description=(
            "SQL found in the repository (Python strings and .sql()/raw_sql() calls, notebooks, "
            ".sql files, Markdown/Quarto/reST blocks) translated to Ibis and verified by "
            "execution, and Ibis chains compiled to SQL; nothing mined is ever run as Python. "
            "Incremental: an unmoved head re-reads nothing, a moved one only changed files."
        ),
        metadata={"dagster/column_schema": RECORD_COLUMNS},
    )
    def mined_examples(
        context: dg.AssetExecutionContext, dataset_store: DatasetStore, repo_snapshots: list[dict]
    ) -> dg.Output[Outcome]:
        snapshot = Snapshot.from_json(repo_snapshots[0])
        previous = _previous(dataset_store, "mined_examples", context.partition_key)
        rejects = read_rejects(dataset_store.base, "mined_examples", context.partition_key)
        outcome = mine_code(snapshot, previous, previous_rejects=rejects, seed=MINING_SEED)
        return _mining_output(context, outcome, dataset_store)

    @dg.asset(
        partitions_def=partitions,
        group_name="mining",
        owners=OWNERS,
        kinds={"python"},
        description=(
            "Documentation of the repository as examples: Q&A from page sections, code examples "
            "with their explanation, and public functions with docstrings that document every "
            "parameter. Also the corpus the qa task retrieves from."
        ),
        metadata={"dagster/column_schema": RECORD_COLUMNS},
    )
    def docs_examples(
        context: dg.AssetExecutionContext, dataset_store: DatasetStore, repo_snapshots: list[dict]
    ) -> dg.Output[Outcome]:
        snapshot = Snapshot.from_json(repo_snapshots[0])
        previous = _previous(dataset_store, DOCS_EXAMPLES, context.partition_key)
        return _mining_output(context, mine_docs(snapshot, previous), dataset_store)

    return repo_snapshots, mined_examples, docs_examples


def remining(
    assets: list[dg.AssetsDefinition], partitions: dg.PartitionsDefinition, repos_file: str
) -> dg.Definitions:
    """The job that re-mines one repository, and the weekly schedule that runs it for each;
    with dynamic partitions, the sensor that adds the repositories of ``repos_file``."""
    remine_job = dg.define_asset_job(
        "remine_repositories",
        selection=assets,  # partitioned by the repositories, as its assets are
        description="Fetch one repository and re-mine what changed since the last run.",
    )

    @dg.schedule(
        job=remine_job,
        cron_schedule="0 3 * * 1",
        description="Every Monday at 03:00, fetch every repository of repos.txt and re-mine it.",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )
    def weekly_remine(context: dg.ScheduleEvaluationContext):
        day = context.scheduled_execution_time.strftime("%Y-%m-%d")
        # only dynamic partitions live in the instance; static ones need none
        dynamic = isinstance(partitions, dg.DynamicPartitionsDefinition)
        store = context.instance if dynamic else None
        for key in partitions.get_partition_keys(dynamic_partitions_store=store):
            yield dg.RunRequest(
                run_key=f"{key}:{day}",
                partition_key=key,
                # an unattended run that cannot reach a repository should be seen to fail
                run_config={"ops": {"repo_snapshots": {"config": {"fail_when_unreachable": True}}}},
            )

    sensors = []
    if isinstance(partitions, dg.DynamicPartitionsDefinition):
        sensors.append(repositories_file_sensor(repos_file, partitions, remine_job))
    return dg.Definitions(jobs=[remine_job], schedules=[weekly_remine], sensors=sensors)


def snapshot_events(
    spec: RepoSpec,
    clone_cache: Path,
    *,
    fed: Sequence[dg.AssetKey] = (),
    last_attempt: bool = True,
    fail_when_unreachable: bool = False,
    log: Callable[[str], None] | None = None,
) -> Iterator[dg.Output[list[dict]] | dg.AssetObservation]:
    """The snapshot of one repository (cloned into ``clone_cache``) with its figures.

    A repository that cannot be reached fails the attempt while retries are left (Dagster's
    retry policy tries again), then is skipped: no output, and an observation with status
    ``skipped: unreachable`` on ``repo_snapshots`` and on every asset in ``fed``, so the run
    succeeds and the UI shows the partition missing with the reason, not failed. One that is
    unreachable for want of a network is skipped at the first attempt. With
    ``fail_when_unreachable`` every attempt is retried and the last fails too.
    """
    try:
        snapshot = snapshot_source(spec, clone_cache)
    except SourceUnreachableError as exc:
        # offline, a retry a second later finds the machine offline too: where an unreachable
        # source is skipped anyway, "no network" skips it at once (31 partitions of the offline
        # default build each waited 3 s of backoff and ran twice more: ~70 s of its wall clock)
        final = last_attempt or (exc.reason == NO_NETWORK and not fail_when_unreachable)
        if not final or fail_when_unreachable:
            raise exc.failure() from exc
        if log is not None:
            log(f"{spec.name}: skipped: {exc}")
        yield from exc.observations([dg.AssetKey("repo_snapshots"), *fed], spec.name)
        return
    yield dg.Output(
        [snapshot.to_json()],
        metadata={
            "commit": snapshot.commit,
            "previous_commit": snapshot.previous_commit or "",
            "license": snapshot.license,
            "files": counts_table(snapshot.file_counts, title="files"),
        },
    )
