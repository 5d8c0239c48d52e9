"""The allow-list sees Python protocols, callbacks, annotations and defaults, and no code, table
or parameter can rebind the names the rewritten program calls."""

from __future__ import annotations

import pytest

from ibert_assets_tests.in_process import evaluate_ibis
from ibert_inference.errors import UnsafeCodeError

SCHEMA = {"t": {"a": "int64", "b": "string"}}
MEMTABLE = "ibis.memtable({'a': [1, 2]})"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        # an expression handed to a converter would be executed (__arrow_c_stream__, __array__)
        (f"ibis.memtable({MEMTABLE})", "plain data only"),
        (f"ibis.memtable({MEMTABLE}.a)", "plain data only"),
        (f"ibis.memtable({{'x': {MEMTABLE}.a}})", "plain data only"),
        (f"ibis.memtable(data={MEMTABLE})", "plain data only"),
        ("ibis.memtable([t])", "plain data only"),
        ("ibis.memtable(lambda: 1)", "plain data only"),
        # a builtin calls what it is given from C, past every guard
        (f"max([{MEMTABLE}, {MEMTABLE}], key=ibis.memtable)", "plain values only"),
        ("sorted([1, 2], key=ibis.memtable)", "plain values only"),
        (f"min([1], default={MEMTABLE})", "plain values only"),
        ("len(t)", "plain values only"),
        # a callable handed to an Ibis method is called by Ibis
        ("t.mutate(c=ibis.memtable)", "as a function"),
        ("t.select(ibis.memtable)", "as a function"),
        # a lambda wrapping the converter: its call is checked when Ibis makes it
        (f"t.mutate(c=lambda r: ibis.memtable({MEMTABLE}).count())", "plain data only"),
        # defaults are refused; annotations are never evaluated
        (f"f = lambda x={MEMTABLE}: x\nt", "default values"),
    ],
)
def test_protocols_and_callbacks_are_refused(code: str, message: str):
    with pytest.raises(UnsafeCodeError, match=message):
        evaluate_ibis(code, SCHEMA)


def test_an_annotation_is_never_evaluated():
    code = f"x: ibis.memtable({MEMTABLE}) = t.select('a')\nx"
    assert evaluate_ibis(code, SCHEMA).columns == ("a",)
    assert evaluate_ibis(f"y: ibis.memtable({MEMTABLE})\nt", SCHEMA).columns == ("a", "b")


def test_whatever_reaches_for_a_backend_while_evaluating_is_refused():
    """Protocol-agnostic: even a route the argument checks missed cannot run an expression."""
    import ibis

    from ibert_inference.safe_eval import evaluator

    with evaluator._no_default_backend():
        expr = ibis.memtable({"a": [1]})
        with pytest.raises(UnsafeCodeError, match="may not run them"):
            expr.to_pyarrow()
    assert not isinstance(ibis.options.default_backend, evaluator._NoBackend)


def test_plain_data_still_works():
    assert evaluate_ibis("ibis.memtable({'a': [1, 2], 'b': ['x', None]})").columns == ("a", "b")
    assert evaluate_ibis("ibis.memtable([(1, 'x')], columns=['a', 'b'])").columns == ("a", "b")
    assert evaluate_ibis("t.select(sorted(t.columns, key=len))", SCHEMA).columns == ("a", "b")
    assert evaluate_ibis("t.mutate(c=lambda r: r.a + 1)", SCHEMA).columns == ("a", "b", "c")
    assert evaluate_ibis("t.select(max(['a', 'b']))", SCHEMA).columns == ("b",)


@pytest.mark.parametrize(
    "code",
    [
        "from ibis import _ as __ibert_attr__\nt",
        "import ibis as __builtins__\nt",
        "from ibis import memtable as __ibert_text__\nt",
        "import ibis as __ibert_call__\nt",
        "from ibis import _ as __ibertx\nt",
        "f = lambda __ibert_call__: 1\nt",
        "f = lambda __builtins__: 1\nt",
        "__ibert_attr__ = 1\nt",
        "(__ibert_attr__, b) = (1, 2)\nt",
    ],
)
def test_the_guards_names_cannot_be_rebound(code: str):
    with pytest.raises(UnsafeCodeError, match=r"may not be named|is not allowed"):
        evaluate_ibis(code, SCHEMA)


@pytest.mark.parametrize("table", ["__ibert_attr__", "__builtins__", "__ibert_call__", "__x"])
def test_a_table_cannot_take_a_reserved_name(table: str):
    with pytest.raises(UnsafeCodeError, match="a table may not be named"):
        evaluate_ibis("ibis.literal(1)", {table: {"a": "int64"}})


def test_a_table_named_like_a_binding_still_cannot_replace_the_guards():
    # the guards are bound after the tables: an ordinary name collides with nothing they need
    assert evaluate_ibis("ibis.filter(ibis.a > 1)", {"ibis": {"a": "int64"}}).columns == ("a",)
