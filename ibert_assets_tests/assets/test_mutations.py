import pytest

from ibert_assets.tasks.error_resolution import error_message
from ibert_assets.tasks.mutations import (
    and_instead_of_ampersand,
    date_compared_with_number,
    deprecated_api,
    missing_parenthesis,
    misspelled_column,
    string_compared_with_number,
    wrong_join_key,
    wrong_method_name,
)
from ibert_assets_tests.in_process import evaluate_ibis
from ibert_inference.errors import EvaluationError

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


JOIN_SCHEMA = {
    "orders": {"customer_id": "int64", "amount": "float64", "ordered_on": "date"},
    "customers": {"id": "int64", "name": "string"},
}
JOIN_CODE = (
    "j = orders.join(customers, orders.customer_id == customers.id)\n"
    "result = j.filter(_.ordered_on >= ibis.date('2024-03-01'))"
    ".mutate(big=(_.amount > 10).ifelse(1, 0))"
)


@pytest.mark.parametrize(
    ("operator", "message"),
    [
        (wrong_join_key, "AttributeError: 'Table' object has no attribute 'customer_id'"),
        (date_compared_with_number, "IbisTypeError: Arguments ordered_on:date and Literal(2024)"),
        (deprecated_api, "AttributeError: module 'ibis' has no attribute 'where'"),
    ],
)
def test_real_world_mistakes_fail_with_the_message_python_prints(operator, message):
    evaluate_ibis(JOIN_CODE, JOIN_SCHEMA)
    mutant = operator(JOIN_CODE, JOIN_SCHEMA)
    assert mutant is not None
    with pytest.raises(EvaluationError) as info:
        evaluate_ibis(mutant.code, JOIN_SCHEMA)
    assert error_message(info.value).startswith(message)


def test_removed_method_names_of_earlier_ibis_versions():
    mutant = deprecated_api("result = orders.order_by('amount')", JOIN_SCHEMA)
    assert mutant.code == "result = orders.sort_by('amount')"
    with pytest.raises(EvaluationError) as info:
        evaluate_ibis(mutant.code, JOIN_SCHEMA)
    assert "no attribute 'sort_by'" in str(info.value)


def test_error_messages_name_their_type_once():
    from ibert_assets.tasks.error_resolution import error_records
    from ibert_assets_tests.conftest import make_record

    pair = make_record(
        "sql_to_ibis", {"sql": "SELECT 1"}, {"ibis": JOIN_CODE}, tables=JOIN_SCHEMA, group="g"
    )
    build = error_records([pair], per_pair=8)
    assert build.records
    for record in build.records:
        error = record.input.error
        kind = error.split(":", 1)[0]
        assert not error.startswith(f"{kind}: {kind}:"), error
