"""The ``ibert-build`` command: settings from its options, the pool, progress and summary."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path
from types import FrameType

import dagster as dg

from ibert_assets.runner.plan import blocked_by, buildable_assets, on_request_assets, plan
from ibert_assets.runner.steps import (
    NO_INSTANCE_YAML,
    StepResult,
    blame,
    end_descendants,
    materialize_partition,
    quiet_dagster,
    start_worker,
)
from ibert_assets.settings import PROJECT_ROOT, Settings
from ibert_inference.errors import IbertError

DEFAULT_HOME = ".dagster_home"


def build(
    defs: dg.Definitions,
    selected: list[str],
    *,
    workers: int,
    settings: Settings,
    home: Path,
    echo: Callable[[str], None] = print,
) -> list[StepResult]:
    """Materialize every partition of ``selected``; returns each step's result as it ended.

    ``defs`` are the definitions of ``settings`` (the stages come from their graph); every
    worker builds the same from the same settings.
    """
    with dg.DagsterInstance.from_config(str(home)) as instance:
        stages = plan(defs, selected, instance)
    total = sum(len(s.assets) * len(s.partitions) for s in stages)
    ended: list[StepResult] = []

    def report(step: StepResult) -> None:
        ended.append(step)
        if step.status == "unreachable":
            return  # said once for all of them, after the summary
        detail = f"{step.records} records, {step.rejects} rejects, {step.seconds:.1f}s"
        if step.check_seconds:
            detail += f" (+{step.check_seconds:.1f}s checks)"
        if step.failed_checks:
            detail += f", failed checks: {', '.join(step.failed_checks)}"
        if step.error:
            detail += f" — {step.error}"
        status = "ok" if step.status == "ok" else "FAILED"
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
                blocked = blocked_by(defs, stage, ended)
                for partition in stage.partitions:
                    if blocked is not None:
                        for asset in stage.assets:
                            report(StepResult(asset, partition, "skipped", blocking_failed=True,
                                              error=blame(blocked)))  # fmt: skip
                    else:
                        running.append(pool.submit(materialize_partition, stage.assets, partition))
            while running:
                done, pending = wait(running, return_when="FIRST_COMPLETED")
                for future in done:
                    for step in future.result():
                        report(step)
                running = list(pending)
    return ended


def summary(results: list[StepResult], order: list[str]) -> str:
    rows = ["asset                 partitions  failed   records   rejects   seconds  checks s"]
    for asset in order:
        mine = [r for r in results if r.asset == asset]
        if mine:
            failed = sum(r.status not in ("ok", "unreachable") for r in mine)
            rows.append(
                f"{asset:<22}{len(mine):>10}{failed:>8}"
                f"{sum(r.records for r in mine):>10}{sum(r.rejects for r in mine):>10}"
                f"{sum(r.seconds for r in mine):>10.1f}{sum(r.check_seconds for r in mine):>10.1f}"
            )
    return "\n".join(rows)


def failed_checks_lines(results: list[StepResult]) -> list[str]:
    """One line per check that failed somewhere, naming the partitions where it did; the
    non-blocking ones did not stop the build, so this is where a reader learns of them."""
    where: dict[tuple[str, str], list[str]] = {}
    for step in results:
        for check in step.failed_checks:
            where.setdefault((step.asset, check), []).append(step.partition or step.asset)
    checked = Counter(r.asset for r in results if r.status in ("ok", "failed"))
    return [
        f"check {check} of {asset} failed on {len(names)} of {checked[asset]} partitions "
        f"checked: {', '.join(names)}"
        for (asset, check), names in where.items()
    ]


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
    one, several = (
        kinds.pop().split("/") if len(kinds) == 1 and "" not in kinds else ("source", "sources")
    )
    return f"{count} {one if count == 1 else several} unreachable: {reasons}; {consequence}"


def instance_home() -> Path:
    """``DAGSTER_HOME`` if set, else ``.dagster_home/`` here, which ``dagster dev`` can open."""
    configured = os.environ.get("DAGSTER_HOME")
    home = Path(configured) if configured else Path.cwd() / DEFAULT_HOME
    home.mkdir(parents=True, exist_ok=True)
    if not configured and not (home / "dagster.yaml").exists():
        (home / "dagster.yaml").write_text((PROJECT_ROOT / "dagster.yaml").read_text())
    return home.resolve()


def prepare_instance(home: Path, defs: dg.Definitions, settings: Settings) -> None:
    """Create the instance's storage once, before workers share it (two at once collide), and
    register the dynamic partitions the settings' files name."""
    from ibert_assets.assembly import dynamic_partition_keys
    from ibert_assets.partitions import register_dynamic_partitions

    with dg.DagsterInstance.from_config(str(home)) as instance:
        register_dynamic_partitions(defs, dynamic_partition_keys(settings), instance)


def _terminate_children(signum: int, frame: FrameType | None) -> None:
    """End every process this build started, theirs included, then the build itself."""
    end_descendants()
    name = signal.Signals(signum).name
    print(f"\nibert-build: stopped by {name}; its worker processes ended; what was stored "
          "stays (each file is replaced whole)", file=sys.stderr, flush=True)  # fmt: skip
    sys.stdout.flush()
    os._exit(128 + signum)  # no pool shutdown: its workers are gone


# The last line of every build that left them out: a newcomer who looks for model_evaluation
# in the UI learns how to build it.
ON_REQUEST_HINT = (
    "Not built by default (they train or run a model): {names}; "
    "`ibert-build --select {names}` builds them, with the model IBERT_MODEL_NAME names "
    "(README, 'The model')"
)


def build_parser() -> argparse.ArgumentParser:
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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _build_selected(args)
    except IbertError as error:  # a bad setting or repositories file: said in one line
        print(f"ibert-build: error: {error}", file=sys.stderr)
        return 2


def settings_from(args: argparse.Namespace) -> Settings:
    """The environment's settings (read once, here) with the command's flags over them."""
    settings = Settings.from_environment()
    if "sandbox_workers" not in settings.environment:
        # a step that sends many jobs at once (ibis_to_sql's compiles) keeps this many busy
        settings = settings.override(sandbox_workers=max(1, args.workers))
    if args.data_dir:
        settings = settings.override(data_dir=args.data_dir)
    if args.repos_file:
        if not Path(args.repos_file).exists():
            raise IbertError(f"{args.repos_file} does not exist")
        settings = settings.override(repos_file=str(Path(args.repos_file).resolve()))
    return settings


def _build_selected(args: argparse.Namespace) -> int:
    from ibert_assets.assembly import build_definitions

    settings = settings_from(args)
    quiet_dagster()
    defs = build_definitions(settings)  # partitions come from the settings' files
    known = buildable_assets(defs)
    on_request = on_request_assets(defs)
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
    prepare_instance(home, defs, settings)
    # Dagster's advice on a home without dagster.yaml was shown once, just now
    logging.getLogger("dagster").addFilter(lambda r: NO_INSTANCE_YAML not in str(r.msg))
    signal.signal(signal.SIGTERM, _terminate_children)
    signal.signal(signal.SIGINT, _terminate_children)
    start = time.perf_counter()
    echo = _echo
    results = build(defs, selected, workers=args.workers, settings=settings, home=home, echo=echo)
    print()
    print(summary(results, known))
    failures = {"failed", "skipped", *(("unreachable",) if args.strict else ())}
    failed = [r for r in results if r.status in failures]
    built = sum(r.status == "ok" for r in results)
    elapsed = time.perf_counter() - start
    print(f"\n{built} of {len(results)} partitions built in {elapsed:.0f}s; "
          f"data in {settings.store.base}; runs in {home}")  # fmt: skip
    for line in failed_checks_lines(results):
        print(line)
    line = unreachable_line(results, strict=args.strict)
    if line:
        print(line)
    left_out = [name for name in on_request if name not in selected]
    if left_out:
        print(ON_REQUEST_HINT.format(names=",".join(left_out)))
    return 1 if failed else 0


def _echo(line: str) -> None:
    print(line, flush=True)  # progress must show at once, also when stdout is a file or pipe
