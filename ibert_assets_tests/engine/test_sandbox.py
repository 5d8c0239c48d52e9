"""The worker pool: answers as data, failures as verdicts, workers replaced, threads served."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from ibert_inference import sandbox
from ibert_inference.compiler import ibis_to_sql
from ibert_inference.errors import EvaluationError, IbertError, UnsafeCodeError
from ibert_inference.sandbox import close_shared_pool, isolated, job_timeout_s, pool, shared_pool
from ibert_inference.sandbox.codec import decode_error, decode_result, encode_error
from ibert_inference.verify.pair import Verdict, verify_pair

SCHEMA = {"t": {"a": "int64"}}


@isolated()
def _die() -> None:
    os._exit(3)


@isolated()
def _where() -> int:
    return os.getpid()


def test_jobs_run_in_another_process_and_answer():
    assert _where() != os.getpid()
    assert "SELECT" in ibis_to_sql("t.select('a')", SCHEMA)


def test_a_worker_that_dies_is_an_unsafe_error_and_is_replaced():
    first = _where()
    with pytest.raises(UnsafeCodeError, match="the isolated worker died: exit status 3"):
        _die()
    assert _where() != first


def test_verify_pair_turns_a_timed_out_worker_into_a_timeout_verdict(
    configure_sandbox, monkeypatch: pytest.MonkeyPatch
):
    configure_sandbox(timeout_s=1)
    # a worker that does not answer in time (work that got past every bound)
    monkeypatch.setattr(pool.WorkerPool, "_answer", _never_answers)
    verdict = verify_pair("SELECT a FROM t", "t.select('a')", SCHEMA, seed=5)
    assert verdict == Verdict(False, "timeout", verdict.reason, 0, None, 5)
    assert "longer than 1 s" in (verdict.reason or "")


def _never_answers(self, worker, message, timeout_s, *, resend):
    self._release(worker, keep=False)
    raise pool.WorkerTimeout(f"the job ran longer than {timeout_s:g} s and was stopped")


def test_an_exponential_expression_gets_an_unsafe_verdict_at_once():
    runaway = "x = t.a\n" + "x = x + x\n" * 40 + "t.select(y=x)"
    started = time.monotonic()
    verdict = verify_pair("SELECT a FROM t", runaway, SCHEMA, seed=5)
    assert verdict.status == "unsafe" and "max_expression_nodes" in (verdict.reason or "")
    assert time.monotonic() - started < 2


@isolated()
def _imported(module: str) -> bool:
    return module in sys.modules


def test_a_replaced_worker_starts_with_what_jobs_import(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    (tmp_path / "ibert_probe_module.py").write_text("")
    monkeypatch.syspath_prepend(tmp_path)
    monkeypatch.setattr(pool, "WORKER_MODULES", (*pool.WORKER_MODULES, "ibert_probe_module"))
    assert "SELECT" in ibis_to_sql("t.select('a')", SCHEMA)
    close_shared_pool()  # as a timeout leaves it: the next job gets a new worker
    try:
        assert _imported("ibert_probe_module")
    finally:
        sys.modules.pop("ibert_probe_module", None)


def test_errors_cross_as_their_own_types():
    with pytest.raises(UnsafeCodeError) as unsafe:
        ibis_to_sql("import os", SCHEMA)
    assert unsafe.value.construct == "import" and unsafe.value.line == 1
    with pytest.raises(EvaluationError) as failed:
        ibis_to_sql("t.nope", SCHEMA)
    assert failed.value.error_type == "AttributeError"


def test_a_worker_answer_decodes_to_known_types_only():
    with pytest.raises(IbertError, match="unknown result type"):
        decode_result({"__dataclass__": "os:system", "fields": {}})
    assert type(decode_error({"type": "SystemExit", "message": "x"})) is IbertError
    assert encode_error(ValueError("a\nb")) == {"type": "IbertError", "message": "ValueError: a"}


def test_the_configured_settings_are_the_limits_and_are_checked(configure_sandbox):
    assert job_timeout_s() == 30.0  # the default until an edge configures it
    configure_sandbox(timeout_s=2.5, workers=2)
    assert job_timeout_s() == 2.5 and shared_pool().size == 2
    configure_sandbox(timeout_s=2.5, workers=1)
    assert shared_pool().size == 1  # the pool of the old size is replaced
    with pytest.raises(ValueError, match="must be positive"):
        sandbox.SandboxSettings(timeout_s=0)
    with pytest.raises(ValueError, match="at least one worker"):
        sandbox.SandboxSettings(workers=0)


def test_threads_share_the_pool():
    answers: list[str] = []

    def work(n: int) -> None:
        answers.append(ibis_to_sql(f"t.filter(_.a > {n})", SCHEMA))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 6 and all("SELECT" in answer for answer in answers)
    assert len(shared_pool().worker_pids()) <= shared_pool().size


def test_a_worker_outlives_the_thread_that_first_needed_it():
    close_shared_pool()
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(_where()))
    thread.start()
    thread.join(60)
    time.sleep(0.5)  # a parent-death signal tied to that thread would have fired by now
    assert _where() == seen[0]
