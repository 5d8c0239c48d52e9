"""Keep the part of a mined Python snippet that the safe evaluator accepts.

A documentation block often mixes Ibis with other things: ``import pandas``, a loop that prints,
``expr.execute()``. The Ibis part is still worth a pair. Statements the allow-list refuses are
dropped, and so is every later statement that uses a name only they defined. Nothing here runs.

>>> print(slice_allowed("import pandas as pd\\nt = ibis.table({'a': 'int64'}, name='t')\\n"
...                     "df = pd.DataFrame()\\nexpr = t.filter(t.a > 1)\\nexpr.execute()"))
t = ibis.table({'a': 'int64'}, name='t')
expr = t.filter(t.a > 1)
"""

from __future__ import annotations

import ast

from ibert_inference.errors import IbertError
from ibert_inference.safe_eval.evaluator import check_code

# Calls that need a backend connection: an unbound expression cannot run them.
EXECUTING_METHODS = frozenset(
    {"execute", "to_pandas", "to_polars", "to_pyarrow", "to_csv", "to_parquet", "to_delta",
     "to_json", "to_torch", "to_pyarrow_batches", "visualize", "preview", "create_table",
     "insert", "connect", "read_csv", "read_parquet", "fetch", "cache", "show"}
)  # fmt: skip


def slice_allowed(code: str) -> str | None:
    """The allowed statements of ``code`` and those depending only on them; None if none."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return None
    poisoned: set[str] = set()
    kept: list[ast.stmt] = []
    for statement in tree.body:
        assigned = _assigned_names(statement)
        used = {
            n.id
            for n in ast.walk(statement)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
        if used & poisoned or _executes(statement) or not _allowed(statement):
            poisoned |= assigned
            continue
        poisoned -= assigned
        kept.append(statement)
    if not kept:
        return None
    return "\n".join(ast.unparse(statement) for statement in kept)


def _allowed(statement: ast.stmt) -> bool:
    try:
        check_code(ast.unparse(statement))
    except IbertError:
        return False
    return True


def _executes(statement: ast.stmt) -> bool:
    return any(
        isinstance(node, ast.Attribute) and node.attr in EXECUTING_METHODS
        for node in ast.walk(statement)
    )


def _assigned_names(statement: ast.stmt) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            names.add(node.name)
    return names
