"""The object-level allow-list of the safe evaluator: which values Ibis code from outside may hold.

Syntax checks alone were escapable: every public method of every object reachable from an
expression was callable, and ``ibis.memtable(...).op().data.to_frame()`` is a pandas DataFrame
whose writers put any text in any file. So each value the evaluated code obtains — by attribute,
call, subscript or operator — passes :func:`check_value`, which lets through only Ibis expression
values (tables, columns, scalars, deferred ``_``, selectors, groupings, window builders),
datatypes, schemas, plain literals, containers of these, and callables that are themselves on
this list.

What an Ibis object may *do* is derived from Ibis's own classes, refusing by default: a public
method or property is allowed only when its return annotation names allowed types only and its
code does not reach a backend. A method that a new Ibis release adds with another return type (a
DataFrame, or None for a writer) is refused until someone has looked at it.

>>> import ibis
>>> t = ibis.table({"a": "int64"}, name="t")
>>> method_allowed(type(t), "filter"), method_allowed(type(t), "to_csv")
(True, False)
>>> check_value(t.op(), "t.op()")
Traceback (most recent call last):
...
ibert_inference.errors.UnsafeCodeError: t.op() gives a ibis.expr.operations.relations.UnboundTable, which is not an Ibis expression, datatype, schema or plain value
"""  # noqa: E501

from __future__ import annotations

import datetime
import decimal
import inspect
import re
import types
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from ibert_inference.errors import UnsafeCodeError

# The filename evaluated code is compiled under: lambdas with it were written by the code itself.
CODE_NAME = "<ibis-code>"

_PLAIN_TYPES: tuple[type, ...] = (
    type(None), bool, int, float, str, bytes, decimal.Decimal,
    datetime.date, datetime.datetime, datetime.time, datetime.timedelta,
)  # fmt: skip
_CONTAINERS: tuple[type, ...] = (
    list, tuple, set, frozenset, dict,
    type({}.keys()), type({}.values()), type({}.items()),
)  # fmt: skip
# Containers the evaluator lets code build hold at most 100,000 items (safe_eval.MAX_BUILT_ITEMS).
_MAX_CHECKED_ITEMS = 300_000

# Refused on every object whatever their annotations say: each reaches a backend or the
# operation graph, or generates code (``decompile``). (``pipe`` is allowed with a lambda of the
# code only; see check_call.)
REFUSED_NAMES = frozenset(
    {
        "op", "execute", "compile", "cache", "sql", "preview", "visualize", "get_backend",
        "to_sql", "to_list", "unbind", "raw_sql", "connect", "copy", "decompile", "parse_sql",
    }
)  # fmt: skip
# Code of a method that names one of these reaches a backend (or executes through one).
_BACKEND_NAMES = frozenset(
    {
        "_find_backend", "_find_backends", "get_backend", "_find_backend_cached", "execute",
        "to_pyarrow", "to_pyarrow_batches", "to_pandas", "_default_backend", "default_backend",
    }
)  # fmt: skip
# Plain types an allowed method may return besides Ibis ones (a column name, a count, a flag).
_PLAIN_ANNOTATIONS = frozenset(
    {"Self", "str", "int", "float", "bool", "tuple", "Sequence", "Mapping", "Iterable"}
)
# Module qualifiers in string annotations (``ir.Table``, ``dt.DataType``).
_QUALIFIERS = frozenset({"ir", "dt", "sch", "bl", "ibis", "typing", "ops"})
# Top-level functions Ibis leaves unannotated that build expressions only (reviewed in Ibis 12;
# their results are checked like every other value).
_REVIEWED_FUNCTIONS = frozenset(
    {
        "window", "rows_window", "range_window", "cumulative_window", "trailing_window",
        "trailing_range_window", "date", "time", "timestamp", "preceding", "following", "asc",
        "desc",
    }
)  # fmt: skip
# Methods Ibis leaves unannotated that return expressions (reviewed in Ibis 12; results checked)
_REVIEWED_METHODS = {"DayOfWeek": frozenset({"index", "full_name"})}
# Container and string methods that build unbounded values are bounded or refused by the
# evaluator itself; these are refused here because they read or write outside the value.
_PLAIN_REFUSED_METHODS = frozenset(
    {"format", "format_map", "translate", "maketrans", "expandtabs", "to_bytes"}
)

_trusted: dict[int, Any] = {}
_trusted_files: set[str] = set()


def trust(*callables: Any, functions_of: str | None = None) -> None:
    """Let the evaluator's own builtins and guards (``len``, a bounded ``str``) flow as values.

    ``functions_of``: a source file whose functions (the evaluator's bounded closures) are trusted.
    """
    for value in callables:
        _trusted[id(value)] = value
    if functions_of:
        _trusted_files.add(functions_of)


@lru_cache(maxsize=1)
def ibis_value_classes() -> tuple[type, ...]:
    """The Ibis classes whose instances are expression values code may hold."""
    import ibis.expr.builders as bl
    import ibis.expr.datatypes as dt
    import ibis.expr.schema as sch
    import ibis.expr.types as ir
    import ibis.selectors as selectors
    from ibis.common.deferred import Deferred
    from ibis.expr.types.groupby import GroupedTable
    from ibis.expr.types.temporal import DayOfWeek
    from ibis.expr.types.temporal_windows import WindowedTable

    return (
        ir.Expr, Deferred, selectors.Expandable, GroupedTable, WindowedTable, bl.Builder,
        dt.DataType, sch.Schema, DayOfWeek,
    )  # fmt: skip


@lru_cache(maxsize=1)
def _annotation_names() -> frozenset[str]:
    """Class names an allowed method may declare it returns: the value classes and subclasses."""
    names: set[str] = set(_PLAIN_ANNOTATIONS)
    stack = list(ibis_value_classes())
    while stack:
        cls = stack.pop()
        if cls.__name__ not in names:
            names.add(cls.__name__)
            stack.extend(cls.__subclasses__())
    return frozenset(names)


# tree sizes of the expressions the code being evaluated has built (see expression_size)
_sizes: dict[int, tuple[Any, int]] = {}


def forget_sizes() -> None:
    """Start counting expression sizes afresh (the evaluator calls it around each run)."""
    _sizes.clear()


def check_value(value: Any, where: str) -> Any:
    """``value`` itself when code may hold it; else UnsafeCodeError naming ``where`` (or
    InputTooLargeError for an expression too large to compile)."""
    from ibert_inference.safe_eval.expression_size import check_expression_size

    if isinstance(value, ibis_value_classes()[:2]):  # expressions and deferred values
        check_expression_size(value, _sizes)
    refused = _refused_type(value)
    if refused is not None:
        raise UnsafeCodeError(
            f"{where} gives a {refused}, which is not an Ibis expression, datatype, schema or "
            "plain value",
            construct=where,
        )
    return value


def check_attribute(value: Any, name: str) -> Any:
    """``value.name`` when both the access and what it gives are allowed."""
    where = f".{name}"
    if name.startswith("_"):
        raise UnsafeCodeError(f"access to the attribute {name!r} is not allowed", construct=where)
    if isinstance(value, ibis_value_classes()):
        from ibis.common.deferred import Deferred

        if isinstance(value, Deferred):
            # looked up later, inside Ibis: the lookup is checked when it happens
            return checked_deferred_attribute(value, name)
        static = inspect.getattr_static(type(value), name, None)
        cls: Any = type(value)
        if _is_code(static) and not method_allowed(cls, name):
            raise UnsafeCodeError(
                f"{type(value).__name__}.{name} is not allowed: it does not build an Ibis "
                "expression (it executes, exports, or reaches a backend or the operation graph)",
                construct=where,
            )
    elif isinstance(value, _PLAIN_TYPES + _CONTAINERS) and name in _PLAIN_REFUSED_METHODS:
        raise UnsafeCodeError(f"the method {name!r} is not allowed", construct=where)
    elif not isinstance(value, _PLAIN_TYPES + _CONTAINERS) and _refused_type(value) is not None:
        raise UnsafeCodeError(
            f"attribute {name!r} of a refused {type(value).__name__} value", construct=where
        )
    return check_value(getattr(value, name), where)


def check_call(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> None:
    """Refuse a call before it runs when the callable could act outside the expression.

    The arguments are checked too, because Python protocols run code that no name shows:
    ``ibis.memtable(expr)`` executes ``expr`` (pyarrow's ``__arrow_c_stream__``, numpy's
    ``__array__``), and a builtin given ``key=ibis.memtable`` calls it from C, past every guard.
    So converters take plain data only, builtins take no Ibis value and no callable but the
    code's own lambdas, and no call receives a callable that is not a lambda of the code.
    """
    kwargs = kwargs or {}
    where = f"calling {_name_of(func)}"
    check_value(func, where)
    if getattr(func, "__name__", "") == "pipe" and not (args and _is_code_lambda(args[0])):
        raise UnsafeCodeError(
            "pipe is allowed with a lambda only: pipe(lambda t: ...)", construct=".pipe"
        )
    values = (*args, *kwargs.values())
    if _is_converter(func):
        if not _plain_data(values, callables=False):
            raise UnsafeCodeError(
                f"{_name_of(func)} takes plain data only (dicts, lists, tuples of numbers "
                "and strings), never an expression or a function: it would run them",
                construct=_name_of(func),
            )
    elif id(func) in _trusted and not _plain_data(values, callables=True):
        raise UnsafeCodeError(
            f"{_name_of(func)}() takes plain values only here, not an Ibis expression "
            "or a function other than a lambda of the code",
            construct=_name_of(func),
        )
    for value in values:
        if callable(value) and not _callable_argument_allowed(value):
            raise UnsafeCodeError(
                f"passing {_name_of(value)} as a function to {_name_of(func)} is not allowed: "
                "pass a lambda (lambda t: ...)",
                construct=_name_of(func),
            )


# Ibis functions that turn their argument into data, running it if it is an expression
_CONVERTERS = frozenset({"memtable"})


def _is_converter(func: Any) -> bool:
    return (
        isinstance(func, types.FunctionType)
        and func.__name__ in _CONVERTERS
        and _home_module(func) == "ibis"
    )


def _leaves(value: Any, plain: tuple[type, ...]) -> Iterator[Any]:
    """What ``value`` holds that is neither of a ``plain`` type nor a container (dict, list,
    tuple, set) whose items are walked; bounded, iterative, each shared container once."""
    stack, seen, visited = [value], 0, set()
    while stack:
        current = stack.pop()
        seen += 1
        if seen > _MAX_CHECKED_ITEMS:
            raise MemoryError("the value is too large; the evaluator bounds values")
        if isinstance(current, plain):
            continue
        if isinstance(current, _CONTAINERS):
            # shared structure ([a] * 1000) is checked once per distinct container
            if id(current) in visited:
                continue
            visited.add(id(current))
        if isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, _CONTAINERS):
            stack.extend(current)  # type: ignore[arg-type]
        else:
            yield current


def _plain_data(value: Any, *, callables: bool) -> bool:
    """Plain values and containers of them (and, with ``callables``, the code's own lambdas
    and the evaluator's trusted builtins) only: no expression, no other callable."""
    return all(
        callables and (_is_code_lambda(leaf) or id(leaf) in _trusted)
        for leaf in _leaves(value, _PLAIN_TYPES)
    )


def _callable_argument_allowed(value: Any) -> bool:
    """A callable passed as an argument: a lambda of the code, one of the evaluator's trusted
    builtins, or an Ibis value that happens to be callable (deferred ``_``, a selector)."""
    if isinstance(value, _PLAIN_TYPES + ibis_value_classes()):
        return True
    return _is_code_lambda(value) or id(value) in _trusted


@lru_cache(maxsize=8192)
def method_allowed(cls: type, name: str) -> bool:
    """Whether the public method or property ``cls.name`` only builds expressions.

    Derived, refusing by default: its return annotation must name allowed types only, and its
    code must not reach a backend.
    """
    if name.startswith("_") or name in REFUSED_NAMES:
        return False
    static = inspect.getattr_static(cls, name, None)
    func = static.fget if isinstance(static, property) else getattr(static, "__func__", static)
    if not callable(func):
        return False
    if name in _REVIEWED_METHODS.get(cls.__name__, ()):
        return not _reaches_backend(func)
    return returns_allowed(func) and not _reaches_backend(func)


def function_allowed(module: types.ModuleType, name: str) -> bool:
    """Whether the top-level function ``module.name`` (of ibis or its selectors) may be called."""
    func = vars(module).get(name)
    if name.startswith("_") or name in REFUSED_NAMES or not callable(func):
        return False
    if isinstance(func, type):
        return False
    if name in _REVIEWED_FUNCTIONS and module.__name__ == "ibis":
        return True
    return returns_allowed(func) and not _reaches_backend(func)


def returns_allowed(func: Callable[..., Any]) -> bool:
    """Whether ``func``'s return annotation names only allowed types (absent: refused)."""
    annotation = getattr(inspect.unwrap(func), "__annotations__", {}).get("return")
    if annotation is None:
        return False
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", text)) - _QUALIFIERS
    return bool(names) and names <= _annotation_names()


def checked_deferred_attribute(value: Any, name: str) -> Any:
    """``value.name`` for a deferred ``value``, checked when Ibis resolves it.

    A deferred chain (``_.a.sum()``) is resolved later, inside Ibis, against whatever the
    expression is then applied to: each attribute, call and subscript of the chain is checked at
    that moment, like those of the code itself.
    """
    from ibis.common.deferred import Deferred

    return Deferred(_checked_resolvers()["attr"](value, name))


def checked_deferred_call(value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``value(*args, **kwargs)`` for a deferred ``value``, checked when Ibis resolves it."""
    from ibis.common.deferred import Deferred

    return Deferred(_checked_resolvers()["call"](value, *args, **kwargs))


def checked_deferred_item(value: Any, index: Any) -> Any:
    """``value[index]`` for a deferred ``value``, checked when Ibis resolves it."""
    from ibis.common.deferred import Deferred

    return Deferred(_checked_resolvers()["item"](value, index))


@lru_cache(maxsize=1)
def _checked_resolvers() -> dict[str, type]:
    """Ibis's own deferred resolvers, with the allow-list applied as they resolve."""
    from ibis.common.deferred import Attr, Call, Item

    class CheckedAttr(Attr):
        __slots__ = ()

        def resolve(self, context: dict[str, Any]) -> Any:
            return check_attribute(self.obj.resolve(context), self.name.resolve(context))

    class CheckedCall(Call):
        __slots__ = ()

        def resolve(self, context: dict[str, Any]) -> Any:
            func = self.func.resolve(context)
            args = tuple(arg.resolve(context) for arg in self.args)
            kwargs = {key: value.resolve(context) for key, value in self.kwargs.items()}
            check_call(func, args, kwargs)
            return check_value(func(*args, **kwargs), f"calling {_name_of(func)}")

    class CheckedItem(Item):
        __slots__ = ()

        def resolve(self, context: dict[str, Any]) -> Any:
            obj = self.obj.resolve(context)
            return check_value(obj[self.indexer.resolve(context)], "a subscript")

    return {"attr": CheckedAttr, "call": CheckedCall, "item": CheckedItem}


def _refused_type(value: Any) -> str | None:
    """None when ``value`` may be held; else the name of the offending type."""
    for leaf in _leaves(value, (*_PLAIN_TYPES, *ibis_value_classes())):
        if not _callable_allowed(leaf):
            cls = type(leaf)
            return f"{cls.__module__}.{cls.__qualname__}"
    return None


def _callable_allowed(value: Any) -> bool:
    if id(value) in _trusted or _is_code_lambda(value):
        return True
    if isinstance(value, types.FunctionType) and value.__code__.co_filename in _trusted_files:
        return True
    owner = getattr(value, "__self__", None)
    if isinstance(value, types.MethodType | types.BuiltinMethodType) and owner is not None:
        name = value.__name__
        if isinstance(owner, ibis_value_classes()):
            cls: Any = type(owner)
            return method_allowed(cls, name)
        if isinstance(owner, _PLAIN_TYPES + _CONTAINERS):
            return not name.startswith("_") and name not in _PLAIN_REFUSED_METHODS
        return False
    if isinstance(value, types.FunctionType):
        import ibis
        import ibis.selectors as selectors

        module = {"ibis": ibis, "ibis.selectors": selectors}.get(_home_module(value))
        return module is not None and function_allowed(module, value.__name__)
    return False


def _home_module(func: types.FunctionType) -> str:
    """The public module exporting ``func`` under its own name (ibis or ibis.selectors)."""
    import ibis
    import ibis.selectors as selectors

    for module in (ibis, selectors):
        if vars(module).get(func.__name__) is func:
            return module.__name__
    return ""


def _is_code_lambda(value: Any) -> bool:
    return isinstance(value, types.FunctionType) and value.__code__.co_filename == CODE_NAME


def _is_code(static: Any) -> bool:
    return isinstance(static, property | types.FunctionType | classmethod | staticmethod)


def _reaches_backend(func: Callable[..., Any]) -> bool:
    code = getattr(inspect.unwrap(func), "__code__", None)
    return code is not None and bool(_code_names(code) & _BACKEND_NAMES)


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _name_of(func: Any) -> str:
    return str(getattr(func, "__qualname__", None) or type(func).__name__)
