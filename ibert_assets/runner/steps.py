"""One step of a build, in a worker process: a stage's assets for one partition, as one run."""

from __future__ import annotations

import gc
import logging
import os
import signal
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ibert_assets.errors import unreachable_marks
from ibert_assets.settings import Settings

if TYPE_CHECKING:
    import dagster as dg

Status = Literal["ok", "failed", "skipped", "unreachable"]
NO_INSTANCE_YAML = "No dagster instance configuration file"


@dataclass
class StepResult:
    """What became of one (asset, partition)."""

    asset: str
    partition: str | None
    status: Status
    records: int = 0
    rejects: int = 0
    seconds: float = 0.0  # the asset's step, as the run's log and its `seconds` metadata say
    check_seconds: float = 0.0  # its checks' steps
    failed_checks: list[str] = field(default_factory=list)
    blocking_failed: bool = False
    error: str = ""
    source_kind: str = ""  # of an unreachable source: what to call one and several, "a/as"

    @property
    def name(self) -> str:
        return f"{self.asset}[{self.partition}]" if self.partition is not None else self.asset


@dataclass
class _Worker:
    """What every step of one build worker uses: the build's definitions and instance."""

    defs: dg.Definitions
    instance: dg.DagsterInstance


_worker: _Worker | None = None


def start_worker(settings: Settings, home: str) -> None:
    """Pool initializer: the definitions of this build's settings, its instance, and quiet
    Dagster logging."""
    global _worker
    import dagster as dg

    from ibert_assets.assembly import build_definitions

    quiet_dagster()
    # the build has shown Dagster's advice on a home without dagster.yaml once already
    logging.getLogger("dagster").addFilter(lambda r: NO_INSTANCE_YAML not in str(r.msg))
    _worker = _Worker(build_definitions(settings), dg.DagsterInstance.from_config(home))

    # What the imports made lives as long as the worker: out of the collector's sight, its full
    # passes walk only what the steps make (a partition's records), ~6% of a step's time
    gc.freeze()
    # Ctrl-C is the build's to handle. A SIGTERM (`timeout` signals the whole process group)
    # ends what this worker started before the worker, so that nothing is left orphaned; within
    # a run Dagster holds a SIGTERM back until the step ends, and the build kills a worker that
    # has not ended 5 s after it was told to
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(128 + end_descendants()))


def end_descendants() -> int:
    """Terminate every process this one started, theirs included (killed after 5 s).

    Returns SIGTERM's number, the exit status offset of a process ended by it.
    """
    import psutil

    children = psutil.Process().children(recursive=True)
    for child in children:
        child.terminate()
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        child.kill()
    return signal.SIGTERM


def materialize_partition(assets: tuple[str, ...], partition: str | None) -> list[StepResult]:
    """One stage's assets and checks for one partition, as one Dagster run; never raises."""
    import dagster as dg

    assert _worker is not None, "start_worker runs first in every build worker"
    defs = _worker.defs
    try:
        result = dg.materialize(
            # no cacheable assets in this project: every entry is a plain definition
            [*(defs.assets or ()), *(defs.asset_checks or ())],  # type: ignore[list-item]
            selection=dg.AssetSelection.assets(*assets),
            partition_key=partition,
            resources=defs.resources,
            instance=_worker.instance,
            raise_on_error=False,
            tags={"ibert/build": "true"},
            # the build prints one line per partition; Dagster's own log, stack traces
            # included, stays in the run's event log
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
    except Exception as exc:  # a definitions or instance error: every asset of the run failed
        message = f"{type(exc).__name__}: {exc}"
        return [StepResult(asset, partition, "failed", error=message) for asset in assets]
    return _step_results(defs, result, assets, partition)


def _step_results(
    defs: Any, result: Any, assets: tuple[str, ...], partition: str | None
) -> list[StepResult]:
    import dagster as dg

    materialized: dict[str, Any] = {}
    for event in result.get_asset_materialization_events():
        materialized[event.asset_key.to_user_string()] = event.materialization.metadata
    # a source that cannot be reached: the partition was skipped with an observation saying why
    unreachable: dict[str, tuple[str, str]] = {}
    for event in result.get_asset_observation_events():
        observation = event.asset_observation_data.asset_observation
        marks = unreachable_marks(dict(observation.metadata))
        if marks is not None:
            unreachable[observation.asset_key.to_user_string()] = marks
    failures = {event.step_key: event.step_failure_data for event in result.all_events
                if event.is_step_failure}  # fmt: skip
    # an asset's time is its step's, and its checks' apart (one run holds several assets)
    spent: dict[str, float] = {}
    for event in result.all_events:
        if event.is_step_success:
            spent[event.step_key] = event.step_success_data.duration_ms / 1000
    check_steps: dict[str, set[str]] = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            key = event.asset_check_evaluation_data.asset_key.to_user_string()
            check_steps.setdefault(key, set()).add(event.step_key)
    results: list[StepResult] = []
    for asset in assets:
        evaluations = [
            e for e in result.get_asset_check_evaluations()
            if e.asset_key.to_user_string() == asset
        ]  # fmt: skip
        node = defs.resolve_assets_def(asset).node_def.name
        step = StepResult(asset, partition, "ok", seconds=spent.get(node, 0.0))
        step.check_seconds = sum(spent.get(s, 0.0) for s in check_steps.get(asset, ()))
        step.failed_checks = [e.check_name for e in evaluations if not e.passed]
        step.blocking_failed = any(
            not e.passed and e.severity == dg.AssetCheckSeverity.ERROR for e in evaluations
        )
        failure = failures.get(node)
        if asset in materialized:
            step.records = _int(materialized[asset].get("records"))
            step.rejects = _int(materialized[asset].get("rejects"))
            step.status = "failed" if step.blocking_failed else "ok"
        elif asset in unreachable:
            step.status = "unreachable"
            step.error, step.source_kind = unreachable[asset]
        elif failure is not None:
            metadata = failure.user_failure_data.metadata if failure.user_failure_data else {}
            marks = unreachable_marks(dict(metadata))
            if marks is not None:
                step.status = "unreachable"
                step.error, step.source_kind = marks
            else:
                step.status, step.error = "failed", _user_message(failure)
        else:  # Dagster skipped it: something it reads in this run did not succeed
            upstream = next(r for r in results if r.status != "ok")
            step.status = "unreachable" if upstream.status == "unreachable" else "skipped"
            step.blocking_failed = upstream.blocking_failed
            step.error = upstream.error if upstream.status == "unreachable" else blame(upstream)
            step.source_kind = upstream.source_kind
        results.append(step)
    return results


def blame(upstream: StepResult) -> str:
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


def quiet_dagster() -> None:
    """The build prints one line per partition: Dagster's preview notices add nothing to it."""
    import warnings

    import dagster as dg

    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
