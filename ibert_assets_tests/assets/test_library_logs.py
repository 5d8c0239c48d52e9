"""Library notes go to the step's log, never bare to stderr; progress bars only on a terminal."""

import io
import logging

import dagster as dg
import pytest

from ibert_assets.library_logs import (
    StepLogHandler,
    progress_bars_off_unless_terminal,
    route_library_logs,
)

# real SQL that makes sqlglot log its two notes the build used to print bare on stderr
NOTES = [
    ("SELECT REGEXP_LIKE(a, 'x', b) FROM t", "snowflake"),
    ("SELECT DECODE(a, ?) FROM t", "trino"),
]


@dg.asset
def transpiled() -> list[str]:
    import sqlglot

    return [sqlglot.transpile(sql, read=dialect, write="duckdb")[0] for sql, dialect in NOTES]


@pytest.fixture
def routed():
    logger = logging.getLogger("sqlglot")
    handlers = list(logger.handlers)
    route_library_logs()
    route_library_logs()  # twice (two definitions built in one process): one handler
    yield logger
    logger.handlers[:] = handlers


def test_sqlglot_notes_go_to_the_step_log_once_not_to_stderr(
    routed: logging.Logger, capfd: pytest.CaptureFixture[str]
):
    assert sum(isinstance(h, StepLogHandler) for h in routed.handlers) == 1
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [transpiled],
            instance=instance,
            resources={"io_manager": dg.mem_io_manager},
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
        logged = [entry.user_message for entry in instance.all_logs(result.run_id)]
    printed = capfd.readouterr()
    assert "Non-literal regexp flags" not in printed.err + printed.out
    assert "Expected utf-8 character set" not in printed.err + printed.out
    regexp = [m for m in logged if "sqlglot: Non-literal regexp flags" in m]
    assert len(regexp) == 1, logged
    assert any("sqlglot: Expected utf-8 character set, got ?." in m for m in logged), logged


@pytest.mark.parametrize("routed_first", [False, True])
def test_a_process_that_built_the_definitions_prints_no_bare_note(routed_first: bool):
    """In a plain process (a build worker, outside pytest's capture): before routing, the note
    is printed bare on stderr by Python's last-resort handler; after, nothing is."""
    import subprocess
    import sys

    code = (
        "import sqlglot\n"
        "from ibert_assets.library_logs import route_library_logs\n"
        f"if {routed_first}: route_library_logs()\n"
        f"sqlglot.transpile({NOTES[0][0]!r}, read='snowflake', write='duckdb')\n"
    )
    err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr
    assert ("Non-literal regexp flags" in err) is not routed_first, err


def test_progress_bars_stay_on_a_terminal_only():
    from transformers.utils import logging as transformers_logging

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert progress_bars_off_unless_terminal(Terminal())
    transformers_logging.enable_progress_bar()
    try:
        assert not progress_bars_off_unless_terminal(io.StringIO())
        assert not transformers_logging.is_progress_bar_enabled()
    finally:
        transformers_logging.enable_progress_bar()
