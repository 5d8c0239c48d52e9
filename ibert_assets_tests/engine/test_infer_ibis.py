"""infer_ibis_schema: tables, columns and types read from Ibis code without running it."""

import pytest

from ibert_inference.schema.infer_ibis import infer_ibis_schema, table_names
from ibert_inference.schema.infer_sql import SchemaInferenceError
from ibert_inference.tasks.ibis_to_sql import to_sql


def test_free_names_are_tables_and_assigned_names_are_not():
    code = "j = orders.join(customers, orders.customer_id == customers.id)\nresult = j.count()"
    assert table_names(code) == ["orders", "customers"]
    assert table_names("t = ibis.table({'a': 'int64'}, name='t')\nresult = t.a.sum()") == []


def test_columns_and_types_come_from_how_they_are_used():
    code = (
        "result = orders.filter((_.amount > 10.5) & (_.status == 'paid') & _.is_gift)"
        ".mutate(doubled=_.quantity * 2, day=_.created_at.year())"
        ".group_by('region').agg(total=_.amount.sum(), n=_.count(), code=_.sku.upper())"
        ".order_by(ibis.desc('total'))"
    )
    assert infer_ibis_schema(code) == {
        "orders": {
            "amount": "float64",
            "created_at": "timestamp",
            "is_gift": "boolean",
            "quantity": "int64",
            "region": "string",
            "sku": "string",
            "status": "string",
        }
    }


def test_columns_of_several_tables_go_to_their_own_table():
    code = (
        "j = a.join(b, a.id == b.a_id)\n"
        "result = j.filter(b.created_at.year() == 2024).select(a.name.upper(), b['score'])"
    )
    assert infer_ibis_schema(code) == {
        "a": {"id": "int64", "name": "string"},
        "b": {"a_id": "int64", "created_at": "timestamp", "score": "float64"},
    }


def test_values_in_isin_and_between_type_the_column():
    schema = infer_ibis_schema("t.filter(_.code.isin(['a', 'b']) & _.n.between(1, 9))")
    assert schema == {"t": {"code": "string", "n": "int64"}}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("result = 1 + 2", "reads no table"),
        ("t.count()", "no column of table 't'"),
        ("t.filter(_.a >", "not valid Python"),
    ],
)
def test_code_that_says_too_little_is_a_clear_error(code: str, message: str):
    with pytest.raises(SchemaInferenceError, match=message):
        infer_ibis_schema(code)


def test_to_sql_without_a_schema_compiles_against_the_inferred_one():
    result = to_sql("users.filter(_.age > 30).select('name')", dialect="postgres")
    assert result.details["inferred_schema"] == {"users": {"age": "int64", "name": "string"}}
    assert '"t0"."age" > 30' in result.output and result.verified is True


def test_to_sql_with_a_schema_infers_nothing():
    result = to_sql("users.select('name')", schema={"users": {"name": "string"}})
    assert "inferred_schema" not in result.details


def test_inference_never_runs_the_code(tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('x')\nresult = t.filter(_.a > 1)"
    assert infer_ibis_schema(code)["t"] == {"a": "int64"}
    assert not marker.exists()


def test_to_sql_asks_for_a_schema_when_the_code_names_no_column():
    with pytest.raises(SchemaInferenceError, match="pass --schema"):
        to_sql("t.count()")


def test_a_called_attribute_of_a_table_is_a_method_not_a_column():
    # `orders.sort_by(...)` is a misspelt method: inferring a `sort_by` column hid Ibis's own
    # "did you mean 'order_by'" from the fixer
    schema = infer_ibis_schema("orders.sort_by('amount').filter(orders.status == 'paid')")
    assert schema == {"orders": {"status": "string"}}
