"""Turn Ibis source text from outside into an unbound Ibis expression without running it as Python.

Code from mined files, model output and users is parsed with ``ast`` and checked against an
allow-list *before anything runs*: straight-line statements, expressions, calls, lambdas, literals
of bounded size, and imports of ``ibis`` and its selectors only. What passes is then evaluated in
a namespace whose builtins are a handful of pure functions and whose ``ibis`` is a proxy that
refuses to hand out modules, under a time limit. Attribute loads, calls, subscripts and
operators are rewritten into calls to run-time guards: the operators that can amplify size
(``*``, ``**``, ``<<``, ``%``) are bounded, because a value reached through a name (``x * 1000``)
escapes the static literal bounds, and every value the code obtains passes the object-level
allow-list of :mod:`ibert_inference.safe_eval.allowed_values` (Ibis expression values, datatypes, schemas
and plain values only; no operation nodes, DataFrames, backends or functions), so only the SQL
that Ibis compiles from an expression ever touches a database.

It runs only inside a sandbox worker: anywhere else :func:`evaluate_ibis` raises
:class:`~ibert_inference.errors.SandboxRequiredError`, so code from outside reaches it only through
the isolated entry points (``verify_pair``, ``ibis_to_sql``,
:func:`~ibert_inference.safe_eval.evaluates`), which run it in a limited worker process. Tests and
benchmarks of the evaluator itself, on code they wrote, use :func:`evaluating_in_process`; a
structural test (``test_one_door.py``) fails if package code does either.

>>> with evaluating_in_process():
...     expr = evaluate_ibis("result = t.filter(_.a > 1).select('a')", {"t": {"a": "int64"}})
>>> type(expr).__name__
'Table'
>>> with evaluating_in_process():
...     evaluate_ibis("import os")
Traceback (most recent call last):
...
ibert_inference.errors.UnsafeCodeError: import of 'os' is not allowed: only ibis, ibis.selectors and `_` may be imported (line 1)
"""  # noqa: E501

from __future__ import annotations

import ast
import builtins
import importlib
import signal
import sys
import threading
import traceback
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from ibert_inference.errors import (
    EvaluationError,
    EvaluationTimeout,
    InputTooLargeError,
    SandboxRequiredError,
    UnsafeCodeError,
)
from ibert_inference.safe_eval import guards
from ibert_inference.safe_eval.allowed_values import (
    CODE_NAME,
    check_attribute,
    check_value,
    forget_sizes,
    function_allowed,
    trust,
)
from ibert_inference.safe_eval.guards import (
    GUARD_ATTR,
    GUARD_BINOP,
    GUARD_CALL,
    GUARD_ITEM,
    GUARD_SLICE,
    GUARD_TEXT,
    WIDE_FORMAT,
    Guard,
    bounded_extend,
    bounded_join,
    bounded_replace,
    bounded_str,
    bounded_text,
    bounded_zip,
    guarded_binop,
    guarded_call,
    guarded_item,
)
from ibert_inference.sandbox import pool
from ibert_inference.schema.tables import Schema, ibis_tables

MAX_DEPTH = 100
MAX_INT = 2**63  # BIGINT holds 19-digit numbers; -9223372036854775808 is -(2**63)
MAX_STR = 10_000
MAX_COLLECTION = 10_000
MAX_REPEAT = 1_000

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module, ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Pass,
    ast.Name, ast.Load, ast.Store, ast.Attribute, ast.Call, ast.keyword, ast.Starred,
    ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Subscript, ast.Slice,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda, ast.arguments,
    ast.arg, ast.JoinedStr, ast.FormattedValue, ast.Import, ast.ImportFrom, ast.alias,
    ast.operator, ast.unaryop, ast.boolop, ast.cmpop, ast.expr_context,
)  # fmt: skip

# Python names that open a way out of the sandbox, named here so the error can say so.
_FORBIDDEN_NAMES = frozenset(
    {
        "exec", "eval", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
        "vars", "input", "breakpoint", "type", "object", "super", "memoryview", "help", "exit",
        "quit", "dir", "classmethod", "staticmethod", "property", "__import__", "__builtins__",
    }
)  # fmt: skip
# Public attribute names that reach frames, code or format-string attribute lookups.
_FORBIDDEN_ATTRIBUTES = frozenset(
    {
        "format", "format_map", "mro", "gi_frame", "gi_code", "cr_frame", "ag_frame", "f_globals",
        "f_locals", "f_back", "f_builtins", "f_code", "tb_frame", "tb_next", "func_globals",
        "ljust", "rjust", "center", "zfill", "expandtabs", "to_bytes",
        # Ibis reaches databases and files through these; here code only builds expressions, and
        # only the SQL compiled from them touches a database (docs/architecture.md).
        "execute", "to_pandas", "to_pandas_batches", "to_pyarrow", "to_pyarrow_batches",
        "to_polars", "to_torch", "to_parquet", "to_parquet_dir", "to_csv", "to_csv_dir",
        "to_delta", "to_json", "to_xlsx", "to_list", "to_geo", "cache", "preview",
        "raw_sql", "connect", "get_backend", "set_backend", "read_csv", "read_parquet",
        "read_json", "read_delta", "read_xlsx", "read_geo", "register", "create_table",
        "create_view", "drop_table", "drop_view", "insert", "truncate_table", "attach",
        "load_extension", "options", "visualize", "BaseBackend",
        # raw SQL: Table.sql asks the default backend for the query's schema, i.e. runs it
        "sql",
    }
)  # fmt: skip


def attribute_allowed(name: str) -> bool:
    """Whether code may read ``name`` as an attribute (``_.name``): writers of code (the
    translator) spell a column of a forbidden name ``_["name"]`` instead."""
    return name not in _FORBIDDEN_ATTRIBUTES and not name.startswith("_")


_SAFE_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in (
        "abs", "bool", "dict", "enumerate", "float", "int", "len", "list", "max", "min",
        "round", "set", "sorted", "str", "tuple", "zip", "True", "False", "None",
    )
}  # fmt: skip
_ALLOWED_MODULES = frozenset({"ibis", "ibis.selectors", "ibis.expr.datatypes"})
# The prefix of the names the rewritten program calls (its guards): no code, table or parameter
# may bind a name with it, nor any dunder name (``__builtins__`` among them).
RESERVED_PREFIX = "__ibert"
_RESULT = "__ibert_result__"


def evaluate_ibis(
    code: str,
    schema: Schema | None = None,
    *,
    timeout_s: float | None = None,
    tables: Mapping[str, Any] | None = None,
) -> Any:
    """Evaluate checked Ibis source into an expression.

    Tables named in ``schema`` (or given ready-made in ``tables``) are bound as unbound Ibis
    tables; ``ibis``, ``_`` and ``s`` (``ibis.selectors``) are always bound. The value is the
    expression assigned to ``result``, else that of the last expression statement, else the last
    assigned name. ``timeout_s`` defaults to the sandbox's ``compile_timeout_s``.

    Only inside a sandbox worker (see the module docstring); elsewhere SandboxRequiredError.
    """
    if not (pool.IN_WORKER or _in_process_depth):
        raise SandboxRequiredError(
            "Ibis code from outside is evaluated only in a sandbox worker: call "
            "ibert_inference.safe_eval.evaluates, ibis_to_sql or verify_pair, which run it in one"
        )
    if timeout_s is None:
        timeout_s = pool.current_settings().compile_timeout_s
    tree = check_code(code)
    namespace = _namespace(schema, tables)
    _bind_imports(tree, namespace)
    _install_guards(namespace)
    target = _result_name(tree)
    # one pass locates what the imports, the result and the guards added (each walks the tree)
    tree = ast.fix_missing_locations(Guard().visit(tree))
    try:  # some trees parse but do not compile (`*t` alone): the user's error too
        compiled = compile(tree, CODE_NAME, "exec")
    except SyntaxError as exc:
        raise EvaluationError(
            f"SyntaxError: {exc.msg}", error_type="SyntaxError", line=exc.lineno
        ) from None
    forget_sizes()
    try:
        with time_limit(timeout_s), _no_default_backend():
            exec(compiled, namespace)  # the tree passed check_code; see the module docstring
    except (EvaluationTimeout, UnsafeCodeError, InputTooLargeError):
        raise
    except RecursionError:
        raise EvaluationError(
            "RecursionError: the code recurses too deeply", error_type="RecursionError"
        ) from None
    except Exception as exc:  # any error of allowed code is the user's error, reported as such
        raise EvaluationError(
            f"{type(exc).__name__}: {exc}", error_type=type(exc).__name__, line=_error_line(exc)
        ) from None
    finally:
        forget_sizes()
    if target is None or target not in namespace:
        raise EvaluationError(
            "the code defines no expression: assign it to `result` or end with it",
            error_type="NoResult",
        )
    value = namespace[target]
    import ibis.expr.types as ir

    if not isinstance(value, ir.Expr):
        raise EvaluationError(
            f"{'the last expression' if target == _RESULT else f'`{target}`'} is a "
            f"{type(value).__name__}, not an Ibis expression",
            error_type="NotAnExpression",
        )
    return value


_in_process_depth = 0


@contextmanager
def evaluating_in_process() -> Iterator[None]:
    """Let :func:`evaluate_ibis` run in this process: for tests and benchmarks of the evaluator
    on code they wrote themselves, never for code from outside (package code may not use it)."""
    global _in_process_depth
    _in_process_depth += 1
    try:
        yield
    finally:
        _in_process_depth -= 1


def check_code(code: str) -> ast.Module:
    """Parse and check ``code`` against the allow-list; raise before anything runs."""
    limit = pool.current_settings().max_code_chars
    if len(code) > limit:
        raise UnsafeCodeError(
            f"code is {len(code):,} characters long; the limit is {limit:,} (max_code_chars)",
            construct="size",
        )
    try:
        tree = ast.parse(code, filename=CODE_NAME)
    except SyntaxError as exc:
        raise EvaluationError(
            f"SyntaxError: {exc.msg}", error_type="SyntaxError", line=exc.lineno
        ) from None
    except (RecursionError, MemoryError):
        raise UnsafeCodeError("code is nested too deeply to parse", construct="nesting") from None
    _Checker().check(tree)
    return tree


class _Checker:
    """Walks the tree once, iteratively (a recursive walk would itself overflow on deep input)."""

    def check(self, tree: ast.Module) -> None:
        stack: list[tuple[ast.AST, int]] = [(tree, 0)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise UnsafeCodeError(
                    f"code is nested more than {MAX_DEPTH} levels deep",
                    construct="nesting",
                    line=getattr(node, "lineno", None),
                )
            self.visit(node)
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))

    def visit(self, node: ast.AST) -> None:
        line = getattr(node, "lineno", None)
        if not isinstance(node, _ALLOWED_NODES):
            name = type(node).__name__
            raise UnsafeCodeError(
                f"{_describe(name)} is not allowed: Ibis code here is straight-line "
                "expressions and assignments",
                construct=name,
                line=line,
            )
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is not None:
            method(node, line)

    def visit_Name(self, node: ast.Name, line: int | None) -> None:
        if node.id in _FORBIDDEN_NAMES or node.id.startswith("__"):
            raise UnsafeCodeError(
                f"the name {node.id!r} is not allowed", construct=node.id, line=line
            )

    def visit_arg(self, node: ast.arg, line: int | None) -> None:
        check_bindable_name(node.arg, "a lambda parameter", line)

    def visit_arguments(self, node: ast.arguments, line: int | None) -> None:
        if node.defaults or any(default is not None for default in node.kw_defaults):
            raise UnsafeCodeError(
                "default values of lambda parameters are not allowed: pass the value instead",
                construct="default",
                line=line,
            )

    def visit_Attribute(self, node: ast.Attribute, line: int | None) -> None:
        if node.attr.startswith("_") or node.attr in _FORBIDDEN_ATTRIBUTES:
            raise UnsafeCodeError(
                f"access to the attribute {node.attr!r} is not allowed",
                construct=f".{node.attr}",
                line=line,
            )

    def visit_Constant(self, node: ast.Constant, line: int | None) -> None:
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise UnsafeCodeError(
                f"the number literal is outside BIGINT's range (|n| <= {MAX_INT})",
                construct="literal",
                line=line,
            )
        if isinstance(value, str | bytes) and len(value) > MAX_STR:
            raise UnsafeCodeError(
                f"a string literal of {len(value):,} characters exceeds {MAX_STR:,}",
                construct="literal",
                line=line,
            )
        if isinstance(value, complex):
            raise UnsafeCodeError(
                "complex literals are not allowed", construct="literal", line=line
            )

    def visit_List(self, node: ast.List | ast.Tuple | ast.Set, line: int | None) -> None:
        if len(node.elts) > MAX_COLLECTION:
            raise UnsafeCodeError(
                f"a literal with {len(node.elts):,} elements exceeds {MAX_COLLECTION:,}",
                construct="literal",
                line=line,
            )

    visit_Tuple = visit_Set = visit_List

    def visit_BinOp(self, node: ast.BinOp, line: int | None) -> None:
        if isinstance(node.op, ast.Pow) and not _small_int(node.right, 64):
            raise UnsafeCodeError(
                "`**` needs a literal exponent of at most 64", construct="**", line=line
            )
        if isinstance(node.op, ast.Mult | ast.LShift):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if _is_sequence_literal(side) and not _small_int(other, MAX_REPEAT):
                    raise UnsafeCodeError(
                        f"repeating a sequence needs a literal count of at most {MAX_REPEAT}",
                        construct="*",
                        line=line,
                    )
            if isinstance(node.op, ast.LShift) and not _small_int(node.right, 64):
                raise UnsafeCodeError(
                    "`<<` needs a literal shift of at most 64", construct="<<", line=line
                )

    def visit_alias(self, node: ast.alias, line: int | None) -> None:
        check_bindable_name(node.asname or node.name.split(".")[0], "an import", line)

    def visit_Import(self, node: ast.Import, line: int | None) -> None:
        for alias in node.names:
            if alias.name not in _ALLOWED_MODULES:
                raise UnsafeCodeError(
                    f"import of {alias.name!r} is not allowed: "
                    "only ibis, ibis.selectors and `_` may be imported",
                    construct="import",
                    line=line,
                )

    def visit_Assign(self, node: ast.Assign, line: int | None) -> None:
        for target in node.targets:
            _check_store_target(target, line)

    def visit_AugAssign(self, node: ast.AugAssign | ast.AnnAssign, line: int | None) -> None:
        if not isinstance(node.target, ast.Name):
            _check_store_target(ast.Tuple(elts=[]), line, bad=node.target)

    visit_AnnAssign = visit_AugAssign

    def visit_FormattedValue(self, node: ast.FormattedValue, line: int | None) -> None:
        # a width in a format spec (f"{x:>999999999}") builds a string of that size
        spec = node.format_spec
        parts = spec.values if isinstance(spec, ast.JoinedStr) else []
        if any(not isinstance(part, ast.Constant) for part in parts) or any(
            WIDE_FORMAT.search(str(part.value)) for part in parts if isinstance(part, ast.Constant)
        ):
            raise UnsafeCodeError(
                "format specs must be literal with widths under 1000",
                construct="format spec",
                line=line,
            )

    def visit_ImportFrom(self, node: ast.ImportFrom, line: int | None) -> None:
        if node.module not in _ALLOWED_MODULES or node.level:
            raise UnsafeCodeError(
                f"import from {node.module!r} is not allowed: "
                "only ibis, ibis.selectors and `_` may be imported",
                construct="import",
                line=line,
            )
        for alias in node.names:
            if (
                alias.name == "*"
                or (alias.name.startswith("_") and alias.name != "_")
                or alias.name in _FORBIDDEN_ATTRIBUTES
            ):
                raise UnsafeCodeError(
                    f"importing {alias.name!r} from {node.module} is not allowed",
                    construct="import",
                    line=line,
                )


def check_bindable_name(name: str, what: str, line: int | None = None) -> None:
    """Refuse a dunder name or one with the guards' prefix where code, a table or a parameter
    would bind it: the rewritten program calls guards by such names, which no one may rebind."""
    if name.startswith("__") or name.startswith(RESERVED_PREFIX) or name in _FORBIDDEN_NAMES:
        raise UnsafeCodeError(
            f"{what} may not be named {name!r}: dunder names and the {RESERVED_PREFIX} prefix "
            "are reserved; choose another name",
            construct=name,
            line=line,
        )


def _describe(node_name: str) -> str:
    return {
        "For": "a for loop",
        "While": "a while loop",
        "FunctionDef": "a function definition",
        "AsyncFunctionDef": "an async function definition",
        "ClassDef": "a class definition",
        "With": "a with block",
        "Try": "a try block",
        "Raise": "raise",
        "Delete": "del",
        "Global": "global",
        "Nonlocal": "nonlocal",
        "NamedExpr": "the walrus operator",
        "ListComp": "a list comprehension",
        "SetComp": "a set comprehension",
        "DictComp": "a dict comprehension",
        "GeneratorExp": "a generator expression",
        "Await": "await",
        "Yield": "yield",
        "YieldFrom": "yield from",
        "Assert": "assert",
        "If": "an if statement",
    }.get(node_name, f"the construct {node_name}")


def _small_int(node: ast.AST, limit: int) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and abs(node.value) <= limit
    )


def _check_store_target(target: ast.AST, line: int | None, bad: ast.AST | None = None) -> None:
    """Assignments bind names only: writing attributes or items would change Ibis's own state."""
    stack = [target] if bad is None else [bad]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Tuple | ast.List):
            stack.extend(node.elts)
        elif isinstance(node, ast.Starred):
            stack.append(node.value)
        elif not isinstance(node, ast.Name):
            raise UnsafeCodeError(
                f"assigning to {ast.unparse(node)!r} is not allowed: assign to plain names",
                construct="assignment target",
                line=getattr(node, "lineno", line),
            )


def _is_sequence_literal(node: ast.AST) -> bool:
    return isinstance(node, ast.List | ast.Tuple | ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)
    )


class _ModuleProxy:
    """A module seen through a keyhole: public names only, and no modules outside the allow-list."""

    __slots__ = ("_module",)

    def __init__(self, module: types.ModuleType):
        self._module = module

    def __getattr__(self, name: str) -> Any:
        module = self._module.__name__
        # vars(), not getattr(): ibis.__getattr__ imports a backend for names like `duckdb`
        public = not name.startswith("_")
        # a name the module lacks even lazily (dir() lists its backends): Python's own error
        if public and name not in vars(self._module) and name not in dir(self._module):
            raise AttributeError(f"module '{module}' has no attribute '{name}'")
        if name.startswith("_") or name not in vars(self._module):
            raise UnsafeCodeError(
                f"{module}.{name} is not allowed: only Ibis's expression API may be used",
                construct=f"{module}.{name}",
            )
        value = vars(self._module)[name]
        if isinstance(value, types.ModuleType):
            if value.__name__ in _ALLOWED_MODULES:
                return _modules()[value.__name__]
            raise UnsafeCodeError(
                f"access to the module {value.__name__} is not allowed", construct=name
            )
        if callable(value) and not function_allowed(self._module, name):
            raise UnsafeCodeError(
                f"{module}.{name} is not allowed: it does not build an Ibis expression "
                "(it executes, connects, reads files, or is a class)",
                construct=f"{module}.{name}",
            )
        return check_value(value, f"{module}.{name}")

    def __repr__(self) -> str:
        return f"<module {self._module.__name__}>"


@lru_cache(maxsize=1)
def _modules() -> dict[str, _ModuleProxy]:
    proxies = {name: _ModuleProxy(importlib.import_module(name)) for name in _ALLOWED_MODULES}
    trust(*proxies.values())
    return proxies


@lru_cache(maxsize=512)
def _cached_tables(key: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> dict[str, Any]:
    return ibis_tables({table: dict(columns) for table, columns in key})


def _namespace(schema: Schema | None, tables: Mapping[str, Any] | None) -> dict[str, Any]:
    import ibis

    modules = _modules()
    namespace: dict[str, Any] = {
        "ibis": modules["ibis"],
        "_": ibis._,
        "s": modules["ibis.selectors"],
    }
    for name in [*(schema or {}), *(tables or {})]:
        check_bindable_name(str(name), "a table")
    if schema:
        key = tuple((t, tuple(cols.items())) for t, cols in schema.items())
        namespace.update(_cached_tables(key))
    if tables:
        namespace.update(tables)
    return namespace


def _install_guards(namespace: dict[str, Any]) -> None:
    """The builtins and the guards the rewritten code calls, bound last: over anything else."""
    namespace.update(
        {
            "__builtins__": _BUILTINS,
            GUARD_BINOP: guarded_binop,
            GUARD_ATTR: _guarded_attr,
            GUARD_TEXT: bounded_text,
            GUARD_CALL: guarded_call,
            GUARD_ITEM: guarded_item,
            GUARD_SLICE: slice,
        }
    )


def _bind_imports(tree: ast.Module, namespace: dict[str, Any]) -> None:
    """Bind what the (checked) imports name, and drop them: nothing is imported at run time."""
    import ibis

    modules = _modules()
    kept: list[ast.stmt] = []
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                if alias.asname:
                    namespace[alias.asname] = modules[alias.name]
                else:  # `import ibis.selectors` binds `ibis`
                    namespace[alias.name.split(".")[0]] = modules["ibis"]
        elif isinstance(statement, ast.ImportFrom):
            source = modules[statement.module or "ibis"]
            for alias in statement.names:
                value = ibis._ if alias.name == "_" else getattr(source, alias.name)
                namespace[alias.asname or alias.name] = value
        else:
            kept.append(statement)
    tree.body = kept or [ast.Pass()]  # located with the rest, once the guards are in


def _result_name(tree: ast.Module) -> str | None:
    """Where the value will be: ``result``, else the last expression statement, else last name."""
    assigned = [
        target.id
        for statement in tree.body
        if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign)
        for target in (
            statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        )
        if isinstance(target, ast.Name)
    ]
    if "result" in assigned:
        return "result"
    last = tree.body[-1]
    if isinstance(last, ast.Expr):
        tree.body[-1] = ast.copy_location(
            ast.Assign(targets=[ast.Name(_RESULT, ast.Store())], value=last.value), last
        )
        return _RESULT
    return assigned[-1] if assigned else None


class _NoBackend:
    """Ibis's default backend while code from outside is evaluated: whatever reaches for it (an
    expression run through a protocol, ``__array__`` or ``__arrow_c_stream__``) is refused."""

    def __getattr__(self, name: str) -> Any:
        raise UnsafeCodeError(
            "Ibis code here builds expressions and may not run them (it reached for a backend)",
            construct="execution",
        )


@contextmanager
def _no_default_backend() -> Iterator[None]:
    import ibis

    previous = ibis.options.default_backend
    ibis.options.default_backend = _NoBackend()
    try:
        yield
    finally:
        ibis.options.default_backend = previous


def _error_line(exc: BaseException) -> int | None:
    lines = [f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == CODE_NAME]
    return lines[-1] if lines else None


@contextmanager
def time_limit(seconds: float, what: str = "evaluation") -> Iterator[None]:
    """SIGALRM on the main thread (interrupts a long Ibis call too); elsewhere a line tracer.

    The allow-list leaves no loops or definitions, so user code is straight-line; time can only go
    into Ibis calls. Off the main thread a signal cannot be used, and the tracer only sees the
    user's own lines, which is the best a thread can do without killing the process.
    """
    if seconds <= 0:
        yield
        return
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):

        def on_alarm(signum: int, frame: Any) -> None:
            raise EvaluationTimeout(f"{what} took longer than {seconds:g} s", error_type="Timeout")

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    import time

    deadline = time.monotonic() + seconds

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != CODE_NAME:
            return None
        if time.monotonic() > deadline:
            raise EvaluationTimeout(f"{what} took longer than {seconds:g} s", error_type="Timeout")
        return tracer

    previous_trace = sys.gettrace()
    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous_trace)


def _guarded_attr(value: Any, name: str) -> Any:
    if isinstance(value, str | bytes):
        if name == "join":
            return bounded_join(value)
        if name == "replace":
            return bounded_replace(value)
    if isinstance(value, list) and name == "extend":
        return bounded_extend(value)
    if isinstance(value, _ModuleProxy):
        return getattr(value, name)
    return check_attribute(value, name)


_BUILTINS = {**_SAFE_BUILTINS, "str": bounded_str, "zip": bounded_zip}
trust(*_BUILTINS.values(), functions_of=__file__)
trust(functions_of=guards.__file__)
