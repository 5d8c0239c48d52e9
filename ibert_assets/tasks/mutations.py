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
import functools
import random
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass

Schema = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class Mutant:
    code: str
    operator: str
    description: str


MutationOperator = Callable[[str, Schema], Mutant | None]
TreeEdit = Callable[[ast.Module, Schema], str | None]
"""Edits a parsed program in place and says what it broke, or returns None where it does not
apply."""


def _edits_tree(edit: TreeEdit) -> MutationOperator:
    """The operator named like ``edit`` that parses the code, lets ``edit`` break the tree and
    writes the mutant back as code; code that does not parse gives no mutant."""

    @functools.wraps(edit)
    def operator(code: str, schema: Schema) -> Mutant | None:
        tree = _parse(code)
        description = None if tree is None else edit(tree, schema)
        if tree is None or description is None:
            return None
        return Mutant(ast.unparse(tree), edit.__name__, description)

    return operator


@_edits_tree
def misspelled_column(tree: ast.Module, schema: Schema) -> str | None:
    """Drop or swap a letter of a column name used as an attribute (``_.amount`` -> ``_.amout``)."""
    columns = {c for cols in schema.values() for c in cols}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in columns and len(node.attr) > 3:
            original = node.attr
            typo = _typo(original, columns)
            node.attr = typo
            return f"column {original!r} misspelled {typo!r}"
    return None


def _typo(name: str, avoid: set[str]) -> str:
    rng = random.Random(name)
    for _ in range(10):
        index = rng.randrange(1, len(name) - 1)
        candidate = name[:index] + name[index + 1 :]
        if candidate not in avoid:
            return candidate
    return name + "x"


@_edits_tree
def string_compared_with_number(tree: ast.Module, schema: Schema) -> str | None:
    """Quote a number compared with a column (``_.age > 30`` -> ``_.age > "30"``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.comparators) == 1:
            right = node.comparators[0]
            if isinstance(right, ast.Constant) and type(right.value) in (int, float):
                number = right.value
                assert isinstance(number, int | float)
                node.comparators[0] = ast.Constant(str(number))
                return f"the number {number} written as the string {str(number)!r}"
    return None


@_edits_tree
def and_instead_of_ampersand(tree: ast.Module, schema: Schema) -> str | None:
    """Combine predicates with Python's ``and``/``or`` instead of ``&``/``|``."""

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
    rewrite.visit(tree)  # in place: only nodes below the module are replaced
    if not rewrite.done:
        return None
    return "Python `and`/`or` used on expressions"


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


@_edits_tree
def wrong_method_name(tree: ast.Module, schema: Schema) -> str | None:
    """Call a method by a wrong name (``group_by`` -> ``groupby``, the pandas spelling)."""
    for _call, method in _method_calls(tree, _METHOD_TYPOS):
        original = method.attr
        method.attr = _METHOD_TYPOS[original]
        return f"method {original!r} called as {method.attr!r}"
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


# APIs of earlier Ibis versions that people still write from old answers and notebooks
_REMOVED_METHODS = {"order_by": "sort_by", "rename": "relabel"}


@_edits_tree
def deprecated_api(tree: ast.Module, schema: Schema) -> str | None:
    """Use an API removed from Ibis: ``sort_by`` (before 4.0), ``relabel`` (before 10.0), or
    ``ibis.where(cond, a, b)`` for ``cond.ifelse(a, b)`` (before 10.0)."""
    for call, method in _method_calls(tree):
        name = method.attr
        if name in _REMOVED_METHODS:
            method.attr = _REMOVED_METHODS[name]
            return f"{name!r} written as {method.attr!r}, its name in an earlier Ibis"
        if name == "ifelse" and len(call.args) == 2:
            call.func = ast.Attribute(ast.Name("ibis", ast.Load()), "where", ast.Load())
            call.args = [method.value, *call.args]
            return "'ifelse' written as 'ibis.where', its name in an earlier Ibis"
    return None


@_edits_tree
def wrong_join_key(tree: ast.Module, schema: Schema) -> str | None:
    """Name the left key on the right table too (``a.customer_id == b.customer_id`` where ``b``
    calls it ``id``): the join key that does not exist there."""
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.Eq)
            and all(
                isinstance(side, ast.Attribute) and isinstance(side.value, ast.Name)
                for side in (node.left, node.comparators[0])
            )
        ):
            continue
        left, right = node.left, node.comparators[0]
        assert isinstance(left, ast.Attribute) and isinstance(right, ast.Attribute)
        assert isinstance(left.value, ast.Name) and isinstance(right.value, ast.Name)
        right_table = schema.get(right.value.id)
        if right_table is None or left.attr in right_table or left.attr == right.attr:
            continue
        original = right.attr
        right.attr = left.attr
        return (
            f"joined on {right.value.id}.{left.attr}, which does not exist: the key there is "
            f"{original!r}"
        )
    return None


@_edits_tree
def date_compared_with_number(tree: ast.Module, schema: Schema) -> str | None:
    """Compare a date with a bare year (``_.hired_on >= 2024``) instead of a date literal."""
    for call, method in _method_calls(tree, {"date", "timestamp"}):
        if (
            isinstance(method.value, ast.Name)
            and method.value.id == "ibis"
            and call.args
            and isinstance(call.args[0], ast.Constant)
            and isinstance(call.args[0].value, str)
            and call.args[0].value[:4].isdigit()
        ):
            literal = call.args[0].value
            year_number = int(literal[:4])
            year = ast.Constant(year_number)
            for parent in ast.walk(tree):
                if isinstance(parent, ast.Compare) and parent.comparators[0] is call:
                    parent.comparators[0] = year
                    return f"the date {literal!r} written as the number {year_number}"
    return None


OPERATORS: tuple[MutationOperator, ...] = (
    misspelled_column,
    string_compared_with_number,
    and_instead_of_ampersand,
    wrong_method_name,
    missing_parenthesis,
    deprecated_api,
    wrong_join_key,
    date_compared_with_number,
)


def _method_calls(
    tree: ast.AST, names: Container[str] | None = None
) -> Iterator[tuple[ast.Call, ast.Attribute]]:
    """Each call of a method (named one of ``names``, or any) in ``tree``, with the attribute
    that names the method."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and (names is None or node.func.attr in names)
        ):
            yield node, node.func


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None
