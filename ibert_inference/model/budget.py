"""A request's time budget, shared by every model call made while answering it.

The CLI opens a budget around a task. Its clock starts when the first model call has loaded the
weights (loading is not answering); from then on :meth:`Model.generate` stops generating
when the budget is spent: replies end where they are and batches not started reply ``""``, so
the task's checks reject what is unfinished and its deterministic path, if any, answers.
Outside a budget nothing is limited.

>>> import time
>>> with time_budget(30):
...     0 < remaining() <= 30
True
>>> remaining() is None
True
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class _Budget:
    seconds: float
    end: float | None = None  # set by the first model call: loading weights is not answering


_BUDGET: ContextVar[_Budget | None] = ContextVar("ibert_budget", default=None)


def deadline() -> float | None:
    """The ``time.monotonic()`` instant the current request must end by, or None.

    The clock starts at the first call, which the model makes once its weights are loaded.
    """
    current = _BUDGET.get()
    if current is None:
        return None
    if current.end is None:
        current.end = time.monotonic() + current.seconds
    return current.end


def remaining() -> float | None:
    """Seconds left in the current budget, or None outside one."""
    end = deadline()
    return None if end is None else end - time.monotonic()


@contextlib.contextmanager
def time_budget(seconds: float | None) -> Iterator[None]:
    """Model calls inside the block share ``seconds`` (None: no limit)."""
    if seconds is None:
        yield
        return
    token = _BUDGET.set(_Budget(seconds))
    try:
        yield
    finally:
        _BUDGET.reset(token)
