"""The worker never speaks on the user's terminal, its failures are one line, and its scratch
folders do not outlive their owner."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ibert_inference.errors import IbertError, UnsafeCodeError
from ibert_inference.sandbox import close_shared_pool, isolated, pool, shared_pool


@isolated()
def _noisy() -> int:
    print("worker stdout " * 100)
    print("worker stderr", file=sys.stderr)
    os.write(1, b"fd one\n")
    os.write(2, b"fd two\n")
    return 7


class _Unencodable:
    def __str__(self) -> str:
        raise MemoryError("no memory for the text")


@isolated()
def _unencodable_answer() -> object:
    return {"value": _Unencodable()}


@isolated()
def _killed_by(signal_number: int) -> None:
    os.kill(os.getpid(), signal_number)
    time.sleep(5)


def test_nothing_the_worker_prints_reaches_the_callers_streams(capfd: pytest.CaptureFixture):
    close_shared_pool()  # a worker forked now, with this test's captured streams
    assert _noisy() == 7
    out, err = capfd.readouterr()
    assert "worker" not in out + err and "fd " not in out + err


def test_an_answer_that_cannot_be_encoded_is_a_one_line_error(capfd: pytest.CaptureFixture):
    close_shared_pool()
    with pytest.raises(IbertError, match="could not be encoded: MemoryError") as info:
        _unencodable_answer()
    assert "\n" not in str(info.value)
    out, err = capfd.readouterr()
    assert out + err == ""
    assert _noisy() == 7  # the next job is answered (by a fresh worker)


@pytest.mark.parametrize(
    ("signal_number", "words"),
    [(signal.SIGKILL, "killed by SIGKILL"), (signal.SIGSEGV, "crashed (SIGSEGV)"),
     (signal.SIGTERM, "killed by SIGTERM")],
)  # fmt: skip
def test_a_dead_worker_is_named_by_its_signal(signal_number: int, words: str):
    with pytest.raises(UnsafeCodeError, match=rf"the isolated worker died: {re_escape(words)}"):
        _killed_by(int(signal_number))


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_death_reasons_never_say_none():
    assert "None" not in pool._death_reason(None)
    assert pool._death_reason(3).endswith("exit status 3")
    assert pool._death_reason(-int(signal.SIGXCPU)).endswith("out of CPU time (SIGXCPU)")


def test_orphaned_scratch_folders_are_removed_and_live_ones_kept(tmp_path: Path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    orphan = tmp_path / f"{pool.SCRATCH_PREFIX}{dead.stdout.strip()}-abc"
    mine = tmp_path / f"{pool.SCRATCH_PREFIX}{os.getpid()}-def"
    other = tmp_path / "ibert-sandbox-notapid"
    for folder in (orphan, mine, other):
        (folder / "duckdb").mkdir(parents=True)
    assert pool.remove_orphaned_scratch(str(tmp_path)) == [orphan]
    assert not orphan.exists() and mine.exists() and other.exists()


def test_the_scratch_of_a_killed_process_goes_at_the_next_start(tmp_path: Path):
    script = (
        "import sys, time\n"
        "from ibert_inference.compiler import ibis_to_sql\n"
        "from ibert_inference.sandbox import shared_pool\n"
        "ibis_to_sql(\"t.select('a')\", {'t': {'a': 'int64'}})\n"
        "print(shared_pool().scratch, flush=True)\n"
        "time.sleep(60)\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               text=True, env=env)  # fmt: skip
    assert process.stdout is not None
    scratch = Path(process.stdout.readline().strip())
    assert scratch.is_dir() and scratch.parent == tmp_path
    process.kill()  # from outside: no atexit, no cleanup
    process.wait()
    assert scratch.exists()
    assert pool.remove_orphaned_scratch(str(tmp_path)) == [scratch]
    assert list(tmp_path.iterdir()) == []
    assert shared_pool().scratch.name.startswith(f"{pool.SCRATCH_PREFIX}{os.getpid()}-")


def test_settings_reach_a_worker_started_before_them(configure_sandbox):
    from ibert_inference.sandbox import current_settings

    _noisy()  # a worker is running, forked with the settings of then
    configure_sandbox(statement_timeout_s=1.5)
    assert _statement_limit() == 1.5 == current_settings().statement_timeout_s


@isolated()
def _statement_limit() -> float:
    from ibert_inference.sandbox import current_settings

    return current_settings().statement_timeout_s


def test_a_worker_does_not_keep_its_parents_signal_handlers():
    """A test runner or a server may turn SIGTERM into an exception; a worker dies of it."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        close_shared_pool()  # the next worker is forked with the handler above
        with pytest.raises(UnsafeCodeError, match="killed by SIGTERM"):
            _killed_by(int(signal.SIGTERM))
    finally:
        signal.signal(signal.SIGTERM, previous)
