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
    assert result.ok and result.source == "model" and result.verified is None
    assert result.checks == {
        "documents_every_parameter": True,
        "describes_everything": True,
        "example_evaluated": True,  # the evaluated example replaced none the model wrote
    }
    function = ast.parse(result.output).body[0]
    assert ast.get_docstring(function).startswith("Revenue of orders")
    assert "    # the body keeps its comments and formatting\n" in result.output


def test_an_incomplete_model_docstring_falls_back_to_a_checked_skeleton():
    incomplete = "Revenue.\n\nArgs:\n    orders: The orders."
    model = ScriptedModel([incomplete, incomplete])
    result = document_function(SOURCE, model=model, attempts=2)
    assert result.source == "deterministic" and result.ok
    assert result.details["model_problems"] == ["missing status, limit, the return value"] * 2
    parsed = docstring_parser.parse(result.details["docstring"])
    assert [p.arg_name for p in parsed.params] == ["orders", "status", "limit"]


@pytest.mark.parametrize("style", ["google", "numpy"])
def test_skeletons_in_both_styles_document_everything(style: str):
    result = document_function(SOURCE, style=style, examples=False)
    assert result.ok and result.checks["documents_every_parameter"] is True
    assert "Examples" not in result.output
    compile(result.output, "<doc>", "exec")


def test_an_existing_docstring_is_kept_unless_a_new_one_is_asked_for():
    # before: the old docstring was replaced silently
    source = 'def f(t):\n    """Old."""\n    return t.limit(3)\n'
    kept = document_function(source)
    assert not kept.ok and kept.output == ""
    assert kept.details["reason"] == (
        "no docstring written: f: it has a docstring (--replace writes a new one)"
    )
    replaced = document_function(source, replace=True).output
    assert "Old." not in replaced and replaced.count('"""') == 2


def test_input_without_a_function_is_refused():
    with pytest.raises(IbertError, match="no function"):
        document_function("x = 1\n")


def test_real_generation_path_with_the_tiny_model(tiny_model):
    result = document_function(SOURCE, model=tiny_model)
    assert result.ok  # noise from the tiny model ends in the checked skeleton
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
    assert result.ok and result.source == "deterministic"
    assert result.checks == {
        "documents_every_parameter": True,
        "describes_everything": True,
        "example_evaluated": True,
    }
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


# --- issue cases: every function, no restated names, no "verified" for a docstring ------------

REPORTS = """\
import ibis
from ibis import _


def conversion_rate(events, days: int = 7):
    recent = events.filter(_.ts > ibis.now() - ibis.interval(days=days))
    return recent.purchases.sum() / recent.visits.sum()


def slugify(text):
    return text.lower().replace(" ", "-")


class Reports:
    def top(self, orders, n=5):
        return orders.order_by(ibis.desc("amount")).limit(n)
"""


def test_every_function_of_a_file_is_documented():
    # before: only the first function of a file got a docstring
    result = document_function(REPORTS)
    tree = ast.parse(result.output)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert [f.name for f in functions] == ["conversion_rate", "slugify", "top"]
    assert all(ast.get_docstring(f) for f in functions)
    assert [f["name"] for f in result.details["functions"]] == [
        "conversion_rate",
        "slugify",
        "Reports.top",
    ]
    # a method's example would need an instance: none is written rather than a wrong one
    assert ">>>" not in ast.get_docstring(functions[2])


def test_only_the_named_function_is_documented():
    result = document_function(REPORTS, function="Reports.top")
    tree = ast.parse(result.output)
    documented = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                  if ast.get_docstring(n)]  # fmt: skip
    assert documented == ["top"]
    with pytest.raises(IbertError, match=r"no function named 'nope'.*conversion_rate, slugify"):
        document_function(REPORTS, function="nope")


def test_no_sentence_restates_a_name_and_what_is_unknown_is_said():
    # before: "Conversion rate.", "Slugify.", "days (int): Used by the function." and
    # "Returns: What the function returns.", all under verified: true
    result = document_function(REPORTS, examples=False)
    for restated in ("Conversion rate.", "Slugify.", "Used by the function.", "What the function"):
        assert restated not in result.output
    assert "days (int): Passed as `days` to `ibis.interval`. Defaults to 7." in result.output
    assert "Return `text.lower().replace(' ', '-')`." in result.output
    assert "text: Description unknown." in result.output
    assert result.verified is None and not result.ok
    assert result.checks["describes_everything"] is False
    assert result.details["reason"].startswith("descriptions unknown (slugify: text)")


def test_a_model_docstring_that_restates_names_is_not_kept():
    reply = (
        "Conversion rate.\n\nArgs:\n    events: Table of events.\n    days: Days.\n\n"
        "Returns:\n    The conversion rate."
    )
    result = document_function(
        REPORTS, function="conversion_rate", model=ScriptedModel([reply] * 2)
    )
    assert result.source == "deterministic"
    assert result.details["model_problems"][0] == (
        "summary: the description only restates the name; days: the description only restates "
        "the name; return value: the description only restates the name"
    )
