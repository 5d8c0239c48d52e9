"""Deterministic repairs for Ibis code that fails: each a small pure function.

Every repair takes the code, the error it raised and the schema (or None) and returns a
:class:`Repair` (new code plus what changed) or None when it does not apply. Repairs never run
code; the caller keeps a repair only if the repaired code evaluates.

>>> fix_boolean_operators("t.filter(_.a > 1 and _.b < 2)", ErrorInfo("TypeError: ..."), None).code
't.filter((_.a > 1) & (_.b < 2))'
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ibert_inference.schema import Schema

_NUMERIC_PREFIXES = ("int", "uint", "float", "decimal")
_QUOTED = re.compile(r"""['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
_LONE_EQUALS = re.compile(r"(?<![=!<>:])=(?!=)")
_MAX_SYNTAX_EDITS = 5
_CHAIN_METHODS = frozenset({"agg", "aggregate", "select", "mutate", "order_by", "filter", "having"})


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


def fix_missing_parenthesis(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """Close brackets left open, at the first line end where the code then parses.

    >>> fix_missing_parenthesis("t.filter(_.x > 1", ErrorInfo("SyntaxError"), None).code
    't.filter(_.x > 1)'
    """
    if _parses(code):
        return None
    unclosed = _unclosed_brackets(code)
    if not unclosed:
        return None
    closers = "".join({"(": ")", "[": "]", "{": "}"}[char] for char, _ in reversed(unclosed))
    lines = code.rstrip("\n").split("\n")
    first_line = unclosed[0][1]
    for number in range(first_line, len(lines) + 1):
        candidate_lines = list(lines)
        candidate_lines[number - 1] = _before_comment(candidate_lines[number - 1]) + closers
        comment = _comment_of(lines[number - 1])
        if comment:
            candidate_lines[number - 1] += "  " + comment
        candidate = "\n".join(candidate_lines) + "\n" * code.endswith("\n")
        if _parses(candidate):
            return Repair(candidate, [f"closed {closers!r} left open (line {number})"])
    return None


def fix_assignment_in_comparison(
    code: str, error: ErrorInfo, schema: Schema | None
) -> Repair | None:
    """``=`` written where a comparison was meant becomes ``==`` (Python's own suggestion).

    >>> fix_assignment_in_comparison("t.filter(_.status = 'paid')", ErrorInfo(""), None).code
    "t.filter(_.status == 'paid')"
    """
    changes = []
    for _ in range(_MAX_SYNTAX_EDITS):
        try:
            ast.parse(code)
        except SyntaxError as exc:
            if ("meant '=='" not in exc.msg and 'meant "=="' not in exc.msg) or exc.lineno is None:
                return None
            lines = code.split("\n")
            line = lines[exc.lineno - 1]
            match = _LONE_EQUALS.search(line, max(0, (exc.offset or 1) - 1))
            if match is None:
                return None
            lines[exc.lineno - 1] = line[: match.start()] + "==" + line[match.end() :]
            code = "\n".join(lines)
            changes.append(f"'=' -> '==' in a comparison (line {exc.lineno})")
            continue
        return Repair(code, changes) if changes else None
    return None


def fix_boolean_operators(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """Python ``and``/``or``/``not`` on expressions become ``&``/``|``/``~``.

    >>> fix_boolean_operators("t.filter(not _.ok)", ErrorInfo(""), None).code
    't.filter(~_.ok)'
    """
    tree = _parse(code)
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
    return Repair(_splice(code, edits), changes)


def fix_unknown_column(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """A column name not in the schema becomes the closest schema column (difflib).

    >>> schema = {"t": {"amount": "float64"}}
    >>> fix_unknown_column("t.amout.sum()", ErrorInfo("'Table' object has no attribute 'amout'"),
    ...                    schema).changes
    ["column 'amout' -> 'amount' (line 1)"]
    """
    if not schema:
        return None
    tree = _parse(code)
    if tree is None:
        return None
    columns = sorted({column for table in schema.values() for column in table})
    known = set(columns) | set(schema) | _ibis_method_names()
    wanted = [name for name in _QUOTED.findall(error.message) if name not in known]
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node, name in _column_mentions(tree):
        if name in known or (wanted and name not in wanted):
            continue
        match = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
        if not match:
            continue
        if isinstance(node, ast.Attribute):
            edits.append((_attribute_name_span(node), match[0]))
        else:
            edits.append((node, repr(match[0])))
        changes.append(f"column {name!r} -> {match[0]!r} (line {getattr(node, 'end_lineno', 1)})")
    if not edits:
        return None
    return Repair(_splice(code, edits), _unique(changes))


def fix_misspelled_method(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """A called method Ibis does not have becomes the closest Ibis method name.

    >>> fix_misspelled_method("t.groupby('a').agg(n=_.count())", ErrorInfo(""), None).code
    "t.group_by('a').agg(n=_.count())"
    """
    tree = _parse(code)
    if tree is None:
        return None
    methods = _ibis_method_names()
    columns = {column for table in (schema or {}).values() for column in table}
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attribute = node.func
        name = attribute.attr
        if name in methods or name in columns or _is_module_call(attribute):
            continue
        match = _closest_method(name, methods)
        if match is None:
            continue
        edits.append((_attribute_name_span(attribute), match))
        changes.append(f"method {name!r} -> {match!r} (line {attribute.end_lineno})")
    if not edits:
        return None
    return Repair(_splice(code, edits), _unique(changes))


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
    tree = _parse(code)
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
    return Repair(_splice(code, edits), changes)


def fix_aggregate_of_other_table(
    code: str, error: ErrorInfo, schema: Schema | None
) -> Repair | None:
    """Columns of the base table used in a method of a derived table become ``_`` references.

    >>> fix_aggregate_of_other_table(
    ...     "t.filter(_.x > 1).group_by('g').agg(s=t.x.sum())", ErrorInfo(""), None).code
    "t.filter(_.x > 1).group_by('g').agg(s=_.x.sum())"
    """
    tree = _parse(code)
    if tree is None:
        return None
    edits: list[tuple[Any, str]] = []
    changes: list[str] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in _CHAIN_METHODS or not isinstance(node.func.value, ast.Call):
            continue
        root = _chain_root(node.func.value)
        if root is None:
            continue
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            for inner in ast.walk(argument):
                if isinstance(inner, ast.Attribute | ast.Subscript) and _is_name(inner.value, root):
                    segment = ast.get_source_segment(code, inner)
                    if segment is None:
                        continue
                    edits.append((inner.value, "_"))
                    changes.append(
                        f"`{segment}` -> `_{segment[len(root) :]}`: the {node.func.attr} works on "
                        f"the derived table, not {root!r} (line {inner.lineno})"
                    )
    if not edits:
        return None
    return Repair(_splice(code, edits), changes)


REPAIRS: dict[str, RepairFunction] = {
    "missing_parenthesis": fix_missing_parenthesis,
    "assignment_in_comparison": fix_assignment_in_comparison,
    "boolean_operators": fix_boolean_operators,
    "unknown_column": fix_unknown_column,
    "misspelled_method": fix_misspelled_method,
    "string_literal_comparison": fix_string_literal_comparison,
    "aggregate_of_other_table": fix_aggregate_of_other_table,
}
"""Every deterministic repair, in the order the fixer tries them."""


# --- helpers ---------------------------------------------------------------------------------


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _parses(code: str) -> bool:
    return _parse(code) is not None


@dataclass(frozen=True)
class _Span:
    """A source span shaped like an AST node's position attributes."""

    lineno: int
    col_offset: int
    end_lineno: int
    end_col_offset: int


def _attribute_name_span(node: ast.Attribute) -> _Span:
    """The span of just the name after the dot, so line breaks before the dot stay."""
    end_line, end_column = node.end_lineno or node.lineno, node.end_col_offset or 0
    return _Span(end_line, end_column - len(node.attr.encode("utf-8")), end_line, end_column)


def _splice(code: str, edits: list[tuple[Any, str]]) -> str:
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


def _unclosed_brackets(code: str) -> list[tuple[str, int]]:
    """Open brackets never closed, with their 1-based line, ignoring strings and comments."""
    stack: list[tuple[str, int]] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    line, quote, index = 1, "", 0
    while index < len(code):
        char = code[index]
        if char == "\n":
            line += 1
        if quote:
            if code.startswith(quote, index):
                index += len(quote)
                quote = ""
                continue
            if char == "\\":
                index += 2
                continue
        elif char in "'\"":
            quote = code[index : index + 3] if code[index : index + 3] in ("'''", '"""') else char
            index += len(quote)
            continue
        elif char == "#":
            while index < len(code) and code[index] != "\n":
                index += 1
            continue
        elif char in "([{":
            stack.append((char, line))
        elif char in pairs and stack and stack[-1][0] == pairs[char]:
            stack.pop()
        index += 1
    return stack


def _before_comment(line: str) -> str:
    comment = _comment_of(line)
    return (line[: len(line) - len(comment)] if comment else line).rstrip()


def _comment_of(line: str) -> str:
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[index:]
    return ""


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


def _column_mentions(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """Attribute reads that are not method calls, and string keys of ``t["x"]``/``select("x")``."""
    called = {
        id(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and id(node) not in called:
            if not _is_module_call(node):
                yield node, node.attr
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            if isinstance(node.slice.value, str):
                yield node.slice, node.slice.value
        elif _is_method_call(node, {"select", "group_by", "order_by", "drop", "distinct"}):
            for argument in node.args:  # type: ignore[attr-defined]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    yield argument, argument.value


def _is_method_call(node: ast.AST, names: set[str]) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
    )


def _is_module_call(attribute: ast.Attribute) -> bool:
    """``ibis.literal``, ``s.numeric``: names of modules, not of expressions."""
    value = attribute.value
    while isinstance(value, ast.Attribute):
        value = value.value
    return isinstance(value, ast.Name) and value.id in {"ibis", "s", "dt"}


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


def _chain_root(node: ast.AST) -> str | None:
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            return None if node.id in {"_", "ibis", "s"} else node.id
        else:
            return None


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _closest_method(name: str, methods: frozenset[str]) -> str | None:
    squashed = name.replace("_", "").lower()
    for method in sorted(methods):
        if method.replace("_", "").lower() == squashed:
            return method  # groupby -> group_by, orderBy -> order_by
    match = difflib.get_close_matches(name, sorted(methods), n=1, cutoff=0.75)
    return match[0] if match else None


@lru_cache(maxsize=1)
def _ibis_method_names() -> frozenset[str]:
    """Public attribute names of Ibis tables, grouped tables and column types."""
    import ibis.expr.types as ir
    from ibis.expr.types.groupby import GroupedTable

    kinds = [ir.Table, GroupedTable, ir.IntervalColumn, ir.IntegerScalar, ir.StringScalar]
    kinds += [getattr(ir, name) for name in dir(ir) if name.endswith("Column")]
    names = {name for kind in kinds for name in dir(kind) if not name.startswith("_")}
    return frozenset(names)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
