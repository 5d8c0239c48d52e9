"""A runnable docstring example, written only when it has been built and evaluated.

The function's body is never run as it stands: its statements, with the table parameters bound
to unbound Ibis tables of the schema the body implies and the other parameters to values their
use allows, go through the safe evaluator in a sandbox worker. When that gives a table, the example
shows the tables being made and the columns the call returns, which is what the evaluator
computed. Anything else (a body with branches, a parameter whose value cannot be chosen, code
that does not evaluate) gives no example, and the reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ibert_inference.errors import IbertError
from ibert_inference.tasks.parameter_usage import Function, ParameterUsage

_VALUES_BY_DTYPE = {"int64": "10", "float64": "10.0", "string": "'a'", "boolean": "True"}


@dataclass(frozen=True)
class Example:
    """Doctest lines (without indentation), or None and why there is none."""

    lines: list[str] | None
    reason: str = ""


def build_example(function: Function, usages: dict[str, ParameterUsage]) -> Example:
    """An evaluated example of calling ``function`` on tables of its inferred schema."""
    from ibert_inference.safe_eval.isolated import output_schema
    from ibert_inference.schema.infer_ibis import infer_ibis_schema

    tables = [name for name, usage in usages.items() if usage.kind == "table"]
    if not tables:
        return Example(None, "no parameter is used as an Ibis table")
    body = _straight_line_body(function)
    if body is None:
        return Example(None, "the body is not a straight run of assignments ending in return")
    try:
        schema = infer_ibis_schema(body, tables=tables)
    except IbertError as exc:
        return Example(None, f"the tables' columns cannot be inferred: {exc}")
    values: dict[str, str] = {}
    for name, usage in usages.items():
        if usage.kind == "table":
            continue
        value = _value(usage, schema)
        if value is None:
            return Example(None, f"no value can be chosen for parameter {name!r}")
        values[name] = value
    code = "".join(f"{name} = {value}\n" for name, value in values.items()) + body
    try:
        columns = tuple(output_schema(code, schema))  # in a sandbox worker
    except IbertError as exc:
        return Example(None, f"the body does not evaluate to a table: {exc}")
    lines = [">>> import ibis"]
    lines += [f">>> {table} = ibis.table({schema[table]!r}, name={table!r})" for table in tables]
    lines += [
        f">>> {function.name}({_call_arguments(function, usages, values)}).columns",
        repr(columns),
    ]
    return Example(lines)


def _straight_line_body(function: Function) -> str | None:
    """The body as code that assigns ``result``; None unless it is assignments then a return."""
    statements = list(function.body)
    if (
        statements
        and isinstance(statements[0], ast.Expr)
        and isinstance(statements[0].value, ast.Constant)
        and isinstance(statements[0].value.value, str)
    ):
        statements = statements[1:]  # the old docstring
    if not statements or not isinstance(statements[-1], ast.Return):
        return None
    if not all(isinstance(s, ast.Assign) for s in statements[:-1]):
        return None
    last = statements[-1].value
    if last is None:
        return None
    lines = [ast.unparse(s) for s in statements[:-1]] + [f"result = {ast.unparse(last)}"]
    return "\n".join(lines) + "\n"


def _value(usage: ParameterUsage, schema: dict[str, dict[str, str]]) -> str | None:
    """A value for a non-table parameter: its default, else one its use allows."""
    if usage.default is not None and usage.default != "None":
        return usage.default
    dtypes = {column: dtype for columns in schema.values() for column, dtype in columns.items()}
    if usage.kind == "count":
        return "3"
    if usage.description.startswith("Not used"):
        return "None"
    if usage.kind == "scalar" and usage.compared_with in dtypes:
        return _VALUES_BY_DTYPE.get(dtypes[usage.compared_with])
    if usage.kind == "values" and usage.compared_with in dtypes:
        value = _VALUES_BY_DTYPE.get(dtypes[usage.compared_with])
        return f"[{value}]" if value else None
    return None


def _call_arguments(
    function: Function, usages: dict[str, ParameterUsage], values: dict[str, str]
) -> str:
    """Tables and values without defaults, positionally (keyword-only ones by keyword)."""
    keyword_only = {arg.arg for arg in function.args.kwonlyargs}
    parts = []
    for name, usage in usages.items():
        if usage.kind != "table" and usage.default is not None:
            continue  # the default is what the example evaluated with
        value = name if usage.kind == "table" else values[name]
        parts.append(f"{name}={value}" if name in keyword_only else value)
    return ", ".join(parts)
