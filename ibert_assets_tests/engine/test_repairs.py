"""Each deterministic repair, on code that really fails, yields code that evaluates."""

from __future__ import annotations

import pytest

from ibert_assets_tests.in_process import evaluate_ibis
from ibert_inference.errors import EvaluationError
from ibert_inference.repairs import (
    REPAIRS,
    ErrorInfo,
    fix_aggregate_of_other_table,
    fix_assignment_in_comparison,
    fix_boolean_operators,
    fix_join_key,
    fix_missing_parenthesis,
    fix_misspelled_method,
    fix_sort_keywords,
    fix_string_literal_comparison,
    fix_suggested_comma,
    fix_suggested_name,
    fix_uncalled_method,
    fix_unknown_column,
    fix_unquoted_dtype,
    meaning_changes,
)

SCHEMA = {
    "orders": {
        "id": "int64",
        "amount": "float64",
        "status": "string",
        "region": "string",
        "created_at": "timestamp",
    },
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
        fix_suggested_name,
        "orders.sort_by('amount').limit(3)",
        "orders.order_by('amount').limit(3)",
        "'sort_by' -> 'order_by', as Ibis suggests (line 1)",
    ),
    (
        fix_suggested_comma,
        "orders.group_by(['region' _.status]).agg(n=_.count())",
        "orders.group_by(['region', _.status]).agg(n=_.count())",
        "added the comma Python suggests (line 1)",
    ),
    (
        fix_uncalled_method,
        "orders.mutate(y=_.created_at.year, s=_.status.upper)",
        "orders.mutate(y=_.created_at.year(), s=_.status.upper())",
        "`.year` -> `.year()`: it is a method (line 1)",
    ),
    (
        fix_sort_keywords,
        "orders.sort_values(by=['region', 'amount'], ascending=[True, False])",
        "orders.order_by('region', ibis.desc('amount'))",
        None,
    ),
    (
        fix_unquoted_dtype,
        "orders.mutate(a=_.amount.cast(int64), d=_.created_at.cast(date))",
        "orders.mutate(a=_.amount.cast('int64'), d=_.created_at.cast('date'))",
        "type int64 -> 'int64': Ibis names types as strings (line 1)",
    ),
    (
        fix_join_key,
        "orders.join(customers, orders.id == customers.order_id)",
        "orders.join(customers, orders.id == customers.id)",
        "join key customers.order_id -> customers.id: customers has no order_id (line 1)",
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


def test_a_column_named_like_a_method_is_not_called():
    schema = {"events": {"year": "int64", "month": "int64"}}
    assert fix_uncalled_method("events.filter(_.year > 2020)", ErrorInfo(""), schema) is None


def test_a_suggestion_the_error_does_not_make_is_not_applied():
    error = ErrorInfo("AttributeError: 'Table' object has no attribute 'zzz'")
    assert fix_suggested_name("orders.zzz", error, SCHEMA) is None


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        # what a repair may do: rename what does not exist, respell operators and sort keywords
        ("orders.filter(_.amout > 10 and _.status == 'x')",
         "orders.filter((_.amount > 10) & (_.status == 'x'))", None),
        ("orders.sort_values('amount', ascending=False)",
         "orders.order_by(_.amount.desc())", None),
        ("orders.filter(_.amount > '9.5')", "orders.filter(_.amount > 9.5)", None),
        # a misspelt method means what it tried to call
        ("orders.fitler(_.amount > 1).odrer_by('id')", "orders.filter(_.amount > 1).order_by('id')",
         None),
        ("orders.join(customers, orders.id == customers.order_id)",
         "orders.join(customers, orders.id == customers.id)", None),
        # what it may not
        ("orders.order_by(ibis.desc('amount'))", "orders.order_by('amount')",
         "it sorts by amount ascending where the code sorts by amount descending"),
        ("orders.order_by('region', 'amount')", "orders.order_by('amount', 'region')",
         "it sorts by amount ascending, region ascending where the code sorts by region "
         "ascending, amount ascending"),
        ("orders.join(customers, orders.id == customers.id)",
         "orders.join(customers, orders.amount == customers.id)",
         "it joins on orders.amount == customers.id where the code joins on orders.id == "
         "customers.id"),
        ("orders.filter(_.status == 'paid')", "orders.filter(_.status != 'paid')",
         "it filters on status != 'paid' where the code filters on status == 'paid'"),
        ("orders.filter(_.status.isin(['a', 'b']))", "orders.filter(_.status.isin(['a']))",
         "it filters on status.isin(['a']) where the code filters on status.isin(['a', 'b'])"),
        ("orders.filter(_.amount > 1)", "orders",
         "it filters on nothing where the code filters on amount > 1"),
    ],
)  # fmt: skip
def test_meaning_changes_name_what_a_fix_may_not_change(before, after, change):
    assert meaning_changes(before, after, SCHEMA) == ([change] if change else [])
