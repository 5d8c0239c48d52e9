"""Repairs of operators: Python's ``and``/``or``/``not``, numbers written as strings."""

from __future__ import annotations

import ast
from typing import Any

from ibert_inference.repairs.edits import ErrorInfo, Repair, parse_or_none, splice
from ibert_inference.schema.tables import Schema

_NUMERIC_PREFIXES = ("int", "uint", "float", "decimal")


def fix_boolean_operators(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """Python ``and``/``or``/``not`` on expressions become ``&``/``|``/``~``.

    >>> fix_boolean_operators("t.filter(not _.ok)", ErrorInfo(""), None).code
    't.filter(~_.ok)'
    """
    tree = parse_or_none(code)
    if tree is None:
        return None
    nodes = [
        node
        for node in ast.walk(tree)
        if (isinstance(node, ast.BoolOp) or _is_not(node)) and _mentions_columns(node)
    ]
    outermost = [n for n in nodes if not any(n is not o and _contains(o, n) for o in nodes)]
    if not outermost:
        return None
    edits: list[tuple[Any, str]] = []
    for node in outermost:
        rewritten = _BitwiseLogic().visit(_copy(node))
        edits.append((node, ast.unparse(rewritten)))
    changes = [
        f"`{ast.get_source_segment(code, node)}` -> `{text}` (line {node.lineno})"
        for node, text in edits
    ]
    return Repair(splice(code, edits), changes)


def fix_string_literal_comparison(
    code: str, error: ErrorInfo, schema: Schema | None
) -> Repair | None:
    """A number written as a string, compared with a numeric column, becomes a number.

    >>> fix_string_literal_comparison('t.filter(_.age > "30")', ErrorInfo(""),
    ...                               {"t": {"age": "int64"}}).code
    't.filter(_.age > 30)'
    """
    if not schema:
        return None
    tree = parse_or_none(code)
    if tree is None:
        return None
    dtypes = _column_dtypes(schema)
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        column_types = [dtypes.get(_column_name(operand) or "") for operand in operands]
        if not any(t and t.startswith(_NUMERIC_PREFIXES) for t in column_types):
            continue
        numeric = next(t for t in column_types if t and t.startswith(_NUMERIC_PREFIXES))
        for operand in operands:
            if isinstance(operand, ast.Constant) and isinstance(operand.value, str):
                number = _as_number(operand.value, integer=numeric.startswith(("int", "uint")))
                if number is not None:
                    edits.append((operand, repr(number)))
                    changes.append(
                        f"string {operand.value!r} -> number {number!r} (line {operand.lineno})"
                    )
    if not edits:
        return None
    return Repair(splice(code, edits), changes)


def _is_not(node: ast.AST) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)


def _mentions_columns(node: ast.AST) -> bool:
    """True when the expression refers to a column (``_.x``, ``t.x``, ``t["x"]``)."""
    return any(isinstance(inner, ast.Attribute | ast.Subscript) for inner in ast.walk(node))


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    return any(node is inner for node in ast.walk(outer))


def _copy(node: ast.AST) -> ast.AST:
    return ast.parse(ast.unparse(node), mode="eval").body


class _BitwiseLogic(ast.NodeTransformer):
    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        operator: ast.operator = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        combined = node.values[0]
        for value in node.values[1:]:
            combined = ast.BinOp(left=combined, op=operator, right=value)
        return combined

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.UnaryOp(op=ast.Invert(), operand=node.operand)
        return node


def _column_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


def _column_dtypes(schema: Schema) -> dict[str, str]:
    dtypes: dict[str, str] = {}
    for columns in schema.values():
        for column, dtype in columns.items():
            dtypes.setdefault(column, dtype.lower().lstrip("!"))
    return dtypes


def _as_number(text: str, *, integer: bool) -> int | float | None:
    try:
        return int(text.strip()) if integer else float(text.strip())
    except ValueError:
        try:
            value = float(text.strip())
        except ValueError:
            return None
        return int(value) if value.is_integer() else value
