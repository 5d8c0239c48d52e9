"""What libraries say while a step runs goes to the step's log, not to the terminal.

sqlglot logs a warning for what it cannot render exactly in a dialect ("Non-literal regexp flags
are not fully supported in DuckDB", "Expected utf-8 character set, got ?."); with no handler of
its own such a record reaches Python's last-resort handler, which prints it bare on stderr, one
line per occurrence and without saying which step or snippet caused it. Whether a pair is right
is the verifier's to say (its verdict and a reject's reason are stored); the note is kept where a
person reading that step looks: the step's Dagster log, once per distinct message and step.

Progress bars (transformers, Hugging Face Hub) are for a person watching a terminal: where stderr
is a pipe or a file they become pages of carriage returns, so they are switched off there.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

LIBRARY_LOGGERS = ("sqlglot",)


class StepLogHandler(logging.Handler):
    """Passes a library's records to the Dagster step running in this process (its log, at
    debug level, once per message and step); records made anywhere else are dropped: outside a
    step, and in a process forked from this one (a sandbox worker has no step log to write to)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.pid = os.getpid()
        self.seen: set[tuple[str, str, str]] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if os.getpid() != self.pid:
            return
        import dagster as dg

        try:
            context = dg.OpExecutionContext.get()
        except Exception:  # not inside a step
            return
        message = f"{record.name}: {record.getMessage()}"
        key = (context.run_id, context.op_handle.name, message)
        if key not in self.seen:
            self.seen.add(key)
            context.log.debug(f"{message} (a library's note; the verifier decides)")


def route_library_logs() -> None:
    """Give each library logger this process's step-log handler, once. With a handler of its
    own, a record no longer falls through to Python's last-resort handler (which printed it bare
    on stderr); handlers a program configured on the root logger still get it."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h, StepLogHandler) for h in logger.handlers):
            logger.addHandler(StepLogHandler())


def progress_bars_off_unless_terminal(stream: TextIO | None = None) -> bool:
    """Switch transformers' and the Hub's progress bars off when ``stream`` (stderr) is not a
    terminal; returns whether they stay on. Imports them: call it where a model is loaded."""
    stream = stream if stream is not None else sys.stderr
    on = bool(getattr(stream, "isatty", lambda: False)())
    if not on:
        try:
            import huggingface_hub.utils
            import transformers.utils.logging
        except ImportError:  # no model extra: nothing that draws them is installed
            return on
        transformers.utils.logging.disable_progress_bar()
        huggingface_hub.utils.disable_progress_bars()
    return on
