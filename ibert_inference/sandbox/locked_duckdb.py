"""The one way the project opens a DuckDB connection for untrusted work, and runs SQL on it.

Every such connection, in a worker or in the caller, starts locked: no extension is installed or
loaded on first use (a cast to ``geometry`` would otherwise fetch ``spatial`` over the network
into ``$HOME/.duckdb``), no community extension, no file or network access, a memory limit, one
thread, and the configuration locked so that SQL cannot turn any of it back on. A statement runs
under a time limit: a timer interrupts it, and the error says so.

>>> con = locked_connection()
>>> con.execute("SELECT 42").fetchone()
(42,)
>>> con.execute("SET autoinstall_known_extensions = true")
Traceback (most recent call last):
...
_duckdb.InvalidInputException: Invalid Input Error: Cannot change configuration option "autoinstall_known_extensions" - the configuration has been locked
"""  # noqa: E501

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ibert_inference.errors import IbertError
from ibert_inference.sandbox.limits import LOCKED, take_spare_connection
from ibert_inference.sandbox.pool import current_settings


class QueryTimeout(IbertError):
    """A statement ran past the sandbox's ``statement_timeout_s`` and was interrupted."""


def locked_config(*, files: bool = False, memory: str | None = None) -> dict[str, Any]:
    """The configuration of a locked connection; ``files`` keeps file access (for the
    project's own store, never for SQL from outside)."""
    config = {**LOCKED, "memory_limit": memory or current_settings().duckdb_memory}
    if files:
        config["enable_external_access"] = True
    return config


def locked_connection(
    database: str = ":memory:", *, files: bool = False, memory: str | None = None, **extra: Any
) -> Any:
    """A new DuckDB connection with :func:`locked_config` (``extra`` adds settings).

    In a sandbox worker the first in-memory one is the connection the worker opened while
    limiting itself: every connection there is forced to the worker's locked settings.
    """
    import duckdb

    if database == ":memory:" and not files and not extra:
        spare = take_spare_connection()
        if spare is not None:
            return spare
    return duckdb.connect(database, config={**locked_config(files=files, memory=memory), **extra})


class _Watchdog:
    """One thread per process that interrupts the statements past their deadline.

    A timer thread per statement cost ~0.2 ms of CPU (a thread started and stopped, three
    switches between threads), about a tenth of running a small query. While statements come
    one after another the watchdog stays awake, looking at the earliest deadline at least every
    ``POLL_S``, so that registering one costs a lock and a dictionary entry; after ``IDLE_S``
    without any it sleeps until the next one wakes it.
    """

    POLL_S = 0.1
    IDLE_S = 2.0

    def __init__(self) -> None:
        self.condition = threading.Condition()
        self.running: dict[int, tuple[float, Any, threading.Event]] = {}
        self.tokens = itertools.count()
        self.awake = False
        threading.Thread(target=self._watch, name="ibert-statement-watchdog", daemon=True).start()

    def start(self, cursor: Any, seconds: float) -> tuple[int, threading.Event]:
        fired = threading.Event()
        with self.condition:
            token = next(self.tokens)
            self.running[token] = (time.monotonic() + seconds, cursor, fired)
            if not self.awake:
                self.awake = True
                self.condition.notify()
        return token, fired

    def stop(self, token: int) -> None:
        with self.condition:
            self.running.pop(token, None)

    def _watch(self) -> None:
        idle_since = time.monotonic()
        while True:
            with self.condition:
                now = time.monotonic()
                if not self.running and now - idle_since > self.IDLE_S:
                    self.awake = False
                    while not self.awake:
                        self.condition.wait()
                    continue
                due = [token for token, (deadline, _, _) in self.running.items() if deadline <= now]
                # under the lock: a statement that ends meanwhile waits in stop(), so the
                # interrupt never reaches the next statement on its cursor
                for token in due:
                    _deadline, cursor, fired = self.running.pop(token)
                    fired.set()
                    with contextlib.suppress(Exception):  # a cursor closed meanwhile
                        cursor.interrupt()
                if self.running:
                    idle_since = now
                wait = min(
                    [self.POLL_S, *(deadline - now for deadline, _, _ in self.running.values())]
                )
            time.sleep(max(wait, 0.001))


_watchdog: _Watchdog | None = None
_watchdog_lock = threading.Lock()


def _forget_watchdog() -> None:
    """In a forked child: the parent's watchdog thread did not cross the fork, and its lock may
    have been held by another thread at that moment."""
    global _watchdog, _watchdog_lock
    _watchdog, _watchdog_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_watchdog)


def _the_watchdog() -> _Watchdog:
    """This process's watchdog, started on first use."""
    global _watchdog
    with _watchdog_lock:
        if _watchdog is None:
            _watchdog = _Watchdog()
        return _watchdog


@contextmanager
def statement_time_limit(cursor: Any, timeout_s: float | None = None) -> Iterator[None]:
    """Interrupt what ``cursor`` runs (execute and fetch) after ``timeout_s`` (default: the
    sandbox's ``statement_timeout_s``): QueryTimeout "query ran longer than N s"."""
    import duckdb

    seconds = current_settings().statement_timeout_s if timeout_s is None else timeout_s
    watchdog = _the_watchdog()
    token, fired = watchdog.start(cursor, seconds)
    try:
        yield
    except duckdb.InterruptException:
        if fired.is_set():
            raise QueryTimeout(
                f"query ran longer than {seconds:g} s and was interrupted (statement_timeout_s)"
            ) from None
        raise
    finally:
        watchdog.stop(token)
