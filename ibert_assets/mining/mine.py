"""From a snapshot to records: SQL translated and verified, Ibis compiled and run, docs extracted.

Mined code is never executed: SQL runs only on generated DuckDB databases, Ibis only through the
safe evaluator. Every snippet ends as a record or a reject with its reason; every skipped file is
counted by reason.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ibert_assets.mining.declared import DeclaredSchemas, declared_schemas, refine_schema
from ibert_assets.mining.docs import DocExample, doc_examples_from_file
from ibert_assets.mining.extract import Snippet, snippets_from_file
from ibert_assets.mining.files import SourceFile, read_source_files
from ibert_assets.mining.slicing import slice_allowed
from ibert_assets.mining.snapshots import Snapshot, changed_files, snapshot_files
from ibert_assets.mining.sql_author import SAMPLE_WEIGHT, sql_author
from ibert_assets.outcome import Outcome, Reject
from ibert_inference.dataset.record import (
    NOT_APPLICABLE,
    VERIFIED,
    IbisToSqlInput,
    Record,
    SqlToIbisInput,
    make_id,
)
from ibert_inference.errors import IbertError
from ibert_inference.sandbox import isolated
from ibert_inference.schema.infer_sql import SchemaInferenceError, infer_schema

if TYPE_CHECKING:
    from ibert_inference.translate import Translation
    from ibert_inference.verify.pair import Verdict

QUERY_TYPES = ("Select", "Union", "Intersect", "Except", "Subquery")


def files_to_read(
    snapshot: Snapshot, previous: list[Record] | None
) -> tuple[list[str], Callable[[str | None], bool]]:
    """Paths to (re)read, and whether what was mined from a path stays (incremental re-mining).

    What was mined from a file the new head did not change stays as it was; an unmoved head
    re-reads nothing, and a history that cannot be compared re-reads everything.
    """
    paths = snapshot_files(snapshot)
    if not previous:
        return paths, lambda path: False
    old_commit = next((r.provenance.commit for r in previous if r.provenance), None)
    if old_commit == snapshot.commit:
        return [], lambda path: True
    changed = changed_files(snapshot.path, old_commit, snapshot.commit) if old_commit else None
    if changed is None:
        return paths, lambda path: False

    def unchanged(path: str | None) -> bool:
        return path not in changed

    return [p for p in paths if p in changed], unchanged


def mine_code(
    snapshot: Snapshot,
    previous: list[Record] | None = None,
    *,
    previous_rejects: list[Reject] | None = None,
    seed: int = 0,
) -> Outcome:
    """SQL<->Ibis pairs from every minable file of the snapshot.

    ``previous`` and ``previous_rejects`` are what the last run stored: those of unchanged files
    are kept as they are, so a re-mining neither repeats their work nor loses their reasons.
    """
    outcome, sources = _begin(snapshot, previous, previous_rejects)

    @functools.cache
    def declared() -> DeclaredSchemas:
        # the whole snapshot's (a changed SQL file may use a table an unchanged test module
        # declares); read once, and only if some SQL is mined
        found = declared_schemas(
            read_source_files(snapshot.path, snapshot_files(snapshot), Counter())
        )
        outcome.counts["declared_tables"] = len(found.declarations)
        return found

    with _quiet_foreign_code():
        _mine_snippets(outcome, sources, snapshot, seed, declared)
    return outcome


@contextlib.contextmanager
def _quiet_foreign_code() -> Iterator[None]:
    """Foreign SQL makes sqlglot log warnings, foreign Ibis code raises deprecation warnings.

    Thousands of them per repository would bury the build's progress; what matters about a
    snippet is whether it verifies, and the rejects say why not.
    """
    sqlglot_log = logging.getLogger("sqlglot")
    level = sqlglot_log.level
    sqlglot_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        sqlglot_log.setLevel(level)


def _mine_snippets(
    outcome: Outcome,
    sources: Iterator[SourceFile],
    snapshot: Snapshot,
    seed: int,
    declared: Callable[[], DeclaredSchemas],
) -> None:
    for source in sources:
        for snippet in snippets_from_file(source, outcome.skipped):
            outcome.counts[f"snippets_{snippet.kind}"] += 1
            try:
                if snippet.kind == "sql":
                    record = _sql_pair(snippet, snapshot, seed, declared(), outcome.counts)
                else:
                    record = _ibis_pair(snippet, snapshot, seed)
            except _Rejected as rejected:
                outcome.rejects.append(_reject(snippet, snapshot, rejected.status, str(rejected)))
                outcome.counts[f"rejected_{rejected.status}"] += 1
                continue
            outcome.keep(record, VERIFIED)


def mine_docs(snapshot: Snapshot, previous: list[Record] | None = None) -> Outcome:
    """Q&A, code examples and function/docstring pairs from the snapshot's documentation."""
    outcome, sources = _begin(snapshot, previous)
    for source in sources:
        for example in _doc_examples(source, outcome.skipped):
            if example.rejected is not None:
                status, _, reason = example.rejected.partition(": ")
                outcome.reject(
                    {"kind": example.kind, "text": str(example.target)[:5_000],
                     "provenance": _provenance(snapshot, example.path, example.line_start,
                                               example.line_end, example.kind)},
                    status, reason,
                )  # fmt: skip
                continue
            outcome.keep(_doc_record(example, snapshot), example.kind)
    return outcome


def _begin(
    snapshot: Snapshot,
    previous: list[Record] | None,
    previous_rejects: list[Reject] | None = None,
) -> tuple[Outcome, Iterator[SourceFile]]:
    """The outcome holding what is kept from before, and the files to read."""
    outcome = Outcome(key=_dedup_key)
    paths, unchanged = files_to_read(snapshot, previous)
    kept = [
        r.replace(provenance=r.provenance.model_copy(update={"commit": snapshot.commit}))
        if r.provenance
        else r
        for r in previous or ()
        if unchanged(r.provenance.path if r.provenance else None)
    ]
    outcome.records.extend(kept)
    for reject in previous_rejects or ():
        if unchanged((reject.get("provenance") or {}).get("path")):
            if reject.get("provenance"):
                reject["provenance"]["commit"] = snapshot.commit
            outcome.rejects.append(reject)
    outcome.counts["kept_unchanged"] = len(kept)
    outcome.counts["files_read"] = 0

    def sources() -> Iterator[SourceFile]:
        for source in read_source_files(snapshot.path, paths, outcome.skipped):
            outcome.counts["files_read"] += 1
            yield source

    outcome.seen.update(_dedup_key(r) for r in kept)
    return outcome, sources()


def _doc_examples(source: SourceFile, skipped: Counter[str]) -> Iterator[DocExample]:
    try:
        yield from doc_examples_from_file(source)
    except RecursionError:
        skipped["too_deeply_nested"] += 1


class _Rejected(Exception):
    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status = status


def _sql_pair(
    snippet: Snippet,
    snapshot: Snapshot,
    seed: int,
    declared: DeclaredSchemas,
    counts: Counter[str],
) -> Record:
    import sqlglot
    from sqlglot.errors import SqlglotError

    try:
        statements = [s for s in sqlglot.parse(snippet.text, read=snippet.dialect) if s is not None]
    except (SqlglotError, ValueError, RecursionError) as exc:
        raise _Rejected("sql_parse_error", str(exc).splitlines()[0][:300]) from None
    if len(statements) != 1 or type(statements[0]).__name__ not in QUERY_TYPES:
        raise _Rejected("not_a_single_query", f"{len(statements)} statements, not one query")
    sample = statements[0].find(sqlglot.exp.TableSample)
    if sample is not None:
        # a random sample: on the small generated databases it keeps every row, so a
        # translation that drops it verifies while meaning something else
        raise _Rejected(
            "nondeterministic",
            f"{sample.sql(dialect='duckdb')}: a random sample cannot be verified by comparing "
            "results, and a translation that drops it would still pass",
        )
    try:
        sql = statements[0].sql(dialect="duckdb", pretty=True)
        inferred = infer_schema(statements[0], dialect=snippet.dialect)
    except (SchemaInferenceError, SqlglotError, ValueError) as exc:
        raise _Rejected("schema_inference", str(exc)) from None
    # the repository's own declaration of a table beats types guessed from one query; where
    # the declaration turns out to be another table of that name, the guess is tried
    declared_schema, replaced = refine_schema(inferred, declared, snippet.path)
    if replaced:
        try:
            schema, translation, verdict = _translated(sql, declared_schema, seed)
            counts["tables_from_declarations"] += len(replaced)
        except _Rejected:
            counts["declarations_not_fitting"] += 1
            replaced = []
    if not replaced:
        schema, translation, verdict = _translated(sql, inferred, seed)
    return _record(
        task="sql_to_ibis",
        input={"sql": sql, "dialect": "duckdb", "original_sql": snippet.text,
               "original_dialect": snippet.dialect},
        target={"ibis": translation.code},
        schema=schema,
        snippet=snippet,
        snapshot=snapshot,
        verification={"method": "differential_execution", "status": verdict.status,
                      "databases": verdict.databases, "seed": seed},
    )  # fmt: skip


def _translated(
    sql: str, schema: dict[str, dict[str, str]], seed: int
) -> tuple[dict[str, dict[str, str]], Translation, Verdict]:
    """The schema, the translation of ``sql`` over it and its verdict, when it verified."""
    from ibert_inference import sql_to_ibis, verify_pair

    try:
        translation = sql_to_ibis(sql, schema, dialect="duckdb")
    except IbertError as exc:
        raise _Rejected("untranslatable", str(exc)[:300]) from None
    verdict = verify_pair(sql, translation.code, schema, seed=seed)
    if not verdict.ok:
        raise _Rejected(verdict.status, verdict.reason or verdict.status)
    return schema, translation, verdict


def _ibis_pair(snippet: Snippet, snapshot: Snapshot, seed: int) -> Record:
    from ibert_inference.errors import UnsafeCodeError

    code = slice_allowed(snippet.text)
    if code is None:
        raise _Rejected("unsafe", "no statement of the snippet passes the safe evaluator")
    try:
        outcome = compile_and_verify(code, seed)
    except UnsafeCodeError as exc:  # the worker died: a resource limit, or worse
        raise _Rejected("unsafe", str(exc)[:300]) from None
    if "rejected" in outcome:
        raise _Rejected(*outcome["rejected"])
    sql, schema, verdict = outcome["sql"], outcome["schema"], outcome["verdict"]
    return _record(
        task="ibis_to_sql",
        input={"ibis": code},
        target={"sql": sql, "dialect": "duckdb"},
        schema=schema,
        snippet=snippet,
        snapshot=snapshot,
        verification={
            "method": "ibis_compiler",
            "status": verdict["status"],
            "databases": verdict["databases"],
            "seed": seed,
        },
    )


@isolated()
def compile_and_verify(code: str, seed: int) -> dict[str, Any]:
    """Evaluate, compile and verify a mined Ibis snippet, all in a sandbox worker.

    ``{"rejected": [status, reason]}``, or the compiled ``sql``, the ``schema`` of its tables
    and the ``verdict`` (status and databases) when it verified.
    """
    from ibert_inference.compiler import bounded_to_sql
    from ibert_inference.errors import EvaluationError, InputTooLargeError, UnsafeCodeError
    from ibert_inference.safe_eval.evaluator import evaluate_ibis
    from ibert_inference.verify.pair import verify_expr

    def rejected(status: str, reason: str) -> dict[str, Any]:
        return {"rejected": [status, reason[:300]]}

    try:
        expr = evaluate_ibis(code)  # this function runs in a sandbox worker
    except (UnsafeCodeError, InputTooLargeError) as exc:
        return rejected("unsafe", str(exc))
    except EvaluationError as exc:
        return rejected("ibis_error", str(exc))
    try:
        sql = bounded_to_sql(expr, "duckdb")
        tables = list(_unbound_tables(expr))
        schema = {op.name: {name: str(dtype) for name, dtype in op.schema.items()} for op in tables}
    except Exception as exc:  # ibis raises many types while compiling foreign code
        return rejected("compile_error", f"{type(exc).__name__}: {exc}")
    unnamed = [name for name in schema if name.startswith("unbound_table_")]
    if unnamed:
        return rejected(
            "unnamed_table",
            "ibis.table(...) without a name compiles to a name that depends on the process "
            f"({unnamed[0]}): the SQL would not be reproducible",
        )
    # the compiled SQL must run, and return rows, on the databases that verify every pair
    verdict = verify_expr(sql, expr, schema, seed=seed)
    if not verdict.ok:
        return rejected(verdict.status, verdict.reason or verdict.status)
    return {
        "sql": sql,
        "schema": schema,
        "verdict": {"status": verdict.status, "databases": verdict.databases},
    }


def _unbound_tables(expr: Any) -> Iterable[Any]:
    import ibis.expr.operations as ops

    return expr.op().find(ops.UnboundTable)


def _provenance(snapshot: Snapshot, path: str, start: int, end: int, origin: str) -> dict[str, Any]:
    package: dict[str, Any] = {}
    if snapshot.kind == "installed":  # a release stands for the commit
        name, _, version = snapshot.commit.partition("==")
        package = {"package": name, "version": version}
    return {
        **package,
        "repo": snapshot.repo,
        "url": snapshot.url,
        "commit": snapshot.commit,
        "path": path,
        "line_start": start,
        "line_end": end,
        "license": snapshot.license,
        "origin": origin,
    }


def _record(
    *,
    task: str,
    input: dict[str, Any],
    target: dict[str, Any],
    schema: dict[str, dict[str, str]],
    snippet: Snippet,
    snapshot: Snapshot,
    verification: dict[str, Any],
) -> Record:
    import ibis

    return Record(
        id=make_id(task, input, target),
        task=task,
        dialect="duckdb",
        backend="duckdb",
        ibis_version=ibis.__version__,
        context={"tables": {t: {"schema": cols} for t, cols in schema.items()}},
        input=input,
        target=target,
        meta={"source": "mined", "origin": snippet.origin, "features": [], "difficulty": None,
              **_authorship(task, snippet)},
        provenance=_provenance(snapshot, snippet.path, snippet.line_start, snippet.line_end,
                               snippet.origin),
        verification=verification,
    )  # fmt: skip


def _authorship(task: str, snippet: Snippet) -> dict[str, Any]:
    """For a mined SQL query: who wrote it (a person or Ibis) and its sample weight."""
    if task != "sql_to_ibis":
        return {}
    author = sql_author(snippet.text, snippet.path)
    return {"sql_author": author, "sample_weight": SAMPLE_WEIGHT[author]}


def _doc_record(example: DocExample, snapshot: Snapshot) -> Record:
    import ibis

    return Record(
        id=make_id(example.task, example.input, example.target),
        task=example.task,
        dialect=None,
        backend=None,
        ibis_version=ibis.__version__,
        context={"tables": {}},
        input=example.input,
        target=example.target,
        meta={"source": "docs", "kind": example.kind, **example.meta},
        provenance=_provenance(snapshot, example.path, example.line_start, example.line_end,
                               example.kind),
        verification={"method": "parsed", "status": NOT_APPLICABLE, "databases": 0},
    )  # fmt: skip


def _reject(snippet: Snippet, snapshot: Snapshot, status: str, reason: str) -> Reject:
    return {
        "status": status,
        "reason": reason,
        "kind": snippet.kind,
        "text": snippet.text[:5_000],
        "provenance": _provenance(snapshot, snippet.path, snippet.line_start, snippet.line_end,
                                  snippet.origin),
    }  # fmt: skip


def _dedup_key(record: Record) -> str:
    given = record.input
    body = (
        given.sql
        if isinstance(given, SqlToIbisInput)
        else given.ibis
        if isinstance(given, IbisToSqlInput)
        else repr(given.to_dict())
    )
    normalized = " ".join(str(body).lower().split())
    return hashlib.sha256(f"{record.task}|{normalized}".encode()).hexdigest()
