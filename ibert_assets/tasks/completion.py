"""Code-completion examples: verified Ibis code cut at syntactic boundaries.

A cut falls after a complete statement or after a complete receiver of a method call in a chain,
so a prefix always reads as code someone is in the middle of writing, never as a split token. A
prefix whose last line only names a table (``result = orders``) is no cut: anything could follow
it, and the intent alone would have to write the whole query.

>>> [c.completion for c in completion_cuts('result = t.filter(_.a > 1).select("a")')]
['.select("a")']
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_BARE_NAME = re.compile(r"^\s*\w+\s*=\s*\w+$")


@dataclass(frozen=True)
class CompletionCut:
    prefix: str
    completion: str
    boundary: str  # "statement" | "method_call"


def completion_cuts(code: str, *, min_prefix_chars: int = 8) -> list[CompletionCut]:
    """Every (prefix, completion) split of ``code`` at a statement or method-chain boundary."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    offsets = _line_offsets(code)
    cuts: dict[int, str] = {}
    for statement in tree.body[:-1]:
        cuts[_offset(offsets, statement.end_lineno, statement.end_col_offset)] = "statement"
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.value.end_lineno is not None
        ):
            receiver = node.func.value
            position = _offset(offsets, receiver.end_lineno, receiver.end_col_offset)
            cuts.setdefault(position, "method_call")
    results = []
    for position in sorted(cuts):
        prefix, completion = code[:position], code[position:]
        if len(prefix.strip()) < min_prefix_chars or not completion.strip():
            continue
        if _BARE_NAME.match(prefix.rstrip().rsplit("\n", 1)[-1]):
            continue
        results.append(CompletionCut(prefix, completion, cuts[position]))
    return results


def _line_offsets(code: str) -> list[int]:
    offsets, total = [0], 0
    for line in code.splitlines(keepends=True):
        total += len(line)
        offsets.append(total)
    return offsets


def _offset(offsets: list[int], line: int | None, column: int | None) -> int:
    # ast columns are UTF-8 byte offsets; the code here is ASCII Ibis, where bytes are characters
    return offsets[(line or 1) - 1] + (column or 0)
