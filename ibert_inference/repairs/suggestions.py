"""Repairs that apply what the error itself suggests: Ibis's, Python's and DuckDB's own hints.

The tools that raised the error often know the fix ("did you mean 'order_by'", "Perhaps you
forgot a comma?", 'Candidate bindings: "amount"'); these repairs apply it, and the fixer tries
them before its own guesses.

>>> error = ErrorInfo("AttributeError: Table object has no attribute 'sort_by', "
...                   "did you mean 'order_by'", "AttributeError")
>>> repair = fix_suggested_name("t.sort_by('a')", error, None)
>>> repair.code, repair.changes
("t.order_by('a')", ["'sort_by' -> 'order_by', as Ibis suggests (line 1)"])
"""

from __future__ import annotations

import ast
import re
from typing import Any

from ibert_inference.repairs.edits import (
    ErrorInfo,
    Repair,
    attribute_name_span,
    parse_or_none,
    parses,
    splice,
    unique,
)
from ibert_inference.schema.tables import Schema

# (who suggests, pattern with the wrong name and the suggested one)
_SUGGESTIONS = (
    ("Ibis", re.compile(r"has no attribute '(?P<wrong>\w+)', did you mean '(?P<right>\w+)'")),
    (
        "Python",
        re.compile(r"'(?P<wrong>\w+)'(?: is not defined)?\. Did you mean: '(?P<right>\w+)'\?"),
    ),
    (
        "DuckDB",
        re.compile(
            r'Referenced column "(?P<wrong>\w+)" not found.*?'
            r'Candidate bindings: "(?:\w+\.)?(?P<right>\w+)"',
            re.DOTALL,
        ),
    ),
    (
        "DuckDB",
        re.compile(
            r'with name "?(?P<wrong>\w+)"? does not exist.*?'
            r'Did you mean "(?:\w+\.)?(?P<right>\w+)"',
            re.DOTALL,
        ),
    ),
)
_FORGOT_COMMA = "Perhaps you forgot a comma?"


def fix_suggested_name(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """The name the error says is wrong becomes the one it suggests, wherever the code uses it.

    >>> error = ErrorInfo("NameError: name 'ordres' is not defined. Did you mean: 'orders'?")
    >>> fix_suggested_name("ordres.count()", error, None).code
    'orders.count()'
    """
    suggestion = _suggestion(error.message)
    if suggestion is None:
        return None
    who, wrong, right = suggestion
    tree = parse_or_none(code)
    if tree is None:
        return None
    edits: list[tuple[Any, str]] = []
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == wrong:
            edits.append((attribute_name_span(node), right))
        elif isinstance(node, ast.Name) and node.id == wrong:
            edits.append((node, right))
        elif isinstance(node, ast.Constant) and node.value == wrong:
            edits.append((node, repr(right)))
        else:
            continue
        lines.append(getattr(node, "end_lineno", None) or node.lineno)
    if not edits:
        return None
    changes = [f"{wrong!r} -> {right!r}, as {who} suggests (line {line})" for line in lines]
    return Repair(splice(code, edits), unique(changes))


def fix_suggested_comma(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """Python's "Perhaps you forgot a comma?": a comma where the code then parses.

    >>> error = ErrorInfo("SyntaxError: invalid syntax. Perhaps you forgot a comma?")
    >>> fix_suggested_comma('t.group_by(["a" _.b])', error, None).code
    't.group_by(["a", _.b])'
    """
    try:
        ast.parse(code)
    except SyntaxError as exc:
        if _FORGOT_COMMA not in exc.msg or exc.lineno is None or exc.offset is None:
            return None
        lines = code.split("\n")
        line = lines[exc.lineno - 1]
        end = exc.end_offset if exc.end_lineno == exc.lineno and exc.end_offset else len(line)
        for position in range(exc.offset, min(end, len(line) + 1)):
            before, after = line[:position], line[position:]
            if not before or before[-1].isspace() or not after[:1].isspace():
                continue  # a comma goes right after a token, before the space that follows it
            candidate = "\n".join(
                [*lines[: exc.lineno - 1], f"{before},{after}", *lines[exc.lineno :]]
            )
            if parses(candidate):
                return Repair(candidate, [f"added the comma Python suggests (line {exc.lineno})"])
        return None
    return None


def _suggestion(message: str) -> tuple[str, str, str] | None:
    for who, pattern in _SUGGESTIONS:
        match = pattern.search(message)
        if match and match.group("wrong") != match.group("right"):
            return who, match.group("wrong"), match.group("right")
    return None
