"""A pool of warm worker processes that run untrusted jobs under hard limits.

The parent sends a job as ``(module, function, args, kwargs)``; the worker, limited by
:mod:`ibert_inference.sandbox.limits`, runs it and answers in JSON. The parent never unpickles
what a worker sends: a worker that had been subverted could otherwise run code in the parent.

A job that runs past its wall-clock limit gets its worker killed (that stops compilation, a
DuckDB query, anything); a worker that dies (out of memory, out of CPU, crashed) is replaced.
Either way the caller gets an answer, never a hang. Workers are forked from the caller, so a
warm replacement costs milliseconds, not a fresh interpreter's imports; they are daemonic, get
SIGKILL when their parent dies, and also stop on their own when the pipe to it closes.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import os
import pickle
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ibert_inference.sandbox.limits import Limits, apply_limits, cpu_left, limit_job_cpu

MAX_REPLY_BYTES = 64 * 1024**2
_STARTUP_TIMEOUT_S = 60.0
# What jobs (evaluation, compilation, verification) import on first use. The first worker of a
# process imports what its jobs need itself (a one-job command stays quick to start); before any
# later fork, a replacement after a timeout or a death above all, the parent imports them all, so
# that a replacement does not pay ~0.8 s of imports again.
WORKER_MODULES = ("duckdb", "pyarrow", "pandas", "ibis.backends.sql.compilers.duckdb")
_forks = 0

# True inside a worker: isolated functions then run in place
IN_WORKER = False
# A pool's scratch folder: this prefix, the owner's pid, a dash, random letters
SCRATCH_PREFIX = "ibert-sandbox-"
# What a worker answers when even a one-line error cannot be encoded (out of memory)
_UNENCODABLE = json.dumps(
    {
        "error": {"type": "IbertError", "message": "the isolated job's answer could not be sent"},
        "retire": True,
    }
).encode()


def remove_orphaned_scratch(directory: str | None = None) -> list[Path]:
    """Remove the scratch folders whose owner process is gone (killed from outside, it could
    not clean up); the folders removed. A folder of a live process is left alone."""
    import re

    pattern = re.compile(rf"{re.escape(SCRATCH_PREFIX)}(\d+)-")
    removed = []
    for path in Path(directory or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        match = pattern.match(path.name)
        if match is None or not path.is_dir() or _alive(int(match.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to judge
        return True
    return True


@dataclass(frozen=True)
class SandboxSettings:
    """The sandbox's limits: time, memory, workers, and the sizes checked before any work.

    ``timeout_s`` is the wall-clock limit of one job in a worker (the worker is killed past it);
    the limits below end an attack sooner, each with its own one-line reason.
    """

    timeout_s: float = 30.0
    workers: int = 1
    # one DuckDB statement (SQL from outside, compiled Ibis) is interrupted past this
    statement_timeout_s: float = 5.0
    # evaluating Ibis code, and compiling the expression it gives, each stop past this
    compile_timeout_s: float = 5.0
    # each DuckDB connection that runs SQL from outside
    duckdb_memory: str = "1GB"
    # inputs, refused before any work
    max_code_chars: int = 100_000
    max_sql_chars: int = 100_000
    max_sql_nodes: int = 10_000
    max_tables: int = 100
    max_columns: int = 1_000
    max_expression_nodes: int = 50_000
    max_config_bytes: int = 64 * 1024
    max_template_bytes: int = 1_000_000
    # outputs: compiled SQL longer than this is refused
    max_output_chars: int = 1_000_000

    def __post_init__(self) -> None:
        for name in ("timeout_s", "statement_timeout_s", "compile_timeout_s"):
            if not getattr(self, name) > 0:
                raise ValueError(
                    f"the sandbox's {name} time limit must be positive, got {getattr(self, name)!r}"
                )
        if self.workers < 1:
            raise ValueError(f"the sandbox needs at least one worker, got {self.workers!r}")


_settings = SandboxSettings()


def configure(settings: SandboxSettings) -> None:
    """This process's sandbox settings from now on.

    The edges call it with what they read (the ``ibert`` command, the build's workers, the
    Dagster definitions); a library user may too. A pool of another size is replaced when the
    next job asks for one.
    """
    global _settings
    _settings = settings


def current_settings() -> SandboxSettings:
    """The settings :func:`configure` gave this process (the defaults until then)."""
    return _settings


class WorkerTimeout(Exception):
    """The job ran past its wall-clock limit; its worker was killed."""


class WorkerDied(Exception):
    """The worker died while running the job (memory, CPU or file-size limit, or a crash)."""


@dataclass
class _Worker:
    process: Any
    connection: Any
    protections: dict[str, bool] = field(default_factory=dict)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class WorkerPool:
    """Up to ``size`` warm workers, shared by the threads of one process."""

    def __init__(self, size: int = 1, limits: Limits | None = None):
        self.size = size
        remove_orphaned_scratch()
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
        self.limits = limits or Limits(scratch=self.scratch, duckdb_memory=_settings.duckdb_memory)
        self._idle: list[_Worker] = []
        self._started = 0
        self._all: list[_Worker] = []
        self._condition = threading.Condition()
        self._owner = os.getpid()

    def run(self, job: tuple[str, str, tuple[Any, ...], dict[str, Any]], timeout_s: float) -> Any:
        """The job's JSON reply; WorkerTimeout or WorkerDied when it got none."""
        # the caller's settings travel with each job: a worker forked earlier has older ones
        message = pickle.dumps((*job, timeout_s, _settings))
        worker = self._acquire()
        try:
            worker.connection.send_bytes(message)
        except OSError:  # it died idle, before the job reached it: the job can go to another
            self._release(worker, keep=False)
            worker = self._acquire()
            return self._answer(worker, message, timeout_s, resend=True)
        return self._answer(worker, message, timeout_s, resend=False)

    def _answer(self, worker: _Worker, message: bytes, timeout_s: float, *, resend: bool) -> Any:
        keep = False
        try:
            if resend:
                worker.connection.send_bytes(message)
            if not worker.connection.poll(timeout_s):
                raise WorkerTimeout(f"the job ran longer than {timeout_s:g} s and was stopped")
            reply = json.loads(worker.connection.recv_bytes(MAX_REPLY_BYTES))
            keep = not reply.pop("retire", False)
            return reply
        except (EOFError, OSError) as exc:
            raise WorkerDied(_death_reason(_exit_code(worker.process))) from exc
        finally:
            self._release(worker, keep)

    def protections(self) -> dict[str, bool]:
        """Which protections hold in this pool's workers (see limits.apply_limits)."""
        worker = self._acquire()
        try:
            return dict(worker.protections)
        finally:
            self._release(worker, True)

    def worker_pids(self) -> list[int]:
        with self._condition:
            return [worker.process.pid for worker in self._all]

    def close(self) -> None:
        with self._condition:
            workers, self._idle, self._all = list(self._all), [], []
            self._started = 0
        for worker in workers:
            worker.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def _acquire(self) -> _Worker:
        with self._condition:
            while not self._idle and self._started >= self.size:
                self._condition.wait()
            while self._idle:
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker
                self._started -= 1  # died idle (its limits, or a kill): replaced below
                if worker in self._all:
                    self._all.remove(worker)
            self._started += 1
        try:
            worker = _spawner().call(self._start)
        except BaseException:
            with self._condition:
                self._started -= 1
                self._condition.notify()
            raise
        with self._condition:
            self._all.append(worker)
        return worker

    def _release(self, worker: _Worker, keep: bool) -> None:
        if not keep:
            worker.kill()
        with self._condition:
            if keep:
                self._idle.append(worker)
            else:
                self._started -= 1
                if worker in self._all:
                    self._all.remove(worker)
            self._condition.notify()

    def _start(self) -> _Worker:
        global _forks
        if _forks:
            _import_worker_modules()
        _forks += 1
        context = multiprocessing.get_context("fork")
        parent_end, child_end = context.Pipe(duplex=True)
        inherited = [worker.connection for worker in self._all]
        process = context.Process(
            target=_serve,
            args=(child_end, parent_end, inherited, self.limits),
            daemon=True,
            name="ibert-sandbox",
        )
        process.start()
        child_end.close()
        if not parent_end.poll(_STARTUP_TIMEOUT_S):
            process.kill()
            raise WorkerDied("the sandbox worker did not start")
        try:
            ready = json.loads(parent_end.recv_bytes(MAX_REPLY_BYTES))
        except (EOFError, OSError) as exc:
            raise WorkerDied(_death_reason(_exit_code(process))) from exc
        return _Worker(process, parent_end, ready["protections"])


def _import_worker_modules() -> None:
    import importlib

    for module in WORKER_MODULES:
        importlib.import_module(module)


def _exit_code(process: Any) -> int | None:
    """The exit code of a worker whose pipe closed: it is dying, so wait for it (a closed pipe
    comes a moment before the exit status); one that lingers is killed."""
    process.join(timeout=5)
    if process.exitcode is None:
        process.kill()
        process.join(timeout=5)
    return process.exitcode


def _death_reason(exitcode: int | None) -> str:
    """``exitcode`` in words: the signal that killed the worker (negative), or its status."""
    import signal

    meanings = {
        signal.SIGKILL: "killed by SIGKILL (out of memory, or killed from outside)",
        signal.SIGXCPU: "out of CPU time (SIGXCPU)",
        signal.SIGXFSZ: "file too large (SIGXFSZ)",
        signal.SIGSEGV: "crashed (SIGSEGV)",
    }
    if exitcode is None:
        what = "no exit status (it did not end)"
    elif exitcode < 0:
        try:
            number = signal.Signals(-exitcode)
            what = meanings.get(number, f"killed by {number.name}")
        except ValueError:
            what = f"killed by signal {-exitcode}"
    else:
        what = f"exit status {exitcode}"
    return f"the isolated worker died: {what}"


def _serve(connection: Any, parent_end: Any, inherited: list[Any], limits: Limits) -> None:
    """The worker's loop: limit itself, then run jobs until the parent goes away."""
    global IN_WORKER, _pool
    IN_WORKER, _pool = True, None
    _silence()
    _default_signals()
    # the pipes to the parent's other workers are not this worker's to read or write
    for other in [parent_end, *inherited]:
        other.close()
    _forget_inherited_state()
    protections = apply_limits(limits)
    tempfile.tempdir = str(limits.scratch)  # DuckDB's spill folder is set on its connections
    connection.send_bytes(json.dumps({"protections": protections}).encode())
    while True:
        try:
            module, name, args, kwargs, timeout_s, settings = pickle.loads(connection.recv_bytes())
        except (EOFError, OSError):
            os._exit(0)
        configure(settings)
        limit_job_cpu(max(timeout_s, 1.0))
        reply = _run_job(module, name, args, kwargs)
        # after a MemoryError the interpreter may be left inconsistent: start afresh
        broken = reply.get("error", {}).get("broken", False)
        reply["retire"] = broken or cpu_left() < 120
        data = _encoded(reply)
        del reply
        try:
            connection.send_bytes(data)
        except (OSError, ValueError):
            os._exit(0)  # the parent is gone


def _encoded(reply: dict[str, Any]) -> bytes:
    """The reply as JSON; whatever goes wrong while encoding it (a value JSON cannot hold, no
    memory left for the text) is itself a one-line error, never a traceback."""
    try:
        data = json.dumps(reply, default=str).encode()
    except BaseException as exc:  # MemoryError included: the answer is still one line
        try:
            message = f"the isolated job's answer could not be encoded: {type(exc).__name__}"
            error = {"type": "IbertError", "message": message}
            return json.dumps({"error": error, "retire": True}).encode()
        except BaseException:
            return _UNENCODABLE
    if len(data) > MAX_REPLY_BYTES:
        message = f"the isolated job's answer is over {MAX_REPLY_BYTES:,} bytes"
        return json.dumps({"error": {"type": "IbertError", "message": message}}).encode()
    return data


def _default_signals() -> None:
    """Handlers the worker inherited from its parent's Python (a test runner's, a server's) are
    not its own: SIGTERM ends it, and Ctrl-C is for the parent, which then stops its workers."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _silence() -> None:
    """The worker's standard streams go to /dev/null: nothing it (or a library, or C code)
    prints reaches the user's terminal or the parent's pipes."""
    import sys

    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    sys.stdin = open(os.devnull)  # noqa: SIM115 (the worker's for its life)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115


def _run_job(module: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict:
    import importlib

    from ibert_inference.sandbox.codec import encode_error, encode_result

    try:
        function = getattr(importlib.import_module(module), name)
        function = getattr(function, "__wrapped__", function)
        return {"ok": encode_result(function(*args, **kwargs))}
    except BaseException as exc:  # every failure of foreign code is an answer
        error = encode_error(exc)
        error["broken"] = isinstance(exc, MemoryError | SystemError) or "MemoryError" in str(exc)
        return {"error": error}


_INHERITED: list[Any] = []


def _forget_inherited_state() -> None:
    """Stop using what the fork copied from the parent that must not be shared: DuckDB instances
    and the databases cached on them were opened there, without the worker's limits.

    The copies are kept alive, never destroyed: their destructors would close cursors and
    connections through locks and threads that exist only in the parent (a segfault here).
    """
    import gc
    import sys

    module = sys.modules.get("ibert_inference.verify.databases")
    for value in vars(module).values() if module is not None else ():
        clear = getattr(value, "cache_clear", None)
        if callable(clear):
            _INHERITED.extend(gc.get_referents(value))  # an lru_cache refers to its results
            clear()


class _Spawner:
    """One long-lived thread that forks every worker.

    The kernel's parent-death signal follows the *thread* that forked a child: a worker forked
    by a short-lived thread (a Dagster or user thread) would be killed when that thread ends.
    """

    def __init__(self) -> None:
        import queue

        self.requests: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]] = queue.Queue()
        self.owner = os.getpid()
        threading.Thread(target=self._serve, name="ibert-sandbox-spawner", daemon=True).start()

    def call(self, function: Callable[[], Any]) -> Any:
        import queue

        answer: queue.Queue[Any] = queue.Queue(maxsize=1)
        self.requests.put((function, answer))
        kind, value = answer.get()
        if kind == "error":
            raise value
        return value

    def _serve(self) -> None:
        while True:
            function, answer = self.requests.get()
            try:
                answer.put(("ok", function()))
            except BaseException as exc:  # handed to the caller's thread
                answer.put(("error", exc))


_spawner_instance: _Spawner | None = None


def _spawner() -> _Spawner:
    global _spawner_instance
    with _pool_lock:
        if _spawner_instance is None or _spawner_instance.owner != os.getpid():
            _spawner_instance = _Spawner()
        return _spawner_instance


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def shared_pool() -> WorkerPool:
    """The pool of this process, started on first use (a forked child gets its own)."""
    global _pool
    with _pool_lock:
        size = _settings.workers
        if _pool is None or _pool._owner != os.getpid() or _pool.size != size:
            if _pool is not None and _pool._owner == os.getpid():
                _pool.close()  # configured for another size since it started
            _pool = WorkerPool(size=size)
            atexit.register(_pool.close)
        return _pool


def close_shared_pool() -> None:
    """Stop the workers of this process (tests; a later job starts new ones)."""
    global _pool
    with _pool_lock:
        if _pool is not None and _pool._owner == os.getpid():
            _pool.close()
        _pool = None


def run_in_worker(function: Callable[..., Any], args: tuple, kwargs: dict, timeout_s: float) -> Any:
    """Run the module-level ``function`` in a worker; its decoded result or its raised error."""
    from ibert_inference.sandbox.codec import decode_error, decode_result

    job = (function.__module__, function.__name__, args, kwargs)
    reply = shared_pool().run(job, timeout_s)
    if "error" in reply:
        raise decode_error(reply["error"])
    return decode_result(reply["ok"])
