"""Progress of slow model work (loading weights, generating tokens), shown only on a terminal.

The model reports through :func:`report`; nothing is shown unless a caller has installed a
reporter, so library use and piped output stay silent. The CLI installs :func:`terminal_progress`
when stderr is a terminal: one line, rewritten in place, cleared when the work ends.

>>> seen = []
>>> with reporting_to(seen.append):
...     report("loading model")
>>> report("nobody listens"); seen
['loading model']
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TextIO

Reporter = Callable[[str], None]
_REPORTER: ContextVar[Reporter | None] = ContextVar("ibert_progress", default=None)


def report(message: str) -> None:
    """Tell the installed reporter, if any, what is happening now."""
    reporter = _REPORTER.get()
    if reporter is not None:
        reporter(message)


@contextlib.contextmanager
def reporting_to(reporter: Reporter) -> Iterator[None]:
    """Send progress messages to ``reporter`` inside the block."""
    token = _REPORTER.set(reporter)
    try:
        yield
    finally:
        _REPORTER.reset(token)


@contextlib.contextmanager
def terminal_progress(stream: TextIO | None = None) -> Iterator[None]:
    """One self-rewriting status line on ``stream`` (stderr) when it is a terminal, else nothing."""
    stream = stream or sys.stderr
    if not stream.isatty():
        yield
        return
    shown = False

    def show(message: str) -> None:
        nonlocal shown
        stream.write("\r\x1b[K" + message[:200])  # carriage return + erase line: rewrite in place
        stream.flush()
        shown = True

    try:
        with reporting_to(show):
            yield
    finally:
        if shown:
            stream.write("\r\x1b[K")
            stream.flush()
