"""What every repair shares: the error it sees, the repair it returns, and source-text edits."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ibert_inference.schema.tables import Schema


@dataclass(frozen=True)
class ErrorInfo:
    """An error as the fixer sees it: the message, its type and line when known."""

    message: str
    error_type: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Repair:
    """Repaired code and a human-readable list of what changed."""

    code: str
    changes: list[str] = field(default_factory=list)


RepairFunction = Callable[[str, ErrorInfo, "Schema | None"], "Repair | None"]


def parse_or_none(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None


def parses(code: str) -> bool:
    return parse_or_none(code) is not None


@dataclass(frozen=True)
class Span:
    """A source span shaped like an AST node's position attributes."""

    lineno: int
    col_offset: int
    end_lineno: int
    end_col_offset: int


def attribute_name_span(node: ast.Attribute) -> Span:
    """The span of just the name after the dot, so line breaks before the dot stay."""
    end_line, end_column = node.end_lineno or node.lineno, node.end_col_offset or 0
    return Span(end_line, end_column - len(node.attr.encode("utf-8")), end_line, end_column)


def splice(code: str, edits: list[tuple[Any, str]]) -> str:
    """Replace each node's source span with new text, last span first so offsets stay valid."""
    lines = code.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line.encode("utf-8")))
    data = code.encode("utf-8")

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column  # ast columns are UTF-8 byte offsets

    spans = sorted(
        (
            (offset(n.lineno, n.col_offset), offset(n.end_lineno, n.end_col_offset), text)
            for n, text in edits
        ),
        reverse=True,
    )
    last_start = len(data) + 1
    for start, end, text in spans:
        if end > last_start:  # overlapping edit: keep the outer one already applied
            continue
        data = data[:start] + text.encode("utf-8") + data[end:]
        last_start = start
    return data.decode("utf-8")


def is_method_call(node: ast.AST, names: set[str]) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
    )


def is_module_call(attribute: ast.Attribute) -> bool:
    """``ibis.literal``, ``s.numeric``: names of modules, not of expressions."""
    value = attribute.value
    while isinstance(value, ast.Attribute):
        value = value.value
    return isinstance(value, ast.Name) and value.id in {"ibis", "s", "dt"}


@lru_cache(maxsize=1)
def ibis_method_names() -> frozenset[str]:
    """Public attribute names of Ibis tables, grouped tables and column types."""
    import ibis.expr.types as ir
    from ibis.expr.types.groupby import GroupedTable

    kinds = [ir.Table, GroupedTable, ir.IntervalColumn, ir.IntegerScalar, ir.StringScalar]
    kinds += [getattr(ir, name) for name in dir(ir) if name.endswith("Column")]
    names = {name for kind in kinds for name in dir(kind) if not name.startswith("_")}
    return frozenset(names)


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
