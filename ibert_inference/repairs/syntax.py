"""Repairs of code that does not parse: brackets left open, ``=`` meant as ``==``."""

from __future__ import annotations

import ast
import re

from ibert_inference.repairs.edits import ErrorInfo, Repair, parses
from ibert_inference.schema.tables import Schema

_LONE_EQUALS = re.compile(r"(?<![=!<>:])=(?!=)")
_MAX_SYNTAX_EDITS = 5


def fix_missing_parenthesis(code: str, error: ErrorInfo, schema: Schema | None) -> Repair | None:
    """Close brackets left open, at the first line end where the code then parses.

    >>> fix_missing_parenthesis("t.filter(_.x > 1", ErrorInfo("SyntaxError"), None).code
    't.filter(_.x > 1)'
    """
    if parses(code):
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
        if parses(candidate):
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
