"""``ibert-build``: materialize every asset partition in dependency order, through Dagster.

Each (asset, partition) runs as one ``dagster.materialize`` call with the asset's checks, so the
build and the UI see the same runs, checks and metadata. Steps run in parallel worker processes,
each as soon as the partitions it reads are built (a template's variants while other templates
are still expanding, a repository's mining beside both), and a failed step does not stop its
siblings:

- a partition that did not materialize (a repository that cannot be cloned) skips the same
  partition downstream; assets that read every partition build from the ones that exist;
- a failed blocking check means bad data is stored: everything downstream of that partition
  is skipped, as Dagster's blocking checks skip it within one run.

The build ends with a summary table and exits 1 when anything failed or was skipped.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
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


Step = tuple[str, str]  # (asset, partition)

# Among the steps that are ready, which run first: the long single steps of mining, then each
# template's variants as soon as the template is done (so chains finish and their partitions
# are stored early), then everything that waits for whole assets.
PRIORITY = (
    "repo_snapshots",
    "mined_examples",
    "docs_examples",
    "augmented_examples",
    "template_examples",
    "multitask_examples",
    "train_complete",
    "model_evaluation",
)


def build(selected: list[str], *, workers: int, echo: Any = _echo) -> list[StepResult]:
    """Materialize every partition of ``selected``, each step as soon as what it reads is built.

    Steps run in ``workers`` processes; a step whose upstream failed is reported as skipped.
    """
    _prepare_instance()  # before _quiet_dagster: its advice on a missing dagster.yaml shows once
    _quiet_dagster()
    from ibert_assets.definitions import defs

    known = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    order = [a for a in ASSET_ORDER if a in selected and a in known]
    waiting, alike = _dependencies(order)
    total = len(waiting)
    outcomes: dict[Step, StepResult] = {}  # in the order the steps ended

    def report(step: StepResult) -> None:
        outcomes[(step.asset, step.partition)] = step
        status = "ok" if step.ok else "FAILED"
        detail = f"{step.records} records, {step.rejects} rejects, {step.seconds:.1f}s"
        if step.failed_checks:
            detail += f", failed checks: {', '.join(step.failed_checks)}"
        if step.error:
            detail += f" — {step.error}"
        echo(f"[{len(outcomes)}/{total}] {step.asset}[{step.partition}] {status}: {detail}")

    running: dict[Future[StepResult], Step] = {}
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        while waiting or running:
            ready = sorted(
                (step for step, needs in waiting.items() if needs <= outcomes.keys()),
                key=lambda step: (PRIORITY.index(step[0]), step[1]),
            )
            for step in ready:
                skipped = _skipped(step, waiting[step], alike, outcomes)
                if skipped is not None:
                    del waiting[step]
                    report(skipped)
                elif len(running) < max(1, workers):
                    del waiting[step]
                    running[pool.submit(materialize_partition, *step)] = step
            if not running:
                continue  # skipping made other steps ready
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                del running[future]
                report(future.result())
    return list(outcomes.values())


def _dependencies(order: list[str]) -> tuple[dict[Step, set[Step]], set[tuple[str, str]]]:
    """What each step reads among the selected steps, and the (asset, upstream) pairs alike.

    Upstream assets partitioned alike map partition to partition (a repository's snapshot to
    its mined code); the others are read whole, from the partitions that exist.
    """
    needs: dict[Step, set[Step]] = {}
    alike: set[tuple[str, str]] = set()
    for asset in order:
        keys = partitions_of(asset)
        upstream = [u for u in _upstream(asset) if u in order]
        for parent in upstream:
            if partitions_of(parent) == keys:
                alike.add((asset, parent))
        for key in keys:
            needs[(asset, key)] = {
                (parent, parent_key)
                for parent in upstream
                for parent_key in ([key] if (asset, parent) in alike else partitions_of(parent))
            }
    return needs, alike


def _skipped(
    step: Step, needs: set[Step], alike: set[tuple[str, str]], outcomes: dict[Step, StepResult]
) -> StepResult | None:
    """The skip of ``step`` when what it reads failed, else None.

    A partition read alone must have materialized. Of an asset read whole, a partition that did
    not materialize is left out, but a failed blocking check means bad data is stored: the step
    is skipped, and so is everything downstream of it.
    """
    asset, key = step
    for need in sorted(needs):
        upstream = outcomes[need]
        if upstream.ok:
            continue
        if not upstream.blocking_failed and (asset, upstream.asset) not in alike:
            continue  # read whole: that partition is left out
        if upstream.error.startswith("skipped:"):  # name the step where the failure started
            return replace(upstream, asset=asset, partition=key)
        name = f"{upstream.asset}[{upstream.partition}]"
        if upstream.blocking_failed:
            return StepResult(asset, key, False, blocking_failed=True,
                              error=f"skipped: {name} failed a blocking check")  # fmt: skip
        return StepResult(asset, key, False, error=f"skipped: {name} failed")
    return None


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


EVALUATION_HINT = (
    "model_evaluation is not part of the default build (it runs a model on every task): "
    "`ibert-build --select model_evaluation` builds it, with the model IBERT_MODEL_NAME names"
)


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
    if "model_evaluation" not in selected:
        print(EVALUATION_HINT)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
