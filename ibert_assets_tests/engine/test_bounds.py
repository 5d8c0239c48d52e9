"""Sizes checked before any work, each refusal one line naming its limit and setting."""

from __future__ import annotations

import time

import pytest

from ibert_inference.compiler import bounded_to_sql, ibis_to_sql
from ibert_inference.errors import InputTooLargeError, SQLParseError
from ibert_inference.sandbox import SandboxSettings
from ibert_inference.sandbox.bounds import check_output, check_schema_size, check_sql_text
from ibert_inference.schema.tables import validate_schema
from ibert_inference.translate import sql_to_ibis

SCHEMA = {"t": {"a": "int64", "b": "string"}}


def test_a_huge_sql_line_is_refused_before_it_is_parsed():
    sql = "SELECT a FROM t WHERE a = 1" + " OR b = 'x'" * 86_000  # ~950 kB
    started = time.monotonic()
    with pytest.raises(InputTooLargeError, match=r"946,027 characters long.*max_sql_chars"):
        sql_to_ibis(sql, SCHEMA)
    assert time.monotonic() - started < 0.5


def test_sql_under_the_character_limit_but_with_too_many_nodes_is_refused(configure_sandbox):
    configure_sandbox(max_sql_nodes=200)
    sql = "SELECT a FROM t WHERE " + " OR ".join(f"a = {i}" for i in range(100))
    with pytest.raises(InputTooLargeError, match="max_sql_nodes"):
        sql_to_ibis(sql, SCHEMA)
    assert sql_to_ibis("SELECT a FROM t WHERE a = 1", SCHEMA).code


def test_a_schema_too_wide_or_with_too_many_tables_is_refused():
    wide = {"t": {f"c{i}": "int64" for i in range(20_000)}}
    with pytest.raises(InputTooLargeError, match=r"20,000 columns.*max_columns"):
        validate_schema(wide)
    many = {f"t{i}": {"a": "int64"} for i in range(101)}
    with pytest.raises(InputTooLargeError, match=r"101 tables.*max_tables"):
        check_schema_size(many)
    check_schema_size({f"t{i}": {"a": "int64"} for i in range(100)})


def test_the_limits_are_settings(configure_sandbox):
    configure_sandbox(max_sql_chars=10)
    with pytest.raises(InputTooLargeError, match="limit is 10 "):
        check_sql_text("SELECT a FROM t")
    with pytest.raises(SQLParseError):  # the limit is back: the same kind of input is parsed
        configure_sandbox()
        sql_to_ibis("SELECT FROM WHERE", SCHEMA)


def test_compiled_sql_over_the_output_limit_is_refused(configure_sandbox):
    import ibis

    t = ibis.table(SCHEMA["t"], name="t")
    expr = t.select(*[(t.a + i).name(f"c{i}") for i in range(300)])
    assert len(bounded_to_sql(expr)) > 5_000
    configure_sandbox(max_output_chars=5_000)
    with pytest.raises(InputTooLargeError, match="max_output_chars"):
        bounded_to_sql(expr)
    with pytest.raises(InputTooLargeError, match="max_output_chars"):
        check_output("x" * 5_001)


def test_array_literals_printed_many_times_are_refused_not_printed(configure_sandbox):
    """Copies of an array literal: SQL over the output cap is refused, not printed."""
    copies = ", ".join(f"c{i}=x" for i in range(30))
    code = f"x = ibis.literal([123456] * 1000)\nt.select({copies})"
    assert len(ibis_to_sql(code, SCHEMA)) > 100_000
    configure_sandbox(max_output_chars=100_000)  # reaches the worker already running
    with pytest.raises(InputTooLargeError, match="max_output_chars"):
        ibis_to_sql(code, SCHEMA)


def test_settings_refuse_a_non_positive_time_limit():
    with pytest.raises(ValueError, match="statement_timeout_s time limit must be positive"):
        SandboxSettings(statement_timeout_s=0)


@pytest.mark.parametrize("table", ["__ibert_attr__", "__builtins__", "__t"])
def test_a_reserved_table_name_is_refused_in_any_schema(table: str):
    from ibert_inference.errors import SchemaError

    with pytest.raises(SchemaError, match="is reserved"):
        validate_schema({table: {"a": "int64"}})
