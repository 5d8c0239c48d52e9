import ast

import docstring_parser
import pytest

from ibert_assets_tests.scripted_model import ScriptedModel
from ibert_inference.errors import IbertError
from ibert_inference.tasks.doc import document_function

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
