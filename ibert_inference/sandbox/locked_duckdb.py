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

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ibert_inference.errors import IbertError
from ibert_inference.sandbox.limits import LOCKED
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
    """A new DuckDB connection with :func:`locked_config` (``extra`` adds settings)."""
    import duckdb

    return duckdb.connect(database, config={**locked_config(files=files, memory=memory), **extra})


@contextmanager
def statement_time_limit(cursor: Any, timeout_s: float | None = None) -> Iterator[None]:
    """Interrupt what ``cursor`` runs (execute and fetch) after ``timeout_s`` (default: the
    sandbox's ``statement_timeout_s``): QueryTimeout "query ran longer than N s"."""
    import duckdb

    seconds = current_settings().statement_timeout_s if timeout_s is None else timeout_s
    fired = threading.Event()

    def interrupt() -> None:
        fired.set()
        cursor.interrupt()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    except duckdb.InterruptException:
        if fired.is_set():
            raise QueryTimeout(
                f"query ran longer than {seconds:g} s and was interrupted (statement_timeout_s)"
            ) from None
        raise
    finally:
        timer.cancel()
