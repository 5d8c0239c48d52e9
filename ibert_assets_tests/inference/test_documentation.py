import ast

import docstring_parser
import pytest

from ibert_assets_tests.scripted_model import ScriptedModel
from ibert_inference.errors import IbertError
from ibert_inference.tasks.documentation import document_function

SOURCE = """\
def revenue(orders, status: str = "paid", *, limit=10):
    # the body keeps its comments and formatting
    paid = orders.filter(orders.status == status)
    return paid.limit(limit)
"""
GOOD = (
    "Revenue of orders with a status.\n\nArgs:\n    orders: The orders table.\n"
    "    status: Status kept.\n    limit: Most rows.\n\nReturns:\n    The filtered table."
)


def test_a_complete_model_docstring_is_inserted_and_the_body_kept():
    result = document_function(SOURCE, model=ScriptedModel([f'"""{GOOD}"""']))
    assert result.verified is True and result.source == "model"
    function = ast.parse(result.output).body[0]
    assert ast.get_docstring(function).startswith("Revenue of orders")
    assert "    # the body keeps its comments and formatting\n" in result.output


def test_an_incomplete_model_docstring_falls_back_to_a_checked_skeleton():
    incomplete = "Revenue.\n\nArgs:\n    orders: The orders."
    model = ScriptedModel([incomplete, incomplete])
    result = document_function(SOURCE, model=model, attempts=2)
    assert result.source == "deterministic" and result.verified is True
    assert result.details["model_problems"] == ["missing status, limit, the return value"] * 2
    parsed = docstring_parser.parse(result.details["docstring"])
    assert [p.arg_name for p in parsed.params] == ["orders", "status", "limit"]


@pytest.mark.parametrize("style", ["google", "numpy"])
def test_skeletons_in_both_styles_document_everything(style: str):
    result = document_function(SOURCE, style=style, examples=False)
    assert result.verified is True
    assert "Examples" not in result.output
    compile(result.output, "<doc>", "exec")


def test_an_existing_docstring_is_replaced():
    source = 'def f(a):\n    """Old."""\n    return a\n'
    output = document_function(source).output
    assert "Old." not in output and output.count('"""') == 2


def test_input_without_a_function_is_refused():
    with pytest.raises(IbertError, match="no function"):
        document_function("x = 1\n")


def test_real_generation_path_with_the_tiny_model(tiny_model):
    result = document_function(SOURCE, model=tiny_model)
    assert result.verified is True  # noise from the tiny model ends in the checked skeleton
    assert len(result.details["model_problems"]) == 2


REVENUE = """\
import ibis
from ibis import _


def paid_revenue(orders, status="paid", min_amount=10.0, limit: int = 5):
    paid = orders.filter((_.status == status) & (_.amount > min_amount))
    totals = paid.group_by("region").agg(total=_.amount.sum())
    return totals.order_by(ibis.desc("total")).limit(limit)
"""


def test_without_a_model_descriptions_come_from_how_parameters_are_used():
    result = document_function(REVENUE)
    assert result.verified is True and result.source == "deterministic"
    parsed = docstring_parser.parse(result.details["docstring"])
    described = {p.arg_name: (p.type_name, " ".join(p.description.split())) for p in parsed.params}
    assert described == {
        "orders": (
            "ibis.Table",
            "Table to filter; uses columns amount (float64), region (string), status (string).",
        ),
        "status": ("str", "Value of status to keep. Defaults to 'paid'."),
        "min_amount": ("float", "Lower bound on amount (exclusive). Defaults to 10.0."),
        "limit": ("int", "Number of rows to keep. Defaults to 5."),
    }
    assert parsed.short_description == (
        "Return orders filtered, grouped by region, aggregated into total, sorted and limited."
    )
    assert parsed.returns.type_name == "ibis.Table"
    assert "+SKIP" not in result.output and "object" not in result.output


def test_the_example_is_written_only_after_it_evaluated_and_it_runs(tmp_path, monkeypatch):
    import doctest
    import importlib

    result = document_function(REVENUE)
    assert ">>> paid_revenue(orders).columns\n        ('region', 'total')" in result.output
    (tmp_path / "revenue_doc.py").write_text(result.output)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("revenue_doc")
    outcome = doctest.testmod(module)
    assert outcome.attempted == 3 and outcome.failed == 0


def test_a_scalar_without_default_gets_a_value_its_column_allows():
    source = "def big(orders, threshold):\n    return orders.filter(_.amount > threshold)\n"
    docstring = document_function(source).details["docstring"]
    assert "threshold (float): Lower bound on amount (exclusive)." in docstring
    assert ">>> big(orders, 10.0).columns" in docstring


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("def f(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total\n",
         "no parameter is used as an Ibis table"),
        ("def f(t):\n    if t.a > 1:\n        return t\n    return t.filter(_.a > 0)\n",
         "not a straight run"),
        ("def f(t, how):\n    return t.filter(_.a > 1).pipe(how)\n", "no value can be chosen"),
    ],
)  # fmt: skip
def test_no_example_when_none_can_be_evaluated_and_the_reason_is_given(source, reason):
    result = document_function(source)
    assert "Examples" not in result.output and ">>>" not in result.output
    assert reason in result.details["example_left_out"]


def test_writing_the_example_never_runs_the_function(tmp_path):
    marker = tmp_path / "ran"
    source = (
        f"def f(t):\n    x = open({str(marker)!r}, 'w').write('pwned')\n"
        "    return t.filter(_.a > 1)\n"
    )
    result = document_function(source)
    assert not marker.exists()
    assert ">>>" not in result.output and "evaluate" in result.details["example_left_out"]


def test_annotations_win_over_what_the_body_suggests():
    source = "def f(t: 'ibis.Table', n: 'float' = 3):\n    return t.limit(n)\n"
    parsed = docstring_parser.parse(document_function(source).details["docstring"])
    assert [p.type_name for p in parsed.params] == ["'ibis.Table'", "'float'"]


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("Revenue.\n\nArgs:\n    orders: The orders.\n    status: The status.\n    limit: The "
         "limit.\n\nReturns:\n    A table.", "orders: the description only restates the name"),
        (f"{GOOD}\n\nExamples:\n    >>> revenue(...)  # doctest: +SKIP", None),
    ],
)  # fmt: skip
def test_a_model_docstring_must_pass_the_same_checks(reply: str, problem: str | None):
    result = document_function(SOURCE, model=ScriptedModel([reply, reply]))
    if problem:
        assert result.source == "deterministic"
        assert problem in result.details["model_problems"][0]
    else:  # the model's own (unrunnable) example is replaced by the evaluated one
        assert result.source == "model" and "+SKIP" not in result.output
        assert ">>> revenue(orders).columns" in result.output
