"""Mutation operators that reproduce real mistakes in Ibis code, for error-resolution examples.

Each operator takes verified code and its schema and returns broken code (or None where it does
not apply). The caller evaluates the mutant with the safe evaluator to capture the real error;
a mutant that still evaluates is discarded, because it teaches nothing about errors.

>>> mutant = and_instead_of_ampersand("result = t.filter((_.a > 1) & (_.b < 2))", {})
>>> mutant.code
'result = t.filter(_.a > 1 and _.b < 2)'
"""

from __future__ import annotations

import ast
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Schema = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Mutant:
    code: str
    operator: str
    description: str


MutationOperator = Callable[[str, Schema], Mutant | None]


def misspelled_column(code: str, schema: Schema) -> Mutant | None:
    """Drop or swap a letter of a column name used as an attribute (``_.amount`` -> ``_.amout``)."""
    tree = _parse(code)
    columns = {c for cols in schema.values() for c in cols}
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in columns and len(node.attr) > 3:
            original = node.attr
            typo = _typo(original, columns)
            node.attr = typo
            return Mutant(
                ast.unparse(tree), "misspelled_column", f"column {original!r} misspelled {typo!r}"
            )
    return None


def _typo(name: str, avoid: set[str]) -> str:
    rng = random.Random(name)
    for _ in range(10):
        index = rng.randrange(1, len(name) - 1)
        candidate = name[:index] + name[index + 1 :]
        if candidate not in avoid:
            return candidate
    return name + "x"


def string_compared_with_number(code: str, schema: Schema) -> Mutant | None:
    """Quote a number compared with a column (``_.age > 30`` -> ``_.age > "30"``)."""
    tree = _parse(code)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            right = node.comparators[0]
            if isinstance(right, ast.Constant) and type(right.value) in (int, float):
                number = right.value
                assert isinstance(number, int | float)
                node.comparators[0] = ast.Constant(str(number))
                return Mutant(
                    ast.unparse(tree),
                    "string_compared_with_number",
                    f"the number {number} written as the string {str(number)!r}",
                )
    return None


def and_instead_of_ampersand(code: str, schema: Schema) -> Mutant | None:
    """Combine predicates with Python's ``and``/``or`` instead of ``&``/``|``."""
    tree = _parse(code)
    if tree is None:
        return None

    class Rewrite(ast.NodeTransformer):
        done = False

        def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
            self.generic_visit(node)
            if (
                not self.done
                and isinstance(node.op, ast.BitAnd | ast.BitOr)
                and all(isinstance(side, ast.Compare) for side in (node.left, node.right))
            ):
                self.done = True
                op = ast.And() if isinstance(node.op, ast.BitAnd) else ast.Or()
                return ast.BoolOp(op=op, values=[node.left, node.right])
            return node

    rewrite = Rewrite()
    new_tree = rewrite.visit(tree)
    if not rewrite.done:
        return None
    return Mutant(
        ast.unparse(new_tree), "and_instead_of_ampersand", "Python `and`/`or` used on expressions"
    )


_METHOD_TYPOS = {
    "group_by": "groupby",
    "order_by": "orderby",
    "filter": "filer",
    "select": "selct",
    "mutate": "mutat",
    "aggregate": "aggregat",
    "join": "joins",
    "distinct": "unique",
    "limit": "take",
}


def wrong_method_name(code: str, schema: Schema) -> Mutant | None:
    """Call a method by a wrong name (``group_by`` -> ``groupby``, the pandas spelling)."""
    tree = _parse(code)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _METHOD_TYPOS
        ):
            original = node.func.attr
            node.func.attr = _METHOD_TYPOS[original]
            return Mutant(
                ast.unparse(tree),
                "wrong_method_name",
                f"method {original!r} called as {node.func.attr!r}",
            )
    return None


def missing_parenthesis(code: str, schema: Schema) -> Mutant | None:
    """Drop the last closing parenthesis."""
    position = code.rfind(")")
    if position == -1:
        return None
    return Mutant(
        code[:position] + code[position + 1 :],
        "missing_parenthesis",
        "a closing parenthesis is missing",
    )


OPERATORS: tuple[MutationOperator, ...] = (
    misspelled_column,
    string_compared_with_number,
    and_instead_of_ampersand,
    wrong_method_name,
    missing_parenthesis,
)


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None
