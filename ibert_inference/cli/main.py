"""The ``ibert`` command: six Ibis code tasks from the shell.

    $ echo 't.filter(_.x > 1)' | ibert to-sql --schema "x: int64"
    $ ibert from-sql query.sql --schema '{"orders": {"id": "int64", "amount": "float64"}}'
    $ ibert fix broken.py --schema "amount: float64" --no-model
    $ ibert qa -q "How do I count rows per group?"

Exit codes: 0 the task succeeded, 1 the task ran but found nothing it could verify,
2 a usage or input error (a one-line message, never a traceback), 3 the task needs a model and
none is configured or the configured one cannot be loaded.

Settings are read once, here: the ``IBERT_*`` environment variables
(:mod:`ibert_inference.settings`), then ``config.yaml`` in the working directory (or ``--config
FILE``: the seed's ``max_tokens``, ``data_dir``, ``log_level`` and model settings; unknown keys
are refused), then the flags. The tasks are given what they need as values: the model, the
dataset store (``qa``'s corpus), the sandbox's limits.

Only the standard library and the task registry are imported at module level: each subcommand
imports what it needs inside its handler, so ``ibert to-sql`` never loads dagster, torch or
transformers.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ibert_inference.errors import (
    EvaluationError,
    IbertError,
    ModelNotAvailableError,
    UnknownNameError,
    UnsupportedSQLError,
)
from ibert_inference.tasks.registry import VERBS, TaskSpec, by_alias, by_verb

if TYPE_CHECKING:
    from ibert_inference.cli.config import CliConfig
    from ibert_inference.model.language_model import Model
    from ibert_inference.settings import InferenceSettings
    from ibert_inference.tasks.result import TaskResult

MAX_INPUT_BYTES = 1_000_000
"""Inputs above this size are refused: no Ibis snippet, SQL query or question is that long."""

DEFAULT_TIME_BUDGET_S = 30.0
"""Seconds a model may generate for one request unless --time-budget says otherwise."""

EXIT_NO_MODEL = 3
"""Exit code when a task needs a model that is not configured or cannot be loaded."""

_MODEL_MODULES = frozenset({"torch", "transformers", "accelerate", "tokenizers", "gguf"})
PROG = "ibert"
SUBCOMMANDS = VERBS  # one per task, as the task registry names them


class InputError(IbertError):
    """The command's input is unusable: empty, binary, too large, or missing."""


def build_parser() -> argparse.ArgumentParser:
    """The ``ibert`` parser with its six subcommands."""
    parser = argparse.ArgumentParser(
        prog=PROG, description=f"Ibis code tasks: {', '.join(SUBCOMMANDS)}."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, input_help: str) -> argparse.ArgumentParser:
        help_text = by_verb(name).summary
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("input", nargs="?", help=f"{input_help}; '-' or omitted reads stdin")
        sub.add_argument("--json", action="store_true", help="print the full result as JSON")
        return sub

    def add_schema(sub: argparse.ArgumentParser, *, required: bool = False) -> None:
        sub.add_argument(
            "--schema",
            required=required,
            help="'col: dtype, ...' for one table (see --table-name), or JSON "
            '{"table": {"col": "dtype"}}; a path to a file holding either also works',
        )
        sub.add_argument("--table-name", default="t", help="table name for the 'col: dtype' form")

    def add_model(sub: argparse.ArgumentParser) -> None:
        group = sub.add_argument_group("model")
        group.add_argument("--no-model", action="store_true", help="deterministic path only")
        group.add_argument("--model", help="model name or local folder (else env / --config)")
        group.add_argument(
            "--config",
            type=Path,
            help="YAML or TOML settings file (default: config.yaml in the working directory)",
        )
        group.add_argument(
            "--time-budget",
            type=float,
            default=DEFAULT_TIME_BUDGET_S,
            metavar="SECONDS",
            help="seconds the model may generate for this request, after it has loaded "
            f"(default {DEFAULT_TIME_BUDGET_S:g})",
        )
        group.add_argument("--temperature", type=float, help="sampling temperature")
        group.add_argument("--max-tokens", type=int, help="most new tokens per answer")

    complete = add("complete", "file with the code prefix")
    add_schema(complete)
    complete.add_argument("--candidates", type=int, default=4, help="completions to try")
    complete.add_argument(
        "--instruction", help="what the completed code should compute (ranks the candidates)"
    )
    add_model(complete)

    to_sql = add("to-sql", "file with Ibis code")
    add_schema(to_sql)
    to_sql.add_argument("--dialect", default="duckdb", help="SQL dialect (ibis compiler name)")

    from_sql = add(
        "from-sql",
        "file with one SQL query, or a folder of .sql files (one Ibis module per model)",
    )
    add_schema(from_sql)
    from_sql.add_argument("--dialect", default="duckdb", help="dialect the SQL is written in")
    from_sql.add_argument("--retries", type=int, default=3, help="model attempts when needed")
    from_sql.add_argument(
        "--out",
        type=Path,
        default=Path("ibis_models"),
        help="where a folder's Ibis modules go, one per .sql file (default: ibis_models/)",
    )
    add_model(from_sql)

    fix = add("fix", "file with the failing code")
    add_schema(fix)
    fix.add_argument("--error", help="the error message seen (else found by evaluating)")
    fix.add_argument("--context", help="what the code is meant to do")
    add_model(fix)

    qa = add("qa", "file with the question")
    qa.add_argument("-q", "--question", help="the question text (instead of a file or stdin)")
    qa.add_argument("--k", type=int, default=3, help="passages to retrieve")
    qa.add_argument("--context", help="extra context for the question: text, or a file holding it")
    qa.add_argument(
        "--corpus", action="append", default=[], type=Path, help="extra JSONL passages or folder"
    )
    add_model(qa)

    doc = add("doc", "file with functions")
    doc.add_argument("--style", choices=("google", "numpy"), default="google")
    doc.add_argument("--no-examples", action="store_true", help="leave out the Examples section")
    doc.add_argument("--function", metavar="NAME", help="document only this one (or Class.name)")
    doc.add_argument("--replace", action="store_true", help="rewrite existing docstrings too")
    add_model(doc)
    return parser


MAX_CORPUS_BYTES = 200_000_000
"""A --corpus file above this size is refused before it is read."""

GC_THRESHOLDS = (100_000, 10, 10)
"""The garbage collector's thresholds while a command runs (CPython's default: 700, 10, 10).

A cold start is mostly imports (Ibis, sqlglot, DuckDB): some 100,000 objects that live as long as
the process, which the default thresholds have the collector walk again and again while they
load, ~50 ms of CPU of a 0.35 s ``ibert to-sql`` (``benchmarks/bench_cli.py``). A collection
every 100,000 new objects instead: none during a cold start, while a long run (a folder of SQL
files, a model's generation) still collects its garbage. The sandbox worker, forked during the
command, keeps them.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ibert`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    The error boundary of the command: whatever goes wrong below is one line and exit 2, never a
    traceback (a bad setting in the environment, input too large to hold in memory, ...).
    """
    words = list(sys.argv[1:] if argv is None else argv)
    prog = f"{PROG} {words[0]}" if words and words[0] in SUBCOMMANDS else PROG
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        print(f"{prog}: error: out of memory: the input is too large to process", file=sys.stderr)
        return 2
    except RecursionError:
        print(f"{prog}: error: the input is nested too deeply to process", file=sys.stderr)
        return 2
    except Exception as exc:  # the boundary: a message, not a traceback
        print(f"{prog}: error: {type(exc).__name__}: {_one_line(exc)[:500]}", file=sys.stderr)
        return 2
    finally:
        gc.set_threshold(*thresholds)  # a caller's own (a test calling main) are its business


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: choose a command: {', '.join(SUBCOMMANDS)}", file=sys.stderr)
        return 2
    sub_prog = f"{PROG} {args.command}"
    try:
        args.settings = load_settings(args)
        args.runtime = runtime_settings(args.settings)
        with _progress(), _budget(args):
            result = HANDLERS[args.command](args)
    except InputError as exc:
        if not str(exc):  # no input at all on a terminal: show how to call it
            _subparser(parser, args.command).print_usage(sys.stderr)
            print(f"{sub_prog}: error: no input: give a file, '-' or pipe stdin", file=sys.stderr)
        else:
            print(f"{sub_prog}: error: {exc}", file=sys.stderr)
        return 2
    except ModelNotAvailableError as exc:  # configuration, not the input: its own exit code
        print(f"{sub_prog}: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_NO_MODEL
    except UnsupportedSQLError as exc:
        if isinstance(exc, UnknownNameError):
            print(f"{sub_prog}: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        # SQL that parses but that nothing could translate: the task failed, the input is fine
        print(f"{sub_prog}: {_one_line(exc)}", file=sys.stderr)
        return 1
    except IbertError as exc:
        print(f"{sub_prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # an optional part (the model extra) is not installed
        hint = " (pip install 'ibert[model]')" if exc.name in _MODEL_MODULES else ""
        print(f"{sub_prog}: error: module {exc.name!r} is not installed{hint}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    _print_result(result, by_verb(args.command), as_json=args.json)
    if not result.ok:
        details = result.details
        reason = details.get("reason") or details.get("unsupported") or "nothing could be verified"
        print(f"{sub_prog}: {_one_line(reason)}", file=sys.stderr)
        return 1
    if not args.json:  # what was checked, in the words --json uses (`verified`, `checks`)
        from ibert_inference.tasks.result import describe_checks

        print(f"{sub_prog}: {describe_checks(result)}", file=sys.stderr)
    return 0


def alias_main(argv: Sequence[str] | None = None, *, alias: str | None = None) -> int:
    """The entry point of every seed command (``sql-to-ibert``, ``ibert-fix``, ...): runs
    ``ibert <verb>`` for the task whose registry alias is the command's name (``alias``,
    default: the name it was started by)."""
    name = alias or Path(sys.argv[0]).name
    try:
        verb = by_alias(name).verb
    except IbertError as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return 2
    return main([verb, *(sys.argv[1:] if argv is None else argv)])


# --- handlers: each imports only what its task needs -------------------------------------------


def _run_complete(args: argparse.Namespace) -> TaskResult:
    from ibert_inference.tasks.code_completion import complete_code

    prefix = read_input(args.input)
    return complete_code(
        prefix,
        schema=_schema(args),
        model=_model(args),
        instruction=args.instruction,
        candidates=args.candidates,
        time_budget_s=args.time_budget,
        max_new_tokens=args.max_tokens or args.settings.max_tokens,
    )


def _run_to_sql(args: argparse.Namespace) -> TaskResult:
    from ibert_inference.tasks.ibis_to_sql import to_sql

    code = read_input(args.input)
    try:
        return to_sql(code, schema=_schema(args), dialect=args.dialect)
    except EvaluationError as exc:  # the user's code does not evaluate: an input error
        raise InputError(f"the code does not evaluate: {_one_line(exc)}") from None


def _run_from_sql(args: argparse.Namespace) -> TaskResult:
    from ibert_inference.tasks.sql_to_ibis import from_sql

    if args.input not in (None, "-") and Path(args.input).is_dir():
        return run_from_sql_folder(args)
    sql = read_input(args.input)
    return from_sql(
        sql, schema=_schema(args), dialect=args.dialect, model=_model(args), retries=args.retries
    )


def run_from_sql_folder(args: argparse.Namespace) -> TaskResult:
    """``ibert from-sql DIR``: a line per model as it is done, then the summary table (the
    result's output); verified only when every model verified."""
    from ibert_inference.tasks.result import TaskResult
    from ibert_inference.tasks.sql_folder import sql_files, summary_table, translate_folder

    folder = Path(args.input)
    if not sql_files(folder):
        raise InputError(f"{folder}: no .sql file in this folder")

    def show(outcome: Any) -> None:
        if not args.json:
            print(outcome.line(), flush=True)

    outcomes = translate_folder(
        folder,
        out_dir=args.out,
        dialect=args.dialect,
        schema=_schema(args),
        model=_model(args),
        on_outcome=show,
    )
    unverified = [o for o in outcomes if o.status != "verified"]
    details: dict[str, Any] = {"models": [vars(o) for o in outcomes], "out": str(args.out)}
    if unverified:
        details["reason"] = f"{len(unverified)} of {len(outcomes)} models did not verify"
    table = summary_table(outcomes)
    return TaskResult("sql_to_ibis", table, not unverified, "deterministic", details)


def _run_fix(args: argparse.Namespace) -> TaskResult:
    from ibert_inference.tasks.error_resolution import fix_code

    code = read_input(args.input)
    return fix_code(
        code, schema=_schema(args), error=args.error, context=args.context, model=_model(args)
    )


def _run_qa(args: argparse.Namespace) -> TaskResult:
    from ibert_inference.tasks.qa import answer_question

    question = args.question if args.question is not None else read_input(args.input)
    if not question.strip():
        raise InputError("empty input: give a question")
    if args.k < 1:
        raise InputError(f"--k must be at least 1, got {args.k}")
    context = _text_or_file(args.context, "--context") if args.context is not None else None
    for path in args.corpus:
        _check_corpus_path(path)
    return answer_question(
        question.strip(),
        model=_model(args),
        corpus_paths=tuple(args.corpus),
        k=args.k,
        context=context,
        store=args.runtime.store,
    )


def _run_doc(args: argparse.Namespace) -> TaskResult:
    from ibert_inference.tasks.documentation import document_function

    source = read_input(args.input)
    return document_function(
        source,
        style=args.style,
        examples=not args.no_examples,
        model=_model(args),
        function=args.function,
        replace=args.replace,
    )


HANDLERS: dict[str, Callable[[argparse.Namespace], TaskResult]] = {
    "complete": _run_complete,
    "to-sql": _run_to_sql,
    "from-sql": _run_from_sql,
    "fix": _run_fix,
    "qa": _run_qa,
    "doc": _run_doc,
}


# --- input, schema, model, output -----------------------------------------------------------


def read_input(path: str | None) -> str:
    """Text from ``path``, or from stdin when ``path`` is ``'-'`` or None and stdin is piped.

    Raises :class:`InputError` for a missing file, empty, binary (NUL bytes, not UTF-8) or
    oversized input. With no path and stdin a terminal it raises at once (an empty message
    asks the caller to print usage) rather than wait for typing.
    """
    if path is None or path == "-":
        if path is None and sys.stdin.isatty():
            raise InputError("")
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        where = "stdin"
    else:
        file = Path(path)
        if not file.is_file():
            raise InputError(f"{path}: no such file")
        if file.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(
                f"{path}: input is {file.stat().st_size:,} bytes; the limit is {MAX_INPUT_BYTES:,}"
            )
        data = file.read_bytes()
        where = path
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{where}: input is over the limit of {MAX_INPUT_BYTES:,} bytes")
    if b"\x00" in data:
        raise InputError(f"{where}: input is binary (it has NUL bytes); give text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: input is not UTF-8 text (bad byte at offset {exc.start})"
        ) from None
    if not text.strip():
        raise InputError(f"{where}: empty input")
    return text


def _check_corpus_path(path: Path) -> None:
    """A corpus is a regular file of bounded size or a folder: never a device like /dev/zero."""
    if path.is_dir() or not path.exists():  # a missing path is the retriever's "not found"
        return
    if not path.is_file():
        raise InputError(f"--corpus {path}: not a regular file or folder")
    if path.stat().st_size > MAX_CORPUS_BYTES:
        raise InputError(
            f"--corpus {path}: {path.stat().st_size:,} bytes; the limit is {MAX_CORPUS_BYTES:,}"
        )


def _schema(args: argparse.Namespace) -> dict[str, dict[str, str]] | None:
    text = args.schema
    if text is None:
        return None
    from ibert_inference.schema.tables import parse_schema_text

    candidate = Path(text)
    if not text.lstrip().startswith("{") and ":" not in text and candidate.is_file():
        if candidate.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(
                f"--schema {text}: {candidate.stat().st_size:,} bytes; the limit is "
                f"{MAX_INPUT_BYTES:,}"
            )
        text = candidate.read_text(encoding="utf-8")
    return parse_schema_text(text, table_name=args.table_name)


def _model(args: argparse.Namespace) -> Model | None:
    """The model the settings describe, or None (``--no-model`` or nothing configured).

    Its settings: the environment's, then the settings file's, then the flags'; its store and
    cache: the command's (``IBERT_DATA_DIR`` or the file's ``data_dir``; ``IBERT_CACHE_DIR``).
    """
    if getattr(args, "no_model", True):
        return None
    overrides = dict(args.settings.model)
    later_wins = [
        ("max_new_tokens", args.settings.max_tokens),  # the file's seed key
        ("model_name", args.model),
        ("temperature", args.temperature),
        ("max_new_tokens", args.max_tokens),
    ]
    overrides.update((name, value) for name, value in later_wins if value is not None)
    from pydantic import ValidationError

    from ibert_inference.errors import ModelNotAvailableError
    from ibert_inference.model.choice import means_no_model
    from ibert_inference.model.language_model import Model

    try:
        model = Model.from_settings(args.runtime, **overrides)
    except ValidationError as exc:  # a setting from config.yaml, the environment or a flag
        problem = exc.errors()[0]
        where = ".".join(map(str, problem["loc"]))
        raise InputError(f"model setting {where}: {problem['msg']}") from None
    try:
        model.choice()  # named, else the newest fine-tuned one, else the packaged small one
    except ModelNotAvailableError:
        if model.settings.model_name and not means_no_model(model.settings.model_name):
            raise  # a model was named and cannot be had: say so (exit 3)
        return None  # no model anywhere: the deterministic/retrieval path answers
    return model


def load_settings(args: argparse.Namespace) -> CliConfig:
    """The settings file (``--config`` or a discovered ``config.yaml``); its log level applied."""
    from ibert_inference.cli.config import CliConfig, ConfigError, find_config, load_config

    path = getattr(args, "config", None) or find_config()
    if path is None:
        return CliConfig()
    try:
        settings = load_config(path)
    except ConfigError as exc:
        raise InputError(str(exc)) from None
    settings.apply_log_level()
    return settings


def runtime_settings(config: CliConfig) -> InferenceSettings:
    """The environment's settings (read once, here), with the settings file's ``data_dir``; the
    sandbox of this process is configured from them."""
    from ibert_inference import sandbox
    from ibert_inference.settings import InferenceSettings

    settings = config.over(InferenceSettings.from_environment())
    sandbox.configure(settings.sandbox)
    return settings


def _budget(args: argparse.Namespace) -> contextlib.AbstractContextManager[None]:
    """The request's time budget (model subcommands), shared by all its model calls."""
    from ibert_inference.model.budget import time_budget

    seconds = getattr(args, "time_budget", None)
    if seconds is not None and seconds <= 0:
        raise InputError(f"--time-budget must be a positive number of seconds, got {seconds}")
    if args.command == "complete":  # complete_code keeps its own budget, counted after loading
        return contextlib.nullcontext()
    return time_budget(seconds)


def _progress() -> contextlib.AbstractContextManager[None]:
    from ibert_inference.model.progress import terminal_progress

    return terminal_progress(sys.stderr)


def _text_or_file(value: str, flag: str) -> str:
    """``value`` itself, or the text of the file it names."""
    if "\n" not in value and len(value) < 4096 and Path(value).is_file():
        return read_input(value)
    if not value.strip():
        raise InputError(f"{flag} is empty")
    return value


def _print_result(result: TaskResult, task: TaskSpec, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    elif result.output:
        inferred = result.details.get("inferred_schema")
        if inferred:  # said in the output itself, as a comment of the output's language
            where = "SQL" if task.reads == "sql" else "code"
            sql = task.writes == "sql"
            print(inferred_schema_comment(inferred, sql=sql, where=where))
            for note in result.details.get("inferred_schema_notes", []):
                print(f"{'--' if sql else '#'} assumed: {note}")
        print(result.output.rstrip("\n"))


def inferred_schema_comment(
    schema: dict[str, dict[str, str]], *, sql: bool, where: str | None = None
) -> str:
    """One comment line naming the schema the task inferred (from ``where``), and how to give
    the real one."""
    tables = "; ".join(
        f"{table}({', '.join(f'{column} {dtype}' for column, dtype in columns.items())})"
        for table, columns in schema.items()
    )
    where = where or ("code" if sql else "SQL")
    return f"{'--' if sql else '#'} schema inferred from the {where} (--schema sets it): {tables}"


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    return parser


if __name__ == "__main__":
    sys.exit(main())
