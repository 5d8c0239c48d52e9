"""``ibert-build``: materialize the asset graph through Dagster, stage by stage.

The asset graph is the only description of the pipeline. Its assets, in topological order, are
grouped into stages: consecutive assets that share a partitions definition form one stage, and
each (stage, partition) is one ``dagster.materialize`` run with the assets' checks. Inside a run
Dagster skips what follows a failed step or a failed blocking check; runs of one level go to a
process pool together, and a level starts when the one before it has ended. A stage that reads a
partition which failed a blocking check is skipped: bad data is stored there.

A source that cannot be reached (a repository, with no network) is reported once and its
partitions are skipped; ``--strict`` counts them as failures. Exit status: 0 when everything else
built, 1 when a step failed or was skipped, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any, Literal

from ibert_assets.errors import SOURCE_KIND_KEY, UNREACHABLE_KEY
from ibert_assets.settings import PROJECT_ROOT, Settings, current_settings, use_settings

Status = Literal["ok", "failed", "skipped", "unreachable"]
DEFAULT_HOME = ".dagster_home"
NO_INSTANCE_YAML = "No dagster instance configuration file"


@dataclass(frozen=True)
class Stage:
    """Assets sharing a partitions definition, run together for one partition at a time."""

    level: int
    assets: tuple[str, ...]
    partitions: tuple[str | None, ...]  # (None,) for an unpartitioned stage


@dataclass
class StepResult:
    """What became of one (asset, partition)."""

    asset: str
    partition: str | None
    status: Status
    records: int = 0
    rejects: int = 0
    seconds: float = 0.0
    failed_checks: list[str] = field(default_factory=list)
    blocking_failed: bool = False
    error: str = ""
    source_kind: str = ""  # of an unreachable source: what to call them ("repositories")

    @property
    def name(self) -> str:
        return f"{self.asset}[{self.partition}]" if self.partition is not None else self.asset


def _definitions() -> Any:
    from ibert_assets.definitions import defs

    return defs


def plan(selected: list[str]) -> list[Stage]:
    """The stages of ``selected``, in an order that runs every asset after what it reads."""
    graph = _definitions().resolve_asset_graph()
    level: dict[str, int] = {}
    partitions: dict[str, tuple[str | None, ...]] = {}
    for key in graph.toposorted_asset_keys:
        name, node = key.to_user_string(), graph.get(key)
        if name in selected:
            keys = node.partitions_def.get_partition_keys() if node.partitions_def else [None]
            partitions[name] = tuple(keys)
            parents = [p.to_user_string() for p in node.parent_keys]
            level[name] = max(
                (level[p] + (partitions[p] != partitions[name]) for p in parents if p in level),
                default=0,
            )
    stages: dict[tuple[int, tuple[str | None, ...]], list[str]] = {}
    for name in level:  # in topological order
        stages.setdefault((level[name], partitions[name]), []).append(name)
    return [Stage(lv, tuple(names), keys) for (lv, keys), names in stages.items()]


def buildable_assets() -> list[str]:
    """Every asset, in topological order."""
    graph = _definitions().resolve_asset_graph()
    return [key.to_user_string() for key in graph.toposorted_asset_keys]


def on_request_assets() -> list[str]:
    """Assets that run a model: built only when selected (a model must be configured first)."""
    from ibert_assets.resources import MODEL_RESOURCE_KEY

    defs = _definitions()
    return [
        name
        for name in buildable_assets()
        if MODEL_RESOURCE_KEY in defs.resolve_assets_def(name).required_resource_keys
    ]


# --- in a worker process -------------------------------------------------------------------------

_instance: Any = None


def start_worker(settings: Settings, home: str) -> None:
    """Pool initializer: this build's settings and instance, and quiet Dagster logging."""
    global _instance
    import dagster as dg

    use_settings(settings)
    _quiet_dagster()
    # the build has shown Dagster's advice on a home without dagster.yaml once already
    logging.getLogger("dagster").addFilter(lambda r: NO_INSTANCE_YAML not in str(r.msg))
    _instance = dg.DagsterInstance.from_config(home)
    # a worker ends with the build: Ctrl-C is the build's to handle, SIGTERM ends it at once
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def materialize_partition(assets: tuple[str, ...], partition: str | None) -> list[StepResult]:
    """One stage's assets and checks for one partition, as one Dagster run; never raises."""
    import dagster as dg

    from ibert_assets.resources import default_resources

    defs = _definitions()
    start = time.perf_counter()
    try:
        result = dg.materialize(
            # no cacheable assets in this project: every entry is a plain definition
            [*(defs.assets or ()), *(defs.asset_checks or ())],
            selection=dg.AssetSelection.assets(*assets),
            partition_key=partition,
            resources=default_resources(),
            instance=_instance,
            raise_on_error=False,
            tags={"ibert/build": "true"},
            # the build prints one line per partition; Dagster's own log, stack traces
            # included, stays in the run's event log
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
    except Exception as exc:  # a definitions or instance error: every asset of the run failed
        message = f"{type(exc).__name__}: {exc}"
        return [StepResult(asset, partition, "failed", error=message) for asset in assets]
    seconds = time.perf_counter() - start
    return _step_results(defs, result, assets, partition, seconds)


def _step_results(
    defs: Any, result: Any, assets: tuple[str, ...], partition: str | None, seconds: float
) -> list[StepResult]:
    import dagster as dg

    materialized: dict[str, Any] = {}
    for event in result.get_asset_materialization_events():
        materialized[event.asset_key.to_user_string()] = event.materialization.metadata
    failures = {event.step_key: event.step_failure_data for event in result.all_events
                if event.is_step_failure}  # fmt: skip
    results: list[StepResult] = []
    for asset in assets:
        evaluations = [
            e for e in result.get_asset_check_evaluations()
            if e.asset_key.to_user_string() == asset
        ]  # fmt: skip
        step = StepResult(asset, partition, "ok", seconds=seconds / len(assets))
        step.failed_checks = [e.check_name for e in evaluations if not e.passed]
        step.blocking_failed = any(
            not e.passed and e.severity == dg.AssetCheckSeverity.ERROR for e in evaluations
        )
        failure = failures.get(defs.resolve_assets_def(asset).node_def.name)
        if asset in materialized:
            step.records = _int(materialized[asset].get("records"))
            step.rejects = _int(materialized[asset].get("rejects"))
            step.status = "failed" if step.blocking_failed else "ok"
        elif failure is not None:
            metadata = failure.user_failure_data.metadata if failure.user_failure_data else {}
            if UNREACHABLE_KEY in metadata:
                step.status, step.error = "unreachable", str(metadata[UNREACHABLE_KEY].value)
                step.source_kind = str(getattr(metadata.get(SOURCE_KIND_KEY), "value", ""))
            else:
                step.status, step.error = "failed", _user_message(failure)
        else:  # Dagster skipped it: something it reads in this run did not succeed
            upstream = next(r for r in results if r.status != "ok")
            step.status = "unreachable" if upstream.status == "unreachable" else "skipped"
            step.blocking_failed = upstream.blocking_failed
            step.error = upstream.error if upstream.status == "unreachable" else _blame(upstream)
            step.source_kind = upstream.source_kind
        results.append(step)
    return results


def _blame(upstream: StepResult) -> str:
    if upstream.error.startswith("skipped:"):  # name the step where the failure started
        return upstream.error
    why = "failed a blocking check" if upstream.blocking_failed else "failed"
    return f"skipped: {upstream.name} {why}"


def _int(value: object) -> int:
    return int(getattr(value, "value", value) or 0)  # type: ignore[call-overload]


def _user_message(failure: Any) -> str:
    """The last line of the user's error, not Dagster's wrapper around it."""
    if failure.user_failure_data and failure.user_failure_data.description:
        return failure.user_failure_data.description.strip().splitlines()[-1][:300]
    error = failure.error
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip().splitlines()[-1][:300] if error else "the run failed"


def _quiet_dagster() -> None:
    """The build prints one line per partition: Dagster's preview notices add nothing to it."""
    import warnings

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)


# --- in the build's process ----------------------------------------------------------------------


def build(
    selected: list[str],
    *,
    workers: int,
    settings: Settings,
    home: Path,
    echo: Callable[[str], None] = print,
) -> list[StepResult]:
    """Materialize every partition of ``selected``; returns each step's result as it ended."""
    stages = plan(selected)
    total = sum(len(s.assets) * len(s.partitions) for s in stages)
    ended: list[StepResult] = []

    def report(step: StepResult) -> None:
        ended.append(step)
        detail = f"{step.records} records, {step.rejects} rejects, {step.seconds:.1f}s"
        if step.failed_checks:
            detail += f", failed checks: {', '.join(step.failed_checks)}"
        if step.status == "unreachable":
            detail = "unreachable"
        elif step.error:
            detail += f" — {step.error}"
        status = {"ok": "ok", "unreachable": "skipped"}.get(step.status, "FAILED")
        echo(f"[{len(ended)}/{total}] {step.name} {status}: {detail}")

    context = multiprocessing.get_context("spawn")  # a clean interpreter, not a copy of this one
    with ProcessPoolExecutor(
        max_workers=max(1, workers),
        mp_context=context,
        initializer=start_worker,
        initargs=(settings, str(home)),
    ) as pool:
        for level in sorted({s.level for s in stages}):
            running: list[Future[list[StepResult]]] = []
            for stage in (s for s in stages if s.level == level):
                blocked = _blocked_by(stage, ended)
                for partition in stage.partitions:
                    if blocked is not None:
                        for asset in stage.assets:
                            report(StepResult(asset, partition, "skipped", blocking_failed=True,
                                              error=_blame(blocked)))  # fmt: skip
                    else:
                        running.append(pool.submit(materialize_partition, stage.assets, partition))
            while running:
                done, pending = wait(running, return_when="FIRST_COMPLETED")
                for future in done:
                    for step in future.result():
                        report(step)
                running = list(pending)
    return ended


def _blocked_by(stage: Stage, ended: list[StepResult]) -> StepResult | None:
    """A step this stage reads, directly or not, that failed a blocking check."""
    import dagster as dg

    graph = _definitions().resolve_asset_graph()
    ancestors: set[str] = set()
    for asset in stage.assets:
        keys = graph.get_ancestor_asset_keys(dg.AssetKey.from_user_string(asset))
        ancestors |= {key.to_user_string() for key in keys}
    return next((r for r in ended if r.asset in ancestors and r.blocking_failed), None)


def summary(results: list[StepResult], order: list[str]) -> str:
    rows = ["asset                 partitions  failed   records   rejects   seconds"]
    for asset in order:
        mine = [r for r in results if r.asset == asset]
        if mine:
            rows.append(
                f"{asset:<22}{len(mine):>10}{sum(r.status != 'ok' for r in mine):>8}"
                f"{sum(r.records for r in mine):>10}{sum(r.rejects for r in mine):>10}"
                f"{sum(r.seconds for r in mine):>10.1f}"
            )
    return "\n".join(rows)


def unreachable_line(results: list[StepResult], *, strict: bool) -> str:
    """One line for every source that could not be reached, grouped by why."""
    by_reason: dict[str, list[str]] = {}
    kinds = {step.source_kind for step in results if step.status == "unreachable"}
    for step in results:
        if step.status == "unreachable" and step.partition is not None:
            names = by_reason.setdefault(step.error, [])
            if step.partition not in names:
                names.append(step.partition)
    if not by_reason:
        return ""
    count = sum(map(len, by_reason.values()))
    reasons = "; ".join(f"{why} ({', '.join(names)})" for why, names in by_reason.items())
    consequence = (
        "--strict: counted as failures"
        if strict
        else "their partitions were skipped; `--strict` makes this an error"
    )
    kind = kinds.pop() if len(kinds) == 1 and "" not in kinds else "sources"
    return f"{count} {kind} unreachable: {reasons}; {consequence}"


def instance_home() -> Path:
    """``DAGSTER_HOME`` if set, else ``.dagster_home/`` here, which ``dagster dev`` can open."""
    configured = os.environ.get("DAGSTER_HOME")
    home = Path(configured) if configured else Path.cwd() / DEFAULT_HOME
    home.mkdir(parents=True, exist_ok=True)
    if not configured and not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    return home.resolve()


def _prepare_instance(home: Path) -> None:
    """Create the instance's storage once, before workers share it (two at once collide)."""
    import dagster as dg

    dg.DagsterInstance.from_config(str(home)).dispose()


def _terminate_children(signum: int, frame: FrameType | None) -> None:
    """End every process this build started, theirs included, then the build itself."""
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        child.terminate()
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        child.kill()
    os._exit(128 + signum)  # no pool shutdown: its workers are gone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ibert-build", description="Materialize every iBERT dataset through Dagster."
    )
    parser.add_argument("--select", help="comma-separated asset names (default: every dataset)")
    parser.add_argument("--data-dir", help="dataset store base (default: IBERT_DATA_DIR or data/)")
    parser.add_argument("--repos-file", help="repositories to mine (default: repos.txt)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="parallel partitions"
    )
    parser.add_argument(
        "--strict", action="store_true", help="a source that cannot be reached is a failure"
    )
    args = parser.parse_args(argv)
    settings = current_settings()
    if args.data_dir:
        settings = replace(settings, data_dir=args.data_dir)
    if args.repos_file:
        if not Path(args.repos_file).exists():
            print(f"ibert-build: error: {args.repos_file} does not exist", file=sys.stderr)
            return 2
        settings = replace(settings, repos_file=str(Path(args.repos_file).resolve()))
    use_settings(settings)  # before the definitions load: partitions come from these files
    _quiet_dagster()
    known = buildable_assets()
    on_request = on_request_assets()
    if args.select:
        selected = [name.strip() for name in args.select.split(",") if name.strip()]
    else:
        selected = [name for name in known if name not in on_request]
    unknown = [name for name in selected if name not in known]
    if unknown:
        choices = ", ".join(known)
        print(f"ibert-build: error: unknown asset {unknown[0]!r}; choose from {choices}",
              file=sys.stderr)  # fmt: skip
        return 2
    home = instance_home()
    _prepare_instance(home)
    signal.signal(signal.SIGTERM, _terminate_children)
    signal.signal(signal.SIGINT, _terminate_children)
    start = time.perf_counter()
    echo = _echo
    results = build(selected, workers=args.workers, settings=settings, home=home, echo=echo)
    print()
    print(summary(results, known))
    failed = [r for r in results if r.status in ("failed", "skipped")]
    unreachable = [r for r in results if r.status == "unreachable"]
    if args.strict:
        failed += unreachable
    elapsed = time.perf_counter() - start
    print(f"\n{len(results) - len(failed) - (0 if args.strict else len(unreachable))} of "
          f"{len(results)} partitions built in {elapsed:.0f}s; data in {settings.data_dir}; "
          f"runs in {home}")  # fmt: skip
    line = unreachable_line(results, strict=args.strict)
    if line:
        print(line)
    left_out = [] if args.select else on_request
    if left_out:
        names = ",".join(left_out)
        print(f"Not built by default (they run a model): {names}; configure a model "
              f"(README, 'Models') and run `ibert-build --select {names}`.")  # fmt: skip
    return 1 if failed else 0


def _echo(line: str) -> None:
    print(line, flush=True)  # progress must show at once, also when stdout is a file or pipe


if __name__ == "__main__":
    sys.exit(main())
