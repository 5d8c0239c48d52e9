"""The object-level allow-list: what Ibis objects may do is derived from their classes."""

from __future__ import annotations

import types

import ibis
import ibis.expr.types as ir
import pytest

from ibert_inference.errors import UnsafeCodeError
from ibert_inference.safe_eval.allowed_values import (
    check_attribute,
    check_value,
    checked_deferred_call,
    checked_deferred_item,
    function_allowed,
    method_allowed,
)

T = ibis.table({"a": "int64", "b": "string"}, name="t")


@pytest.mark.parametrize("name", ["filter", "select", "mutate", "group_by", "join", "order_by"])
def test_expression_builders_are_allowed(name: str):
    assert method_allowed(ir.Table, name)


@pytest.mark.parametrize(
    "name",
    ["op", "execute", "to_csv", "to_parquet", "to_pandas", "to_pyarrow", "cache", "sql",
     "compile", "get_backend", "visualize", "to_xlsx", "preview"],
)  # fmt: skip
def test_executing_and_exporting_methods_are_refused(name: str):
    assert not method_allowed(ir.Table, name)
    with pytest.raises(UnsafeCodeError, match=name):
        check_attribute(T, name)


class _NewRelease(ir.Table):
    """Methods a future Ibis might add: only the one that builds an expression may be used."""

    def shiny(self):  # no return annotation: nobody has looked at it
        return self

    def to_frame(self) -> pd.DataFrame:  # type: ignore[name-defined]  # noqa: F821
        raise AssertionError("never called")

    def sneaky(self) -> Table:  # type: ignore[name-defined]  # noqa: F821
        return self._find_backend()  # type: ignore[attr-defined]

    def narrower(self) -> Table:  # type: ignore[name-defined]  # noqa: F821
        return self


def test_a_method_a_new_release_adds_is_refused_by_default():
    assert not method_allowed(_NewRelease, "shiny")
    assert not method_allowed(_NewRelease, "to_frame")
    assert not method_allowed(_NewRelease, "sneaky")  # its code reaches a backend
    assert method_allowed(_NewRelease, "narrower")


@pytest.mark.parametrize(
    "value",
    [1, 2.5, "x", None, True, [1, "a"], {"k": (1, 2)}, T, T.a, T.a.sum(), ibis._, T.schema(),
     T.a.type(), T.group_by("a")],
)  # fmt: skip
def test_expression_values_and_plain_values_flow(value: object):
    assert check_value(value, "here") is value


@pytest.mark.parametrize(
    "value",
    [T.op(), types, ibis.expr.types.Table, print, lambda: 1, [1, T.op()], {"x": types}],
    ids=["node", "module", "class", "builtin", "foreign lambda", "nested node", "nested module"],
)
def test_everything_else_is_refused_naming_where(value: object):
    with pytest.raises(UnsafeCodeError, match=r"^calling f gives a .*not an Ibis expression"):
        check_value(value, "calling f")


def test_module_functions_are_allowed_by_annotation_or_review():
    assert function_allowed(ibis, "literal") and function_allowed(ibis, "window")
    for name in ("connect", "read_csv", "get_backend", "set_backend", "to_sql", "decompile"):
        assert not function_allowed(ibis, name), name


def test_a_deferred_chain_is_checked_when_ibis_resolves_it():
    chain = check_attribute(check_attribute(ibis._, "b"), "cases")  # a method here, not a field
    assert check_attribute(ibis._, "op") is not None  # nothing is known until it resolves
    with pytest.raises(UnsafeCodeError, match=r"Table\.op is not allowed"):
        T.mutate(x=check_attribute(ibis._, "op")())
    assert T.select(code=chain(("x", 1), else_=0)).columns == ("code",)


def test_a_deferred_call_and_subscript_are_checked_too():
    total = checked_deferred_call(
        check_attribute(checked_deferred_item(ibis._, "a"), "sum"), (), {}
    )
    assert T.aggregate(total=total).columns == ("total",)
    piped = checked_deferred_call(check_attribute(ibis._, "pipe"), (ibis.memtable,), {})
    with pytest.raises(UnsafeCodeError, match="pipe is allowed with a lambda only"):
        T.mutate(x=piped)
