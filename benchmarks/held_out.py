"""What each step adds to a small model, on held-out examples: the table of ``bench_complete.py
--held-out``.

For ``code_completion`` records of templates the model's demonstrations never come from, the share
of completions that parse, that evaluate, and whose completed code returns the reference's result
on the generated databases, with the median seconds per completion, for: the plain model (a chat
reply), + demonstrations (the nearest verified training examples), + constrained decoding (the
prefix continued, unparseable tokens pruned, stopped at the statement's end), + ranking (a greedy
and three sampled candidates, ranked). The same for ``sql_to_ibis`` answered by the model alone,
as when the deterministic translator gives up (``from-sql``'s fallback): its answer must agree
with the SQL; "+ ranking" counts a record when any of its candidates does, as the task keeps
trying until one verifies.

The data: ``<data-dir>/train_complete/{train,test}.jsonl`` when they exist; else a slice made from
``<data-dir>/template_examples/`` (``ibert-build --select template_examples``): every fourth
template held out for the test records, the others' records written as the train split of a
temporary store, which the model reads its demonstrations from.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.dataset.record import (
    CodeCompletionInput,
    CodeCompletionTarget,
    Record,
    SqlToIbisInput,
)
from ibert_inference.model.language_model import Model
from ibert_inference.model.python_prefix import parses

Outcome = tuple[bool, bool, bool]  # parses, evaluates, matches the reference


@dataclass
class Row:
    step: str
    outcomes: list[Outcome]
    seconds: list[float]

    def line(self) -> str:
        n = len(self.outcomes)
        shares = [sum(o[i] for o in self.outcomes) / n for i in range(3)]
        cells = [f"{share:.0%}" for share in shares]
        return (
            f"| {self.step} | {n} | {' | '.join(cells)} | {statistics.median(self.seconds):.1f} |"
        )


def read_records(path: Path) -> list[Record]:
    return [Record.from_json(line) for line in path.read_text().splitlines() if line.strip()]


def held_out_slice(data_dir: Path, store_dir: Path) -> tuple[list[Record], list[Record]]:
    """The test records (code_completion, sql_to_ibis) and a store whose train split holds the
    rest: the data directory's own splits, else a slice of its template examples."""
    splits = data_dir / "train_complete"
    if (splits / "test.jsonl").is_file() and (splits / "train.jsonl").is_file():
        test = read_records(splits / "test.jsonl")
        (store_dir / "train_complete").mkdir(parents=True)
        (store_dir / "train_complete" / "train.jsonl").write_text(
            (splits / "train.jsonl").read_text()
        )
        print(f"records: {splits}/test.jsonl; demonstrations from its train.jsonl")
    else:
        from ibert_assets.tasks.code_completion import completion_records

        files = sorted(
            p for p in (data_dir / "template_examples").glob("*.jsonl") if ".rejects" not in p.name
        )
        if not files:
            raise SystemExit(f"no train_complete splits or template_examples under {data_dir}")
        held = {p.stem for p in files[::4]}
        train: list[Record] = []
        test = []
        for path in files:
            pairs = [r for r in read_records(path) if r.task == "sql_to_ibis"]
            derived = completion_records(pairs).records
            (test if path.stem in held else train).extend(pairs + derived)
        (store_dir / "train_complete").mkdir(parents=True)
        lines = "".join(r.to_json() + "\n" for r in train)
        (store_dir / "train_complete" / "train.jsonl").write_text(lines)
        print(f"records: a slice of {data_dir}/template_examples: templates held out "
              f"{', '.join(sorted(held))}; {len(train)} training records of the "
              f"{len(files) - len(held)} others for demonstrations")  # fmt: skip
    return [r for r in test if r.task == "code_completion"], [
        r for r in test if r.task == "sql_to_ibis"
    ]


def sample(records: list[Record], n: int) -> list[Record]:
    return random.Random(0).sample(records, min(n, len(records)))


def completion_outcome(
    record: Record, model: Model, steps: object, candidates: int, budget: float
) -> Outcome:
    from ibert_inference.compiler import ibis_to_sql
    from ibert_inference.tasks.code_completion import complete_code
    from ibert_inference.verify.pair import verify_pair

    given = record.input_as(CodeCompletionInput)
    reference = given.prefix + record.target_as(CodeCompletionTarget).completion
    schema = record.table_schemas
    result = complete_code(
        given.prefix,
        schema=schema,
        model=model,
        instruction=given.instruction,
        candidates=candidates,
        time_budget_s=budget,
        steps=steps,  # type: ignore[arg-type]
    )
    if not result.ok:
        best = result.details.get("best") or {}
        return bool(best.get("parses")), bool(best.get("evaluates")), False
    code = given.prefix + result.output
    matches = verify_pair(ibis_to_sql(reference, schema), code, schema).ok
    return True, True, matches


def sql_outcome(
    record: Record, model: Model, demonstrations: bool, constrained: bool, candidates: int,
    budget: float,
) -> Outcome:  # fmt: skip
    from ibert_inference.model.prompts import extract_code, from_sql_prompt
    from ibert_inference.verify.pair import verify_pair

    sql, schema = record.input_as(SqlToIbisInput).sql, record.table_schemas
    shown = model.demonstrations("sql_to_ibis", {"sql": sql}) if demonstrations else []
    conversation = from_sql_prompt(sql, schema, None, shown)
    deadline = time.monotonic() + budget
    rounds = [(1, 0.0)] + ([(candidates - 1, 0.8)] if candidates > 1 else [])
    outcome = (False, False, False)
    for count, temperature in rounds:
        if constrained:
            continued = model.continue_code(
                conversation, "result = ", count=count, temperature=temperature,
                max_new_tokens=128, deadline=deadline,
            )  # fmt: skip
            codes = ["result = " + c for c in continued]
        else:
            replies = model.generate(
                [conversation] * count, temperature=temperature, max_new_tokens=128,
                deadline=deadline,
            )  # fmt: skip
            codes = [extract_code(reply) for reply in replies]
        for code in codes:
            if not parses(code):
                continue
            verdict = verify_pair(sql, code, schema)
            evaluated = verdict.ok or verdict.compiled_sql is not None
            outcome = (True, outcome[1] or evaluated, verdict.ok)
            if verdict.ok:
                return outcome
        if time.monotonic() >= deadline:
            break
    return outcome


def measure(step: str, records: list[Record], run: Callable[[Record], Outcome]) -> Row:
    row = Row(step, [], [])
    for record in records:
        started = time.monotonic()
        row.outcomes.append(run(record))
        row.seconds.append(time.monotonic() - started)
    print(row.line(), flush=True)
    return row


def held_out_table(
    data_dir: Path,
    n: int,
    n_sql: int,
    budget: float,
    model_name: str | None,
    cache: Path | None,
    only: list[str] | None = None,
    threads: int | None = None,
) -> None:
    """The tables; ``only``: the rows whose step starts with one of these labels."""
    from ibert_inference.tasks.code_completion import CompletionSteps

    with tempfile.TemporaryDirectory() as folder:
        completions, pairs = held_out_slice(data_dir, Path(folder))
        completions, pairs = sample(completions, n), sample(pairs, n_sql)
        model = Model(
            store=StoreLayout(folder), cache=cache, model_name=model_name, device="cpu",
            threads=threads,
        )  # fmt: skip
        started = time.monotonic()
        model.load()
        import torch

        print(f"model: {model.description}, loaded in {time.monotonic() - started:.1f} s; "
              f"{torch.get_num_threads()} torch threads; {budget:g} s per answer")  # fmt: skip
        header = (
            "| step | N | parse | evaluate | match the reference | median s |\n"
            "|---|---|---|---|---|---|"
        )
        print(f"\ncode_completion, held-out templates\n{header}")
        model_only = CompletionSteps(retrieval=False)
        steps = [
            ("plain model", CompletionSteps(False, False, False), 1),
            ("+ demonstrations", CompletionSteps(True, False, False), 1),
            ("+ constrained decoding", model_only, 1),
            ("+ ranking (4 candidates)", model_only, 4),
            ("retrieval alone (adapted verified examples, no model)", CompletionSteps(), 0),
            ("+ retrieval (adapted examples and 4 model candidates, ranked)", CompletionSteps(), 4),
        ]
        for label, steps_, candidates in steps:
            if only and not any(label.startswith(prefix) for prefix in only):
                continue
            measure(label, completions,
                    lambda r: completion_outcome(r, model, steps_, candidates, budget))  # noqa: B023  # fmt: skip
        print(
            f"\nsql_to_ibis by the model alone (from-sql's fallback), held-out templates\n{header}"
        )
        sql_steps = [
            ("plain model", False, False, 1),
            ("+ demonstrations", True, False, 1),
            ("+ constrained decoding", True, True, 1),
            ("+ ranking (4 candidates)", True, True, 4),
        ]
        for label, shown, constrained, candidates in sql_steps:
            if not pairs or (only and not any(label.startswith(prefix) for prefix in only)):
                continue
            measure(label, pairs,
                    lambda r: sql_outcome(r, model, shown, constrained, candidates, budget))  # noqa: B023  # fmt: skip


def end_to_end_table(
    data_dir: Path, n: int, budget: float, model_name: str | None, threads: int | None
) -> None:
    """``ibert complete`` as a user runs it, one fresh process per held-out record (interpreter
    start, imports, retrieval, the model's load when it is needed, generation, checks): the wall
    seconds per answer and what share of the answers match the reference."""
    with tempfile.TemporaryDirectory() as folder:
        completions, _ = held_out_slice(data_dir, Path(folder))
        walls: list[float] = []
        outcomes: list[Outcome] = []
        without_model = 0
        for record in sample(completions, n):
            started = time.perf_counter()
            answer = _cli_answer(record, Path(folder), budget, model_name, threads)
            walls.append(time.perf_counter() - started)
            without_model += answer.get("details", {}).get("load_s") == 0
            outcomes.append(_answer_outcome(record, answer))
        row = Row("`ibert complete`, end to end", outcomes, walls)
        header = "| step | N | parse | evaluate | match the reference | median s |"
        print(f"\n{header}\n|---|---|---|---|---|---|\n{row.line()}")
        print(f"wall seconds: median {statistics.median(walls):.1f}, max {max(walls):.1f}; "
              f"{sum(w <= 20 for w in walls)} of {len(walls)} within 20 s; {without_model} "
              f"answered without loading the model; --time-budget {budget:g}")  # fmt: skip


def _cli_answer(
    record: Record, store: Path, budget: float, model_name: str | None, threads: int | None
) -> dict:
    given = record.input_as(CodeCompletionInput)
    command = [
        sys.executable, "-m", "ibert_inference.cli", "complete", "--json",
        "--schema", json.dumps(record.table_schemas), "--time-budget", str(budget),
        *(["--instruction", given.instruction] if given.instruction else []),
        *(["--model", model_name] if model_name else []),
    ]  # fmt: skip
    env = {**os.environ, "IBERT_DATA_DIR": str(store)}
    if threads:
        env["IBERT_THREADS"] = str(threads)
    done = subprocess.run(
        command, input=given.prefix, capture_output=True, text=True, timeout=600, env=env
    )
    try:
        answer = dict(json.loads(done.stdout))
    except json.JSONDecodeError:
        answer = {"details": {}}
    answer["ok"] = done.returncode == 0 and answer.get("output") is not None
    return answer


def _answer_outcome(record: Record, answer: dict) -> Outcome:
    from ibert_inference.compiler import ibis_to_sql
    from ibert_inference.verify.pair import verify_pair

    if not answer.get("ok"):
        best = answer.get("details", {}).get("best") or {}
        return bool(best.get("parses")), bool(best.get("evaluates")), False
    given, schema = record.input_as(CodeCompletionInput), record.table_schemas
    reference = given.prefix + record.target_as(CodeCompletionTarget).completion
    code = given.prefix + answer["output"]
    return True, True, verify_pair(ibis_to_sql(reference, schema), code, schema).ok
