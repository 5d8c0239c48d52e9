"""What fuzzing the translator with synthetic worlds found (docs/synthetic_fuzzing.md): each
finding is fixed, or kept here as a strict xfail that says why until it is."""

import pytest

from ibert_inference import sql_to_ibis, verify_pair


@pytest.mark.xfail(
    strict=True,
    reason="an Ibis table cannot hold two columns of one name: the translator renames the second "
    "'status' to 'status_2', and the verifier compares the names the SQL gives its columns",
)
def test_two_output_columns_of_one_name_keep_their_sql_names():
    schema = {"t": {"k": "int64", "status": "string"}, "u": {"k": "int64", "status": "string"}}
    sql = "SELECT t.status, u.status FROM t JOIN u ON t.k = u.k"
    assert verify_pair(sql, sql_to_ibis(sql, schema).code, schema).ok


def test_a_column_named_like_a_forbidden_attribute_is_read_by_subscript():
    schema = {"sale": {"sale_id": "int64", "format": "string", "pages": "int64"}}
    sql = "SELECT s.format FROM sale AS s WHERE s.format IN ('ebook', 'audio') AND s.pages > 2"
    code = sql_to_ibis(sql, schema).code
    assert '_["format"]' in code and "_.format" not in code
    assert verify_pair(sql, code, schema).ok
