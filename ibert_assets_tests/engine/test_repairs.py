"""Each deterministic repair, on code that really fails, yields code that evaluates."""

from __future__ import annotations

import pytest

from ibert_inference.errors import EvaluationError
from ibert_inference.repairs import (
    REPAIRS,
    ErrorInfo,
    fix_aggregate_of_other_table,
    fix_assignment_in_comparison,
    fix_boolean_operators,
    fix_missing_parenthesis,
    fix_misspelled_method,
    fix_string_literal_comparison,
    fix_unknown_column,
)
from ibert_inference.safe_eval.evaluator import evaluate_ibis

SCHEMA = {
    "orders": {"id": "int64", "amount": "float64", "status": "string", "region": "string"},
    "customers": {"id": "int64", "name": "string", "age": "int64"},
}


def failure(code: str) -> ErrorInfo:
    """The error the code really raises (and a check that it does raise)."""
    import ibis

    try:
        ibis.to_sql(evaluate_ibis(code, SCHEMA))
    except EvaluationError as exc:
        return ErrorInfo(str(exc), exc.error_type, exc.line)
    except Exception as exc:
        return ErrorInfo(f"{type(exc).__name__}: {exc}", type(exc).__name__)
    raise AssertionError(f"expected {code!r} to fail")


CASES = [
    (
        fix_assignment_in_comparison,
        "orders.filter((_.status = 'paid') & (_.amount = 3))",
        "orders.filter((_.status == 'paid') & (_.amount == 3))",
        "'=' -> '==' in a comparison (line 1)",
    ),
    (
        fix_unknown_column,
        "orders.filter(_.amout > 10)",
        "orders.filter(_.amount > 10)",
        "column 'amout' -> 'amount' (line 1)",
    ),
    (
        fix_unknown_column,
        "result = orders.group_by('regoin').agg(n=_.count())",
        "result = orders.group_by('region').agg(n=_.count())",
        "column 'regoin' -> 'region' (line 1)",
    ),
    (
        fix_boolean_operators,
        "orders.filter(_.amount > 10 and _.status == 'paid')",
        "orders.filter((_.amount > 10) & (_.status == 'paid'))",
        None,
    ),
    (
        fix_boolean_operators,
        "orders.filter(not _.status.isnull() or _.amount < 0)",
        "orders.filter(~_.status.isnull() | (_.amount < 0))",
        None,
    ),
    (
        fix_string_literal_comparison,
        'customers.filter(_.age > "30")',
        "customers.filter(_.age > 30)",
        "string '30' -> number 30 (line 1)",
    ),
    (
        fix_string_literal_comparison,
        "orders.filter(orders.amount >= '9.5')",
        "orders.filter(orders.amount >= 9.5)",
        None,
    ),
    (
        fix_aggregate_of_other_table,
        "orders.mutate(amount=_.amount * 2).group_by('region').agg(s=orders.amount.sum())",
        "orders.mutate(amount=_.amount * 2).group_by('region').agg(s=_.amount.sum())",
        None,
    ),
    (
        fix_misspelled_method,
        "orders.groupby('region').agg(n=_.count())",
        "orders.group_by('region').agg(n=_.count())",
        "method 'groupby' -> 'group_by' (line 1)",
    ),
    (
        fix_misspelled_method,
        "orders.filte(_.amount > 1).orderby('id')",
        "orders.filter(_.amount > 1).order_by('id')",
        None,
    ),
    (
        fix_missing_parenthesis,
        "result = orders.filter((_.amount > 1)\n",
        "result = orders.filter((_.amount > 1))\n",
        "closed ')' left open (line 1)",
    ),
    (
        fix_missing_parenthesis,
        "result = (\n    orders.filter(_.amount > 1)\n    .select('id', 'amount')\n",
        "result = (\n    orders.filter(_.amount > 1)\n    .select('id', 'amount'))\n",
        None,
    ),
]


@pytest.mark.parametrize(("repair", "code", "expected", "change"), CASES)
def test_repair_makes_failing_code_evaluate(repair, code, expected, change):
    repaired = repair(code, failure(code), SCHEMA)
    assert repaired is not None
    assert repaired.code == expected
    evaluate_ibis(repaired.code, SCHEMA)  # raises if the repair did not work
    if change is not None:
        assert change in repaired.changes


def test_missing_parenthesis_keeps_comments_and_line_breaks():
    code = "expr = orders.filter(_.amount > 1  # big ones\nresult = expr.select('id')\n"
    repaired = fix_missing_parenthesis(code, failure(code), SCHEMA)
    assert repaired.code == (
        "expr = orders.filter(_.amount > 1)  # big ones\nresult = expr.select('id')\n"
    )


def test_misspelled_method_keeps_the_line_break_before_the_dot():
    code = "result = (\n    orders.filter(_.amount > 1)\n    .orderby('id')\n)\n"
    repaired = fix_misspelled_method(code, failure(code), SCHEMA)
    assert repaired.code == code.replace("orderby", "order_by")


def test_unknown_column_needs_a_close_match():
    code = "orders.filter(_.zzz > 1)"
    assert fix_unknown_column(code, failure(code), SCHEMA) is None


def test_string_comparison_leaves_string_columns_alone():
    code = "orders.filter(_.status == '30')"
    assert fix_string_literal_comparison(code, ErrorInfo(""), SCHEMA) is None


@pytest.mark.parametrize("name", sorted(REPAIRS))
def test_repairs_do_not_touch_working_code(name):
    code = "result = orders.filter((_.amount > 1) & (_.status == 'paid')).group_by('region')"
    code += ".agg(total=_.amount.sum())"
    assert REPAIRS[name](code, ErrorInfo(""), SCHEMA) is None
