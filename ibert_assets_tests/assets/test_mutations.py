import pytest

from ibert_assets.multitask.mutations import (
    and_instead_of_ampersand,
    missing_parenthesis,
    misspelled_column,
    string_compared_with_number,
    wrong_method_name,
)
from ibert_inference.errors import EvaluationError
from ibert_inference.safe_eval import evaluate_ibis

SCHEMA = {"orders": {"amount": "float64", "status": "string", "qty": "int64"}}
CODE = (
    "result = orders.filter((_.amount > 10) & (_.qty < 5))"
    ".group_by('status').agg(total=_.amount.sum())"
)


@pytest.mark.parametrize(
    ("operator", "error_type", "message"),
    [
        (misspelled_column, "AttributeError", None),
        (string_compared_with_number, "IbisTypeError", "not comparable"),
        (and_instead_of_ampersand, "TypeError", "truth value"),
        (wrong_method_name, "AttributeError", None),
        (missing_parenthesis, "SyntaxError", ""),
    ],
)
def test_each_mutant_fails_with_the_real_error_and_the_original_evaluates(
    operator, error_type, message
):
    evaluate_ibis(CODE, SCHEMA)
    mutant = operator(CODE, SCHEMA)
    assert mutant is not None and mutant.code != CODE
    with pytest.raises(EvaluationError) as info:
        evaluate_ibis(mutant.code, SCHEMA)
    assert info.value.error_type == error_type
    # None: the error names the misspelled name, the last quoted word of the description
    expected = mutant.description.rsplit("'", 2)[-2] if message is None else message
    assert expected in str(info.value)


def test_operators_that_do_not_apply_return_none():
    plain = "result = orders.select('status')"
    assert and_instead_of_ampersand(plain, SCHEMA) is None
    assert string_compared_with_number(plain, SCHEMA) is None
