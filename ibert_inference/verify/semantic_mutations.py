"""Semantic mutation operators for Ibis code: small edits that keep the code valid but change
its meaning, the near misses a verifier must reject (``benchmarks/mutation_score.py`` counts how
many it does).

Each operator rewrites one site of the code's syntax tree at a time; :func:`mutants` lists, per
operator, the code of every single-site mutant.

>>> [code for _, code in mutants("t.filter(_.a > 1).agg(s=_.b.sum())", ["comparison_flip"])]
['t.filter(_.a >= 1).agg(s=_.b.sum())']
>>> [code for _, code in mutants("t.agg(s=_.b.sum())", ["aggregate_swap"])]
['t.agg(s=_.b.mean())']
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# an operator: given a node, the node that replaces it at this site, or None where it does not apply
Rewrite = Callable[[ast.AST], ast.AST | None]


@dataclass(frozen=True)
class Operator:
    name: str
    description: str
    rewrite: Rewrite


def _method(node: ast.AST, *names: str) -> ast.Call | None:
    """``node`` when it is a call of a method named one of ``names``."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
    ):
        return node
    return None


def _renamed(node: ast.AST, renames: dict[str, str]) -> ast.AST | None:
    call = _method(node, *renames)
    if call is None:
        return None
    assert isinstance(call.func, ast.Attribute)
    new = copy.deepcopy(call)
    assert isinstance(new.func, ast.Attribute)
    new.func.attr = renames[call.func.attr]
    return new


def _operator_swapped(
    node: ast.AST, swaps: dict[type[ast.operator], type[ast.operator]]
) -> ast.AST | None:
    """``node`` with its binary operator replaced as ``swaps`` says, when it is one of them."""
    if isinstance(node, ast.BinOp) and type(node.op) in swaps:
        new = copy.deepcopy(node)
        new.op = swaps[type(node.op)]()
        return new
    return None


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def _number(node: ast.AST | None) -> int | float | None:
    """The value of a number literal, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return None if isinstance(node.value, bool) else node.value
    return None


def _with_keyword(call: ast.Call, name: str, value: str | bool | int | float) -> ast.Call:
    new = copy.deepcopy(call)
    new.keywords = [k for k in new.keywords if k.arg != name]
    new.keywords.append(ast.keyword(arg=name, value=ast.Constant(value)))
    return new


def _comparison_flip(node: ast.AST) -> ast.AST | None:
    flips = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt,
             ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}  # fmt: skip
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in flips:
        new = copy.deepcopy(node)
        new.ops = [flips[type(node.ops[0])]()]
        return new
    return None


def _and_or_swap(node: ast.AST) -> ast.AST | None:
    return _operator_swapped(node, {ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd})


def _conjunct_dropped(node: ast.AST) -> ast.AST | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd):
        return copy.deepcopy(node.left)
    call = _method(node, "filter")
    if call is not None and len(call.args) > 1:
        new = copy.deepcopy(call)
        new.args = new.args[:-1]
        return new
    return None


def _join_kind(node: ast.AST) -> ast.AST | None:
    renamed = _renamed(node, {"left_join": "inner_join", "inner_join": "left_join",
                              "anti_join": "semi_join", "semi_join": "anti_join"})  # fmt: skip
    if renamed is not None:
        return renamed
    call = _method(node, "join")
    if call is None:
        return None
    how = _keyword(call, "how")
    current = how.value.value if how is not None and isinstance(how.value, ast.Constant) else None
    return _with_keyword(call, "how", "left" if current in (None, "inner") else "inner")


def _distinct_dropped(node: ast.AST) -> ast.AST | None:
    call = _method(node, "distinct")
    if call is not None and not call.args and not call.keywords:
        assert isinstance(call.func, ast.Attribute)
        return copy.deepcopy(call.func.value)
    return None


def _aggregate_swap(node: ast.AST) -> ast.AST | None:
    return _renamed(node, {"sum": "mean", "mean": "sum", "min": "max", "max": "min",
                           "first": "last", "last": "first"})  # fmt: skip


def _count_nunique(node: ast.AST) -> ast.AST | None:
    return _renamed(node, {"count": "nunique", "nunique": "count"})


def _count_rows_not_values(node: ast.AST) -> ast.AST | None:
    """``_.x.count()`` (non-NULL values) -> ``_.count()`` (rows)."""
    call = _method(node, "count")
    if call is None or call.args:
        return None
    assert isinstance(call.func, ast.Attribute)
    column = call.func.value
    if isinstance(column, ast.Attribute) and isinstance(column.value, ast.Name):
        new = copy.deepcopy(call)
        assert isinstance(new.func, ast.Attribute)
        new.func.value = copy.deepcopy(column.value)
        return new
    return None


def _literal_plus_one(node: ast.AST) -> ast.AST | None:
    number = _number(node)
    return None if number is None else ast.Constant(number + 1)


def _limit_changed(node: ast.AST) -> ast.AST | None:
    call = _method(node, "limit", "head")
    count = _number(call.args[0]) if call is not None and call.args else None
    if call is None or count is None:
        return None
    offset = _keyword(call, "offset")
    skipped = _number(offset.value) if offset is not None else None
    if skipped is not None:
        return _with_keyword(call, "offset", skipped + 1)
    new = copy.deepcopy(call)
    new.args[0] = ast.Constant(count + 1)
    return new


def _sort_direction(node: ast.AST) -> ast.AST | None:
    return _renamed(node, {"desc": "asc", "asc": "desc"})


def _nulls_first(node: ast.AST) -> ast.AST | None:
    call = _method(node, "desc", "asc")
    if call is None:
        return None
    current = _keyword(call, "nulls_first")
    first = isinstance(current, ast.keyword) and getattr(current.value, "value", False)
    return _with_keyword(call, "nulls_first", not first)


def _window_partition(node: ast.AST) -> ast.AST | None:
    if not isinstance(node, ast.Call) or _keyword(node, "group_by") is None:
        return None
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    if name not in ("over", "window", "rows_window", "range_window", "cumulative_window"):
        return None
    new = copy.deepcopy(node)
    new.keywords = [k for k in new.keywords if k.arg != "group_by"]
    return new


def _window_frame(node: ast.AST) -> ast.AST | None:
    call = _method(node, "over", "window")
    if call is None or not any(k.arg in ("order_by", "group_by") for k in call.keywords):
        return None
    if _keyword(call, "rows") is not None or _keyword(call, "range") is not None:
        new = copy.deepcopy(call)
        new.keywords = [k for k in new.keywords if k.arg not in ("rows", "range")]
        return new
    new = copy.deepcopy(call)
    new.keywords.append(ast.keyword(arg="rows", value=ast.parse("(-1, 0)", mode="eval").body))
    return new


def _string_case(node: ast.AST) -> ast.AST | None:
    return _renamed(node, {"lower": "upper", "upper": "lower", "capitalize": "lower"})


def _pattern_semantics(node: ast.AST) -> ast.AST | None:
    return _renamed(node, {"like": "ilike", "ilike": "like", "startswith": "endswith",
                           "endswith": "startswith", "contains": "startswith",
                           "re_search": "startswith"})  # fmt: skip


def _first_not_all_replaced(node: ast.AST) -> ast.AST | None:
    """``re_replace(p, r)`` (every match) -> a replacement of the first match only."""
    call = _method(node, "re_replace")
    if call is None or len(call.args) != 2:
        return None
    pattern, replacement = (getattr(arg, "value", None) for arg in call.args)
    if not (isinstance(pattern, str) and isinstance(replacement, str)):
        return None
    new = copy.deepcopy(call)
    new.args = [ast.Constant(f"^(.*?)(?:{pattern})"), ast.Constant(f"\\1{replacement}")]
    return new


def _position_base(node: ast.AST) -> ast.AST | None:
    call = _method(node, "substr")
    start = _number(call.args[0]) if call is not None and call.args else None
    if call is not None and start is not None:
        new = copy.deepcopy(call)
        new.args[0] = ast.Constant(start + 1)
        return new
    call = _method(node, "find", "find_in_set")
    if call is not None:
        return ast.BinOp(left=copy.deepcopy(call), op=ast.Add(), right=ast.Constant(1))
    return None


def _division(node: ast.AST) -> ast.AST | None:
    return _operator_swapped(node, {ast.Div: ast.FloorDiv, ast.FloorDiv: ast.Div})


def _sample_population(node: ast.AST) -> ast.AST | None:
    call = _method(node, "std", "var", "cov")
    if call is None:
        return None
    how = _keyword(call, "how")
    current = how.value.value if how is not None and isinstance(how.value, ast.Constant) else None
    return _with_keyword(call, "how", "sample" if current == "pop" else "pop")


def _coalesce_dropped(node: ast.AST) -> ast.AST | None:
    call = _method(node, "coalesce", "fill_null", "fillna")
    if call is None or not call.args:
        return None
    assert isinstance(call.func, ast.Attribute)
    if isinstance(call.func.value, ast.Name) and call.func.value.id == "ibis":
        return copy.deepcopy(call.args[0])  # ibis.coalesce(a, b) -> a
    return copy.deepcopy(call.func.value)  # a.coalesce(b) -> a


def _null_check_flip(node: ast.AST) -> ast.AST | None:
    return _renamed(node, {"isnull": "notnull", "notnull": "isnull"})


OPERATORS: tuple[Operator, ...] = (
    Operator("comparison_flip", "> <-> >=, < <-> <=, == <-> !=", _comparison_flip),
    Operator("and_or_swap", "& <-> |", _and_or_swap),
    Operator("conjunct_dropped", "a & b -> a; filter(a, b) -> filter(a)", _conjunct_dropped),
    Operator("join_kind", "inner <-> left, semi <-> anti", _join_kind),
    Operator("distinct_dropped", ".distinct() removed", _distinct_dropped),
    Operator("aggregate_swap", "sum <-> mean, min <-> max, first <-> last", _aggregate_swap),
    Operator("count_nunique", "count <-> nunique", _count_nunique),
    Operator("count_rows_not_values", "_.x.count() -> _.count()", _count_rows_not_values),
    Operator("literal_plus_one", "a number literal + 1", _literal_plus_one),
    Operator("limit_changed", "limit n -> n + 1, offset + 1", _limit_changed),
    Operator("sort_direction", "desc <-> asc", _sort_direction),
    Operator("nulls_first", "NULLs first <-> last", _nulls_first),
    Operator("window_partition", "a window's group_by dropped", _window_partition),
    Operator("window_frame", "a window's frame dropped or set to one preceding row", _window_frame),
    Operator("string_case", "lower <-> upper", _string_case),
    Operator("pattern_semantics", "like <-> ilike, startswith <-> endswith", _pattern_semantics),
    Operator("first_not_all", "re_replace of every match -> of the first", _first_not_all_replaced),
    Operator("position_base", "substr start + 1, find + 1 (0- vs 1-based)", _position_base),
    Operator("division", "/ <-> //", _division),
    Operator("sample_population", "std/var sample <-> population", _sample_population),
    Operator("coalesce_dropped", "coalesce / fill_null removed", _coalesce_dropped),
    Operator("null_check_flip", "isnull <-> notnull", _null_check_flip),
)
OPERATOR_NAMES = tuple(operator.name for operator in OPERATORS)


class _OneSite(ast.NodeTransformer):
    """Rewrites the ``target``-th site where ``rewrite`` applies (pre-order); counts the sites."""

    def __init__(self, rewrite: Rewrite, target: int):
        self.rewrite, self.target, self.sites = rewrite, target, 0

    def visit(self, node: ast.AST) -> ast.AST:
        replacement = self.rewrite(node)
        if replacement is not None:
            index, self.sites = self.sites, self.sites + 1
            if index == self.target:
                return ast.copy_location(replacement, node)
        return self.generic_visit(node)


def mutants(
    code: str, operators: Iterable[str] = OPERATOR_NAMES, max_sites: int = 4
) -> list[tuple[str, str]]:
    """``(operator, mutant code)`` for every site of every operator (at most ``max_sites`` each)."""
    tree = ast.parse(code)
    wanted = set(operators)
    found: list[tuple[str, str]] = []
    for operator in OPERATORS:
        if operator.name not in wanted:
            continue
        counter = _OneSite(operator.rewrite, -1)
        counter.visit(copy.deepcopy(tree))
        seen = {code}
        for site in range(min(counter.sites, max_sites)):
            mutated = _OneSite(operator.rewrite, site).visit(copy.deepcopy(tree))
            text = ast.unparse(ast.fix_missing_locations(mutated))
            if text not in seen and ast.unparse(tree) != text:
                seen.add(text)
                found.append((operator.name, text))
    return found
