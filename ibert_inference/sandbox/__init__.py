"""Isolation for untrusted work: evaluation, compilation and SQL run in limited worker processes.

Decorate a module-level function with :func:`isolated` and every call runs in a warm worker of
this process's pool (see :mod:`ibert_inference.sandbox.pool` for the process design and
:mod:`ibert_inference.sandbox.limits` for the limits), under a wall-clock limit. Inside a worker
the function runs in place, so isolated functions may call each other.

``IBERT_SANDBOX_TIMEOUT_S`` (default 30) bounds one job; ``IBERT_SANDBOX_WORKERS`` (default 1)
is the number of workers per process.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

from ibert_inference.errors import EvaluationTimeout, IbertError, UnsafeCodeError
from ibert_inference.sandbox import pool
from ibert_inference.sandbox.codec import register_result_type
from ibert_inference.sandbox.pool import (
    WorkerDied,
    WorkerTimeout,
    close_shared_pool,
    shared_pool,
)

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_TIMEOUT_S = 30.0

__all__ = [
    "WorkerDied",
    "WorkerTimeout",
    "close_shared_pool",
    "isolated",
    "job_timeout_s",
    "protections",
    "shared_pool",
]


def job_timeout_s() -> float:
    """The wall-clock limit of one isolated job (``IBERT_SANDBOX_TIMEOUT_S``)."""
    text = os.environ.get("IBERT_SANDBOX_TIMEOUT_S", "")
    try:
        value = float(text) if text else DEFAULT_TIMEOUT_S
    except ValueError:
        raise IbertError(f"IBERT_SANDBOX_TIMEOUT_S={text!r} is not a number of seconds") from None
    if value <= 0:
        raise IbertError(f"IBERT_SANDBOX_TIMEOUT_S={text!r} must be positive")
    return value


def isolated(
    *,
    returns: type | None = None,
    on_failure: Callable[[Exception, tuple[Any, ...], dict[str, Any]], Any] | None = None,
) -> Callable[[F], F]:
    """Run the decorated module-level function in a sandbox worker.

    ``returns``: a dataclass the function returns (it crosses as JSON). ``on_failure``: the
    answer when the worker timed out or died (given the WorkerTimeout or WorkerDied and the
    call's arguments); without it the call raises EvaluationTimeout or UnsafeCodeError.
    """
    if returns is not None:
        register_result_type(returns)

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            if pool.IN_WORKER:
                return function(*args, **kwargs)
            try:
                return pool.run_in_worker(function, args, kwargs, job_timeout_s())
            except (WorkerTimeout, WorkerDied) as exc:
                if on_failure is not None:
                    return on_failure(exc, args, kwargs)
                if isinstance(exc, WorkerTimeout):
                    raise EvaluationTimeout(str(exc), error_type="Timeout") from None
                raise UnsafeCodeError(str(exc), construct="resource limit") from None

        return run  # type: ignore[return-value]

    return decorate


def protections() -> dict[str, bool]:
    """Which protections hold in this process's workers, by name (see limits.apply_limits)."""
    return shared_pool().protections()
