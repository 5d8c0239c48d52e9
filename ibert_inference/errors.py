"""One exception hierarchy for iBERT, rooted in :class:`IbertError`.

Every error says what was wrong, where, and what to do about it, so that a message
shown in the Dagster UI or on the command line is enough to act on.
"""

from __future__ import annotations


class IbertError(Exception):
    """Root of every error iBERT raises on purpose."""


class SchemaError(IbertError, ValueError):
    """A schema is malformed: unknown dtype, empty table, unparseable schema text."""


class UnsafeCodeError(IbertError):
    """Ibis source text uses a construct the safe evaluator does not allow.

    ``construct`` names the offending syntax or name, ``line`` is 1-based (or None).
    """

    def __init__(self, message: str, *, construct: str = "", line: int | None = None):
        where = f" (line {line})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.construct = construct
        self.line = line


class EvaluationError(IbertError):
    """Allowed Ibis code failed while being evaluated into an expression.

    ``message`` is the real error Ibis (or Python) raised, kept so that the
    error-resolution task can show it.
    """

    def __init__(self, message: str, *, error_type: str = "", line: int | None = None):
        super().__init__(message)
        self.error_type = error_type
        self.line = line


class EvaluationTimeout(EvaluationError):
    """Evaluating Ibis code took longer than its time limit."""


class SandboxRequiredError(IbertError):
    """Code from outside was about to be evaluated in a process that is not a sandbox worker.

    Evaluation runs only in a worker: call an isolated entry point
    (``ibert_inference.safe_eval.evaluates``, ``ibis_to_sql``, ``verify_pair``) instead.
    """


class InputTooLargeError(IbertError, ValueError):
    """An input (code, SQL, schema, settings file) or an output is over its size limit; the
    message names the limit and the setting that changes it."""


class UnknownDialectError(IbertError, ValueError):
    """A dialect Ibis cannot compile to."""


class NotAQueryError(IbertError, ValueError):
    """An Ibis expression that does not compile to a query on its own (a sort key, a schema)."""


class SQLParseError(IbertError, ValueError):
    """SQL text could not be parsed; the message quotes sqlglot with line and column."""


class UnsupportedSQLError(IbertError):
    """SQL that parses but that the deterministic translator cannot express in Ibis."""


class UnknownNameError(UnsupportedSQLError):
    """SQL names a table or column the schema does not have."""


class TemplateError(IbertError):
    """A template file is invalid; the message names the file, line and field."""


class ModelNotAvailableError(IbertError):
    """The configured model cannot be loaded (not cached offline, bad path, bad option)."""


class ModelNotConfiguredError(ModelNotAvailableError):
    """A task needs a model and none is configured (no --model, IBERT_MODEL_NAME or config)."""


class DataStoreError(IbertError):
    """A stored dataset partition is missing or unreadable."""
