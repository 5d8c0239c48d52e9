"""``ibert-build``: materialize every asset partition in dependency order, through Dagster.

Each (asset, partition) runs as one ``dagster.materialize`` call with the asset's checks, so the
build and the UI see the same runs, checks and metadata. The partitions of one asset run in
parallel worker processes, and a failed partition does not stop its siblings:

- a partition that did not materialize (a repository that cannot be cloned) skips the same
  partition downstream; assets that read every partition build from the ones that exist;
- a failed blocking check means bad data is stored: everything downstream of that asset is
  skipped, as Dagster's blocking checks skip it within one run.

The build ends with a summary table and exits 1 when anything failed or was skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Dependency order of the graph (DESIGN.md "Data flow").
ASSET_ORDER = (
    "template_examples",
    "augmented_examples",
    "repo_snapshots",
    "mined_examples",
    "docs_examples",
    "multitask_examples",
    "train_complete",
    "model_evaluation",
)


@dataclass
class StepResult:
    asset: str
    partition: str
    ok: bool
    records: int = 0
    rejects: int = 0
    seconds: float = 0.0
    failed_checks: list[str] = field(default_factory=list)
    blocking_failed: bool = False
    error: str = ""


def _quiet_dagster() -> None:
    """The build prints one line per partition: Dagster's preview notices add nothing to it."""
    import logging
    import warnings

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    dagster_log = logging.getLogger("dagster")
    if not any(isinstance(f, _SaidOnce) for f in dagster_log.filters):
        dagster_log.addFilter(_SaidOnce())


class _SaidOnce:
    """Drops a Dagster log line that every worker would repeat, once the build has shown it.

    Each worker opens the instance, and Dagster warns at each opening of a DAGSTER_HOME that
    has no dagster.yaml; the build opens it once before the workers start.
    """

    REPEATED = "No dagster instance configuration file"

    def filter(self, record: object) -> bool:
        message = getattr(record, "msg", "")
        return not (isinstance(message, str) and message.startswith(self.REPEATED))


def materialize_partition(asset: str, partition: str) -> StepResult:
    """One (asset, partition) with its checks, in this process; never raises."""
    import dagster as dg

    _quiet_dagster()
    from ibert_assets.definitions import defs
    from ibert_assets.resources import default_resources

    start = time.perf_counter()
    try:
        instance = dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None
        result = dg.materialize(
            # no cacheable assets in this project: every entry is a plain definition
            [*(defs.assets or ()), *(defs.asset_checks or ())],  # type: ignore[list-item]
            selection=dg.AssetSelection.assets(asset),
            partition_key=partition,
            resources=default_resources(),
            instance=instance,
            raise_on_error=False,
            tags={"ibert/build": "true"},
            # the build prints one line per partition (a failed check's name, an error's last
            # line); Dagster's own log, stack traces included, stays in the run's event log
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
    except Exception as exc:  # a definitions or instance error: this step's failure
        return StepResult(asset, partition, False, error=f"{type(exc).__name__}: {exc}")
    failed = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    blocking_failed = [
        e.check_name
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    records = rejects = 0
    for materialization in result.asset_materializations_for_node(asset):
        records = _int(materialization.metadata.get("records"))
        rejects = _int(materialization.metadata.get("rejects"))
    error = ""
    if not result.success:
        error = _first_error(result) or "the run failed"
    return StepResult(
        asset,
        partition,
        ok=result.success and not blocking_failed,
        records=records,
        rejects=rejects,
        seconds=time.perf_counter() - start,
        failed_checks=failed,
        blocking_failed=bool(blocking_failed),
        error=error,
    )


def _int(value: object) -> int:
    return int(getattr(value, "value", value) or 0)  # type: ignore[call-overload]


def _first_error(result: object) -> str:
    for event in result.all_events:  # type: ignore[attr-defined]
        if event.is_step_failure:
            error = event.step_failure_data.error
            while error is not None and error.cause is not None:  # the user's error, not Dagster's
                error = error.cause
            message = error.message.strip().splitlines()[-1] if error else ""
            return message[:300]
    return ""


def partitions_of(asset: str) -> list[str]:
    from ibert_assets.definitions import defs

    spec = defs.resolve_assets_def(asset)
    return list(spec.partitions_def.get_partition_keys()) if spec.partitions_def else [""]


def _echo(line: str) -> None:
    print(line, flush=True)  # progress must show at once, also when stdout is a file or pipe


def build(selected: list[str], *, workers: int, echo: Any = _echo) -> list[StepResult]:
    _prepare_instance()  # before _quiet_dagster: its advice on a missing dagster.yaml shows once
    _quiet_dagster()
    from ibert_assets.definitions import defs

    known = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    results: list[StepResult] = []
    blocked: set[str] = set()  # a blocking check failed: downstream would read bad data
    missing: dict[str, set[str]] = {}  # partitions that did not materialize, per asset
    order = [a for a in ASSET_ORDER if a in selected and a in known]
    total = sum(len(partitions_of(asset)) for asset in order)
    done = 0

    def report(step: StepResult) -> None:
        nonlocal done
        done += 1
        results.append(step)
        if not step.ok:
            missing.setdefault(step.asset, set()).add(step.partition)
        if step.blocking_failed:
            blocked.add(step.asset)
        status = "ok" if step.ok else "FAILED"
        detail = f"{step.records} records, {step.rejects} rejects, {step.seconds:.1f}s"
        if step.failed_checks:
            detail += f", failed checks: {', '.join(step.failed_checks)}"
        if step.error:
            detail += f" — {step.error}"
        echo(f"[{done}/{total}] {step.asset}[{step.partition}] {status}: {detail}")

    for asset in order:
        keys = partitions_of(asset)
        upstream = _upstream(asset)
        if upstream & blocked:
            names = ", ".join(sorted(upstream & blocked))
            echo(f"skip {asset}: a blocking check of {names} failed")
            blocked.add(asset)
            done += len(keys)
            continue
        # upstream assets partitioned alike map partition to partition (a repository's snapshot
        # to its mined code); the others are read whole, from the partitions that exist
        alike = sorted(u for u in upstream if partitions_of(u) == keys)
        runnable = []
        for key in keys:
            lost = [u for u in alike if key in missing.get(u, ())]
            if lost:
                report(StepResult(asset, key, False, error=f"skipped: {lost[0]}[{key}] failed"))
            else:
                runnable.append(key)
        with ProcessPoolExecutor(max_workers=max(1, min(workers, len(runnable) or 1))) as pool:
            futures = [pool.submit(materialize_partition, asset, key) for key in runnable]
            for future in as_completed(futures):
                report(future.result())
    return results


def _prepare_instance() -> None:
    """Create the instance's storage once, before workers share it.

    A fresh ``DAGSTER_HOME`` gets its SQLite tables from the first process that opens it; two
    workers opening it at once both try to create them and one fails.
    """
    if os.environ.get("DAGSTER_HOME"):
        import dagster as dg

        dg.DagsterInstance.get().dispose()


def _upstream(asset: str) -> set[str]:
    from ibert_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    key = defs.resolve_assets_def(asset).key
    return {parent.to_user_string() for parent in graph.get(key).parent_keys}


def summary(results: list[StepResult]) -> str:
    rows = ["asset                 partitions  failed   records   rejects   seconds"]
    for asset in ASSET_ORDER:
        mine = [r for r in results if r.asset == asset]
        if not mine:
            continue
        rows.append(
            f"{asset:<22}{len(mine):>10}{sum(not r.ok for r in mine):>8}"
            f"{sum(r.records for r in mine):>10}{sum(r.rejects for r in mine):>10}"
            f"{sum(r.seconds for r in mine):>10.1f}"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ibert-build", description="Materialize every iBERT dataset through Dagster."
    )
    parser.add_argument(
        "--select", help="comma-separated asset names (default: all but model_evaluation)"
    )
    parser.add_argument("--data-dir", help="dataset store base (sets IBERT_DATA_DIR)")
    parser.add_argument("--repos-file", help="repositories to mine (sets IBERT_REPOS_FILE)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="parallel partitions"
    )
    args = parser.parse_args(argv)
    if args.data_dir:
        os.environ["IBERT_DATA_DIR"] = args.data_dir
    if args.repos_file:
        if not Path(args.repos_file).exists():
            print(f"ibert-build: error: {args.repos_file} does not exist", file=sys.stderr)
            return 2
        os.environ["IBERT_REPOS_FILE"] = str(Path(args.repos_file).resolve())
    selected = (
        [name.strip() for name in args.select.split(",") if name.strip()]
        if args.select
        else [a for a in ASSET_ORDER if a != "model_evaluation"]
    )
    unknown = [name for name in selected if name not in ASSET_ORDER]
    if unknown:
        choices = ", ".join(ASSET_ORDER)
        print(f"ibert-build: error: unknown asset {unknown[0]!r}; choose from {choices}",
              file=sys.stderr)  # fmt: skip
        return 2
    start = time.perf_counter()
    results = build(selected, workers=args.workers)
    print()
    print(summary(results))
    failed = [r for r in results if not r.ok]
    where = os.environ.get("IBERT_DATA_DIR", "data")
    elapsed = time.perf_counter() - start
    print(f"\n{len(results) - len(failed)} of {len(results)} partitions built in {elapsed:.0f}s; "
          f"data in {where}")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
