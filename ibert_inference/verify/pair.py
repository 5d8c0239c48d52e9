"""Differential verification of a SQL<->Ibis pair: both run on generated DuckDB databases.

The Ibis code is evaluated once with the safe evaluator and compiled once; the SQL and the compiled
SQL then run on every generated database and must agree (see :mod:`ibert_inference.verify.compare`).
A pair that returns no rows on any database, larger ones included, proves nothing and is rejected
as vacuous. Both entry points run whole in a sandbox worker (:mod:`ibert_inference.sandbox`): the
code, its compilation and both SQL texts are foreign, and each is bounded there; a worker that
runs past its time or dies gives a ``timeout`` or ``unsafe`` verdict.

>>> schema = {"t": {"a": "int64", "b": "string"}}
>>> verify_pair("SELECT a FROM t WHERE a > 10", "t.filter(_.a > 10).select('a')", schema).status
'verified'
>>> verify_pair("SELECT a FROM t WHERE a > 10", "t.filter(_.a >= 10).select('a')", schema).status
'mismatch'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import sqlglot
from sqlglot import exp

from ibert_inference.compiler import bounded_to_sql, stable_generated_names
from ibert_inference.errors import (
    EvaluationError,
    EvaluationTimeout,
    InputTooLargeError,
    UnsafeCodeError,
)
from ibert_inference.sandbox import (
    SandboxSettings,
    WorkerTimeout,
    current_settings,
    isolated,
    worker_only,
)
from ibert_inference.sandbox.bounds import check_sql_text, check_sql_tree
from ibert_inference.sandbox.locked_duckdb import QueryTimeout, statement_time_limit
from ibert_inference.schema.tables import Schema
from ibert_inference.verify.compare import compare_results
from ibert_inference.verify.databases import (
    GeneratedDatabase,
    larger_databases,
    query_literals,
    random_databases,
)
from ibert_inference.verify.generated_sql import fixed_now_sql, for_generated_databases

STATUSES = (
    "verified", "runs", "mismatch", "vacuous", "sql_error", "ibis_error", "unsafe", "timeout"
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """The outcome of verifying one pair; ``reason`` says why when it is not verified.

    ``databases`` and ``rows_compared`` (result rows of the SQL, summed over the databases) say
    how much evidence a verified pair rests on.
    """

    ok: bool
    status: str
    reason: str | None
    databases: int
    compiled_sql: str | None
    seed: int
    order_checked: bool = False
    rows_compared: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _verdict_without_answer(
    exc: Exception, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Verdict:
    """The verdict when the worker ran out of time (``timeout``) or died (``unsafe``)."""
    status = "timeout" if isinstance(exc, WorkerTimeout) else "unsafe"
    return Verdict(False, status, str(exc), 0, None, int(kwargs.get("seed", 0)))


@isolated(returns=Verdict, on_failure=_verdict_without_answer)
def verify_pair(
    sql: str,
    ibis_code: str,
    schema: Schema,
    *,
    dialect: str = "duckdb",
    seed: int = 0,
    count: int = 3,
    timeout_s: float = 5.0,
) -> Verdict:
    """Evaluate ``ibis_code`` safely, then verify it against ``sql``."""
    expr = _evaluated(ibis_code, schema, seed, timeout_s)
    if isinstance(expr, Verdict):
        return expr
    return verify_expr(sql, expr, schema, dialect=dialect, seed=seed, count=count)


@worker_only
def _evaluated(code: str, schema: Schema, seed: int, timeout_s: float) -> Any:
    """The expression ``code`` builds (safely evaluated), or the verdict on why it builds none."""
    schema_key = tuple((t, tuple(columns.items())) for t, columns in schema.items())
    try:
        return _expression(code, schema_key, timeout_s, current_settings())
    except (UnsafeCodeError, InputTooLargeError) as exc:
        status, reason = "unsafe", str(exc)
    except EvaluationTimeout as exc:
        status, reason = "timeout", str(exc)
    except EvaluationError as exc:
        status, reason = "ibis_error", str(exc)
    return Verdict(False, status, reason, 0, None, seed)


# The build verifies each respelling of a pair's SQL (other dialects, rewritten clauses) against
# the same Ibis code, and a partition's re-verification check (a fresh seed: new databases) runs
# right after its asset in the same worker: the code is evaluated and compiled once per worker,
# not once per respelling and again in the check. Large enough for a partition's pairs (a few
# hundred; an expression is a few kB). Keyed by everything the result depends on, the sandbox's
# settings included; failures are not kept.
EXPRESSIONS_KEPT = 2048


@worker_only
@lru_cache(maxsize=EXPRESSIONS_KEPT)
def _expression(
    code: str,
    schema_key: tuple[tuple[str, tuple[tuple[str, str], ...]], ...],
    timeout_s: float,
    settings: SandboxSettings,
) -> Any:
    from ibert_inference.safe_eval.evaluator import evaluate_ibis

    schema = {table: dict(columns) for table, columns in schema_key}
    return evaluate_ibis(code, schema, timeout_s=timeout_s)


@lru_cache(maxsize=EXPRESSIONS_KEPT)
def _duckdb_sql(node: Any, settings: SandboxSettings) -> str:
    """The DuckDB SQL of the expression whose operation is ``node`` (see :func:`_expression`)."""
    return fixed_now_sql(stable_generated_names(bounded_to_sql(node.to_expr(), "duckdb")))


def _compiled(expr: Any) -> str:
    node, settings = expr.op(), current_settings()
    try:
        hash(node)
    except TypeError:  # a value in the expression that cannot be a key: compiled, not kept
        return str(_duckdb_sql.__wrapped__(node, settings))
    return _duckdb_sql(node, settings)


@isolated(returns=Verdict, on_failure=_verdict_without_answer)
def verify_expr(
    sql: str,
    expr: Any,
    schema: Schema,
    *,
    dialect: str = "duckdb",
    seed: int = 0,
    count: int = 3,
) -> Verdict:
    """Verify an already evaluated Ibis expression against ``sql``."""

    def failed(status: str, reason: str, compiled: str | None = None) -> Verdict:
        return Verdict(False, status, reason, 0, compiled, seed)

    try:
        compiled = _compiled(expr)
    except (EvaluationTimeout, InputTooLargeError) as exc:
        return failed("timeout" if isinstance(exc, EvaluationTimeout) else "unsafe", str(exc))
    except Exception as exc:  # the Ibis compiler raises many types
        return failed("ibis_error", f"Ibis could not compile: {type(exc).__name__}: {exc}")
    try:
        check_sql_text(sql)
        parsed = sqlglot.parse_one(sql, read=dialect)
        check_sql_tree(parsed)
        tree = for_generated_databases(parsed, schema)
        duck_sql = sql if dialect == "duckdb" and tree is parsed else tree.sql(dialect="duckdb")
    except sqlglot.errors.SqlglotError as exc:
        first_line = (str(exc).splitlines() or [""])[0]
        return failed("sql_error", f"SQL does not parse: {first_line}", compiled)
    except RecursionError:  # a model's runaway output: NOT NOT NOT ... thousands deep
        return failed("sql_error", "SQL is nested too deeply to parse", compiled)
    except InputTooLargeError as exc:
        return failed("unsafe", str(exc), compiled)
    top = tree.this if isinstance(tree, exp.Subquery) else tree
    limited = bool(top.args.get("limit") or top.args.get("offset"))
    literals = query_literals(tree)
    try:
        databases = random_databases(schema, seed=seed, count=count, literals=literals)
        _draw(databases, duck_sql, compiled)
    except Exception as exc:  # a schema the generator cannot fill is the pair's problem
        return failed("sql_error", f"cannot generate databases: {exc}", compiled)
    parsed = _single_query(databases[0], duck_sql)
    if isinstance(parsed, str):
        return failed("sql_error", parsed, compiled)
    plan = _Comparison(
        tree,
        _Query(duck_sql, parsed),
        _Query(compiled, _parsed(databases[0], compiled)),
        limited=limited,
        seed=seed,
    )
    verdict = plan.run(databases)
    if verdict is None and not plan.any_rows:
        # too selective for small tables: larger ones before calling the pair vacuous
        try:
            larger = larger_databases(schema, seed=seed, literals=literals)
            _draw(larger, duck_sql, compiled)
        except Exception as exc:
            return failed("sql_error", f"cannot generate databases: {exc}", compiled)
        databases = [*databases, *larger]
        verdict = plan.run(larger, total=len(databases))
    if verdict is not None:
        return verdict
    if not plan.any_rows:
        return Verdict(
            False,
            "vacuous",
            f"both sides return no rows on all {len(databases)} databases",
            len(databases),
            compiled,
            seed,
        )
    return Verdict(
        True, "verified", None, len(databases), compiled, seed, plan.order_checked,
        plan.rows_compared,
    )  # fmt: skip


def _draw(databases: list[GeneratedDatabase], *queries: str) -> None:
    """Draw the tables the queries name in every database: a table that cannot be generated
    fails here, as the schema's problem, not later as a failing query."""
    for database in databases:
        for sql in queries:
            database.draw(sql)


@dataclass(frozen=True)
class _Query:
    """A query's text and, where DuckDB parsed it into one statement, that statement: parsed
    once, it runs on every database (parsing was a fifth of running these small queries)."""

    text: str
    statement: Any = None


class _Comparison:
    """The SQL and the compiled Ibis run on databases one after another, results compared."""

    def __init__(self, tree: exp.Expr, sql: _Query, compiled: _Query, *, limited: bool, seed: int):
        self.tree, self.sql, self.compiled = tree, sql, compiled
        self.ordered = _top_level_order(tree)
        self.unnamed = _unnamed_outputs(tree)
        self.limited, self.seed = limited, seed
        self.any_rows = False
        self.order_checked = False
        self.rows_compared = 0

    def run(self, databases: list[GeneratedDatabase], total: int | None = None) -> Verdict | None:
        """The first failure as a verdict, or None when every database agrees."""
        total = total or len(databases)
        for database in databases:
            expected = _run(database, self.sql)
            if isinstance(expected, str):
                status = _status("sql_error", expected)
                return self._failed(status, f"the SQL fails on {database.name}: {expected}")
            actual = _run(database, self.compiled)
            if isinstance(actual, str):
                return self._failed(
                    _status("ibis_error", actual),
                    f"the compiled Ibis fails on {database.name}: {actual}",
                )
            if self.unnamed and len(expected[0]) == len(actual[0]):
                # what an engine calls `COUNT(*)` is its own affair: the values count there
                pairs = enumerate(zip(expected[0], actual[0], strict=True))
                expected = ([a if i in self.unnamed else e for i, (e, a) in pairs], expected[1])
            keys = _sort_key_positions(self.tree, expected[0]) if self.ordered else ()
            self.order_checked = self.order_checked or (self.ordered and keys is not None)
            reason = compare_results(
                expected,
                actual,
                ordered=self.ordered and keys is not None,
                sort_key_columns=keys or (),
                limited=self.limited,
            )
            if reason is not None:
                return Verdict(
                    False, "mismatch", f"on {database.name}: {reason}", total, self.compiled.text,
                    self.seed,
                )  # fmt: skip
            self.any_rows = self.any_rows or bool(expected[1])
            self.rows_compared += len(expected[1])
        return None

    def _failed(self, status: str, reason: str) -> Verdict:
        return Verdict(False, status, reason, 0, self.compiled.text, self.seed)


TIMED_OUT = "QueryTimeout"


def _status(failed: str, error: str) -> str:
    """``timeout`` for a statement interrupted by its time limit, else ``failed``."""
    return "timeout" if error.startswith(TIMED_OUT) else failed


def _run(
    database: GeneratedDatabase, query: _Query
) -> tuple[list[str], list[tuple[Any, ...]]] | str:
    try:
        with statement_time_limit(database.cursor):
            cursor = database.execute(query.text, query.statement)
            rows = cursor.fetchall()
    except QueryTimeout as exc:
        return f"{TIMED_OUT}: {exc}"
    except Exception as exc:  # duckdb raises one type per error family
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return [column[0] for column in cursor.description], rows


def _single_query(database: GeneratedDatabase, sql: str) -> Any:
    """``sql`` as the one read-only statement DuckDB's own parser makes of it, or why it is not
    one (a string).

    The databases are cached and shared: DDL, DML, ``USE`` or ``DETACH`` would change them for
    the pairs verified after this one.
    """
    try:
        statements = database.cursor.extract_statements(sql)
    except Exception as exc:  # duckdb raises one type per error family
        return f"the SQL does not parse in DuckDB: {str(exc).splitlines()[0]}"
    kinds = [statement.type.name for statement in statements]
    if kinds != ["SELECT"]:
        return f"only a single query verifies; the SQL holds {', '.join(kinds) or 'nothing'}"
    return statements[0]


def _parsed(database: GeneratedDatabase, compiled: str) -> Any:
    """The compiled Ibis as one DuckDB statement, or None: then its text runs, and fails where
    it cannot parse, as before."""
    statement = _single_query(database, compiled)
    return None if isinstance(statement, str) else statement


def _unnamed_outputs(tree: exp.Expr) -> frozenset[int]:
    """Positions of the outputs the SQL leaves unnamed (``SUM(x)``, not ``SUM(x) AS total``).

    Engines name those each their own way (DuckDB ``sum(x)``, Postgres ``sum``) and an answer
    may name them as it likes; aliases and plain columns are names the answer must keep.

    >>> sorted(_unnamed_outputs(sqlglot.parse_one("SELECT a, COUNT(*), SUM(b) AS s FROM t")))
    [1]
    """
    node = tree
    while isinstance(node, exp.Subquery | exp.SetOperation):
        node = node.this
    if not isinstance(node, exp.Select) or any(_is_star(p) for p in node.expressions):
        return frozenset()
    return frozenset(
        i for i, p in enumerate(node.expressions) if not isinstance(p, exp.Alias | exp.Column)
    )


def _is_star(projection: exp.Expr) -> bool:
    return isinstance(projection, exp.Star) or (
        isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
    )


def _top_level_order(tree: exp.Expr) -> bool:
    node = tree.this if isinstance(tree, exp.Subquery) else tree
    return bool(node.args.get("order"))


def _sort_key_positions(tree: exp.Expr, names: list[str]) -> tuple[int, ...] | None:
    """Output positions of the ORDER BY keys, or None when a key is not in the output.

    None means order cannot be checked row by row (a key is not projected), so ties could be
    broken differently: the results are then compared as multisets.
    """
    node = tree.this if isinstance(tree, exp.Subquery) else tree
    order = node.args.get("order")
    if order is None:
        return ()
    lowered = [name.lower() for name in names]
    selects = node.selects if isinstance(node, exp.Select) else []
    positions = []
    for ordered in order.expressions:
        key = ordered.this
        if isinstance(key, exp.Literal) and key.is_int:
            positions.append(int(key.this) - 1)
            continue
        name = key.alias_or_name.lower() if isinstance(key, exp.Column | exp.Identifier) else None
        if name is None:
            matches = [i for i, s in enumerate(selects) if s.unalias() == key]
            if not matches:
                return None
            positions.append(matches[0])
        elif name in lowered:
            positions.append(lowered.index(name))
        else:
            return None
    return tuple(positions)


@isolated(returns=Verdict, on_failure=_verdict_without_answer)
def verify_runs(code: str, schema: Schema, *, seed: int = 0, timeout_s: float = 5.0) -> Verdict:
    """Evaluate ``code`` safely, compile it, and run it on the generated databases.

    The check of answers that have no SQL to agree with (a repair, a completion): status
    ``runs`` (never ``verified``: nothing was compared) when the code evaluates, compiles and runs
    on every database without error.

    >>> verify_runs("t.filter(_.a > 1)", {"t": {"a": "int64"}}).status
    'runs'
    >>> verify_runs("t.mutate(b=_.s.cast('int64'))", {"t": {"s": "string"}}).status
    'ibis_error'
    """

    def failed(status: str, reason: str, compiled: str | None = None) -> Verdict:
        return Verdict(False, status, reason, 0, compiled, seed)

    expr = _evaluated(code, schema, seed, timeout_s)
    if isinstance(expr, Verdict):
        return expr
    try:
        compiled = _compiled(expr)
    except (EvaluationTimeout, InputTooLargeError) as exc:
        return failed("timeout" if isinstance(exc, EvaluationTimeout) else "unsafe", str(exc))
    except Exception as exc:  # the Ibis compiler raises many types
        return failed("ibis_error", f"Ibis could not compile: {type(exc).__name__}: {exc}")
    databases = random_databases(schema, seed=seed, literals=query_literals(compiled))
    query = _Query(compiled, _parsed(databases[0], compiled))
    rows = 0
    for database in databases:
        result = _run(database, query)
        if isinstance(result, str):
            status = _status("ibis_error", result)
            return failed(status, f"the code fails on {database.name}: {result}", compiled)
        rows += len(result[1])
    return Verdict(True, "runs", None, len(databases), compiled, seed, rows_compared=rows)


def verification_details(verdict: Verdict, check: str) -> dict[str, Any]:
    """How an answer was checked, for a task result's details: what, on how much, which seed."""
    return {
        "check": check,
        "status": verdict.status,
        "reason": verdict.reason,
        "databases": verdict.databases,
        "rows_compared": verdict.rows_compared,
        "seed": verdict.seed,
    }
