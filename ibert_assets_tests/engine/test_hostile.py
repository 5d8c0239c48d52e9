"""The hostile corpus against both layers: the allow-list in process, and the sandbox worker."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ibert_assets_tests.engine.hostile_payloads import Payload, by_kind, payloads
from ibert_assets_tests.in_process import evaluate_ibis
from ibert_inference.compiler import ibis_to_sql
from ibert_inference.errors import (
    EvaluationError,
    IbertError,
    InputTooLargeError,
    UnsafeCodeError,
)
from ibert_inference.sandbox import isolated, protections, shared_pool
from ibert_inference.verify.pair import verify_pair

SCHEMA = {"t": {"a": "int64", "b": "string"}}
LIMIT_S = 1.0
# what a refused job may take beyond its limit: killing and replacing the worker
MARGIN_S = 6.0


@pytest.fixture(scope="module", autouse=True)
def warm_worker() -> None:
    """One job under the default limit first: the process's first worker imports what jobs
    need (later ones start with it), which must not count against LIMIT_S."""
    assert verify_pair("SELECT a FROM t", "t.select('a')", SCHEMA).ok


@pytest.fixture(autouse=True)
def short_job_limit(configure_sandbox) -> None:
    configure_sandbox(timeout_s=LIMIT_S)


def descendants(pid: int) -> set[int]:
    """Processes below ``pid``, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def assert_contained(payload: Payload, marker: Path, started: float, exc: BaseException) -> None:
    elapsed = time.monotonic() - started
    message = str(exc)
    assert not marker.exists(), f"{payload.name} wrote its marker"
    assert elapsed < LIMIT_S + MARGIN_S, f"{payload.name} took {elapsed:.1f} s"
    assert message and "\n" not in message, f"{payload.name}: {message!r}"
    assert "Traceback" not in message


def test_the_corpus_is_large_and_covers_every_kind():
    assert len(payloads()) >= 100
    assert {p.kind for p in payloads()} == {
        "escape", "dos", "sql", "protocol", "rebind", "runaway", "output", "sql_runaway",
    }  # fmt: skip


@pytest.mark.parametrize("payload", by_kind("escape"), ids=lambda p: p.name)
def test_the_allow_list_alone_refuses_every_escape(payload: Payload, tmp_path: Path):
    marker = tmp_path / "pwned"
    started = time.monotonic()
    with pytest.raises(UnsafeCodeError) as refused:
        evaluate_ibis(payload.render(str(marker)), SCHEMA)
    assert_contained(payload, marker, started, refused.value)


@pytest.mark.parametrize("payload", by_kind("escape") + by_kind("dos"), ids=lambda p: p.name)
def test_the_sandboxed_api_refuses_every_payload(payload: Payload, tmp_path: Path):
    marker = tmp_path / "pwned"
    workers = shared_pool().worker_pids()
    before = {pid: descendants(pid) for pid in workers}
    started = time.monotonic()
    with pytest.raises(IbertError) as refused:
        ibis_to_sql(payload.render(str(marker)), SCHEMA)
    assert_contained(payload, marker, started, refused.value)
    assert isinstance(refused.value, UnsafeCodeError | EvaluationError | InputTooLargeError)
    for pid in shared_pool().worker_pids():
        assert descendants(pid) == before.get(pid, set()), f"{payload.name} started a process"


@pytest.mark.parametrize("payload", by_kind("sql"), ids=lambda p: p.name)
def test_hostile_sql_gets_a_verdict_within_the_limit(payload: Payload, tmp_path: Path):
    marker = tmp_path / "pwned"
    started = time.monotonic()
    verdict = verify_pair(payload.render(str(marker)), "t.select('a')", SCHEMA)
    assert not verdict.ok
    assert verdict.status in {"sql_error", "timeout", "unsafe"}, verdict
    assert_contained(payload, marker, started, Exception(verdict.reason))


@pytest.mark.parametrize("payload", by_kind("escape")[:40:4], ids=lambda p: p.name)
def test_verify_pair_calls_an_escape_unsafe(payload: Payload, tmp_path: Path):
    marker = tmp_path / "pwned"
    verdict = verify_pair("SELECT a FROM t", payload.render(str(marker)), SCHEMA)
    assert verdict.status == "unsafe", verdict
    assert not marker.exists()


def test_an_exponential_expression_is_refused_in_milliseconds():
    runaway = next(p for p in by_kind("dos") if p.name == "doubling_compile")
    ibis_to_sql("t.select('a')", SCHEMA)
    started = time.monotonic()
    with pytest.raises(InputTooLargeError, match="max_expression_nodes"):
        ibis_to_sql(runaway.code, SCHEMA)
    assert time.monotonic() - started < 1.0


@isolated()
def _spin() -> None:
    while True:  # stands for work that got past every bound
        pass


def test_a_runaway_job_is_stopped_and_its_worker_replaced(configure_sandbox):
    configure_sandbox(timeout_s=LIMIT_S)
    ibis_to_sql("t.select('a')", SCHEMA)
    (first,) = shared_pool().worker_pids()
    started = time.monotonic()
    with pytest.raises(EvaluationError, match="longer than"):
        _spin()
    assert time.monotonic() - started < LIMIT_S + MARGIN_S
    assert "SELECT" in ibis_to_sql("t.select('a')", SCHEMA)
    assert shared_pool().worker_pids() != [first]
    assert not Path(f"/proc/{first}").exists()


# --- the worker's own limits, proven by code that already runs inside it --------------------
# These functions stand for code that got past the allow-list: they act directly.


FILE_ACTS: dict[str, Callable[[str], object]] = {
    "start_a_program": lambda marker: subprocess.run(["/bin/touch", marker], check=True),
    "write_outside_its_scratch": lambda marker: Path(marker).write_text("x"),
}


@isolated()
def _make_file(act: str, marker: str) -> str:
    """Create ``marker`` by ``act`` (one of FILE_ACTS) inside a worker: "done" or "refused: why"."""
    try:
        FILE_ACTS[act](marker)
    except OSError as exc:
        return f"refused: {exc.strerror}"
    return "done"


@isolated()
def _connect(port: int) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return "connected"
    except OSError as exc:
        return f"refused: {exc.strerror or exc}"


@isolated()
def _allocate(gigabytes: int) -> int:
    return len(bytearray(gigabytes * 1024**3))


@pytest.fixture
def landlocked() -> dict[str, bool]:
    held = protections()
    if not held.get("landlock"):
        pytest.skip("this kernel offers no Landlock")
    return held


def test_every_protection_holds_where_the_kernel_offers_it(landlocked: dict[str, bool]):
    assert all(landlocked.values()), landlocked


@pytest.mark.parametrize("act", FILE_ACTS)
def test_a_worker_cannot(act: str, landlocked: dict[str, bool], tmp_path: Path):
    assert _make_file(act, str(tmp_path / act)).startswith("refused")
    assert not (tmp_path / act).exists()


def test_a_worker_has_no_network(landlocked: dict[str, bool]):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert _connect(server.getsockname()[1]).startswith("refused")


def test_a_worker_cannot_take_all_memory():
    with pytest.raises(IbertError, match="MemoryError"):
        _allocate(64)
    assert "SELECT" in ibis_to_sql("t.select('a')", SCHEMA)
