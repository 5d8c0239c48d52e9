"""Isolation for untrusted work: evaluation, compilation and SQL run in limited worker processes.

Decorate a module-level function with :func:`isolated` and every call runs in a warm worker of
this process's pool (see :mod:`ibert_inference.sandbox.pool` for the process design and
:mod:`ibert_inference.sandbox.limits` for the limits), under a wall-clock limit. Inside a worker
the function runs in place, so isolated functions may call each other.

:func:`configure` sets this process's :class:`SandboxSettings`: the wall-clock limit of one job
(default 30 s) and the number of workers (default 1). The ``ibert`` command, the build and the
Dagster definitions configure it from ``IBERT_SANDBOX_TIMEOUT_S`` and ``IBERT_SANDBOX_WORKERS``
(read by :mod:`ibert_inference.settings`); the sandbox itself reads no environment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from ibert_inference.errors import EvaluationTimeout, SandboxRequiredError, UnsafeCodeError
from ibert_inference.sandbox import pool
from ibert_inference.sandbox.codec import register_result_type
from ibert_inference.sandbox.pool import (
    SandboxSettings,
    WorkerDied,
    WorkerTimeout,
    close_shared_pool,
    configure,
    current_settings,
    shared_pool,
)

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "SandboxSettings",
    "WorkerDied",
    "WorkerTimeout",
    "close_shared_pool",
    "configure",
    "current_settings",
    "isolated",
    "job_timeout_s",
    "protections",
    "shared_pool",
    "worker_only",
]


def job_timeout_s() -> float:
    """The wall-clock limit of one isolated job (see :func:`configure`)."""
    return current_settings().timeout_s


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


def worker_only(function: F) -> F:
    """Mark a helper of isolated functions that handles code from outside: it runs only in a
    sandbox worker (SandboxRequiredError anywhere else), and the one-door test accepts it."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        if not pool.IN_WORKER:
            raise SandboxRequiredError(
                f"{function.__qualname__} handles code from outside and runs only in a sandbox "
                "worker: call it from an @isolated function"
            )
        return function(*args, **kwargs)

    return run  # type: ignore[return-value]


def protections() -> dict[str, bool]:
    """Which protections hold in this process's workers, by name (see limits.apply_limits)."""
    return shared_pool().protections()
