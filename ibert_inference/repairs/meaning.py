"""Whether a fix kept the meaning of the code: only what the error calls for may change.

A fix may rename what does not exist, close a bracket, spell ``and`` as ``&`` or a sort's
``ascending=False`` as ``ibis.desc``; it may not sort the other way, join on other keys or
filter on other conditions. The meaning compared is read from the code alone (never run): the
sort keys with their directions, the join keys, and the filter conditions with their operators
and literals. A name that is not a column of the schema is what the error is about: on that side
it matches any name.

>>> meaning_changes('t.sort_by("amount", ascending=False)', 't.order_by(ibis.desc("amount"))')
[]
>>> meaning_changes('t.sort_by("amount", ascending=False)', 't.order_by("amount")')
['it sorts by amount ascending where the code sorts by amount descending']
>>> schema = {"t": {"amount": "int64"}}
>>> meaning_changes("t.filter(_.amout > 10)", "t.filter(_.amount > 100)", schema)
['it filters on amount > 100 where the code filters on amout > 10']
"""

from __future__ import annotations

import ast
import difflib
import itertools
from dataclasses import dataclass

from ibert_inference.repairs.edits import parse_or_none
from ibert_inference.schema.tables import Schema

ANY = "*"
"""A name the schema does not have: the error is about it, so a fix may replace it."""

_SORTS = frozenset({"order_by", "sort_by", "sort_values", "sort", "orderby", "sortby"})
_FILTERS = frozenset({"filter", "having", "where"})
_PREDICATE_METHODS = frozenset({
    "isin", "notin", "between", "like", "ilike", "contains", "startswith", "endswith",
    "isnull", "notnull", "re_search", "isnan",
})  # fmt: skip
_OPERATORS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
              ast.GtE: ">=", ast.In: "in", ast.NotIn: "not in", ast.Is: "is",
              ast.IsNot: "is not"}  # fmt: skip
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class Meaning:
    """What a repair must keep: sort keys (column, descending), join keys, filter conditions.

    Columns are written as the code qualifies them (``orders.id``, or ``id`` for ``_.id``).
    """

    sorts: tuple[tuple[str, bool], ...]
    joins: tuple[tuple[str, str], ...]
    conditions: tuple[tuple[str, str, str], ...]


def meaning_of(code: str) -> Meaning | None:
    """The meaning of ``code``; None when it does not parse."""
    tree = parse_or_none(code)
    if tree is None:
        return None
    sorts: list[tuple[str, bool]] = []
    joins: list[tuple[str, str]] = []
    conditions: list[tuple[str, str, str]] = []
    for node in _in_source_order(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        kind = _kind(node.func.attr)
        if kind == "sort":
            sorts += _sort_keys(node)
        elif kind == "join":
            joins += _join_keys(node)
        elif kind == "filter":
            for argument in [*node.args, *(k.value for k in node.keywords)]:
                conditions += _conditions(argument)
    return Meaning(tuple(sorts), tuple(joins), tuple(sorted(conditions)))


def meaning_changes(before: str, after: str, schema: Schema | None = None) -> list[str]:
    """How ``after`` changes what ``before`` means; [] when it keeps it (or one does not parse).

    A column of ``before`` that ``schema`` does not have (in the table the code names, or in
    any table for ``_.x``) may change. Without a schema every name may change and only
    directions, operators and literals count.
    """
    old, new = meaning_of(before), meaning_of(after)
    if old is None or new is None:
        return []
    every_column = {column for columns in (schema or {}).values() for column in columns}

    def loose(ref: str) -> str:
        table, _, column = ref.rpartition(".")
        if schema is None:
            return ANY
        if table in schema:
            return column if column in schema[table] else ANY
        return column if column in every_column else ANY

    changes = []
    old_sorts = [(loose(name), descending) for name, descending in old.sorts]
    if not _same_sequence(old_sorts, [(_bare(n), d) for n, d in new.sorts]):
        changes.append(
            f"it sorts by {_sort_text(new.sorts)} where the code sorts by {_sort_text(old.sorts)}"
        )
    old_joins = [(loose(left), loose(right)) for left, right in old.joins]
    if not _same_multiset(old_joins, [(_bare(a), _bare(b)) for a, b in new.joins]):
        changes.append(
            f"it joins on {_join_text(new.joins)} where the code joins on {_join_text(old.joins)}"
        )
    old_conditions = [(loose(column), op, value) for column, op, value in old.conditions]
    new_conditions = [(_bare(column), op, value) for column, op, value in new.conditions]
    if not _same_multiset(old_conditions, new_conditions):
        changes.append(
            f"it filters on {_condition_text(new.conditions)} where the code filters on "
            f"{_condition_text(old.conditions)}"
        )
    return changes


def _kind(method: str) -> str | None:
    """What a method call does to the rows, read also from a misspelling (``filte``, ``odrer_by``):
    the code means what it tried to call."""
    name = method.lower()
    if name.endswith("join"):
        return None if name == "cross_join" else "join"
    kinds = {**dict.fromkeys(_SORTS, "sort"), **dict.fromkeys(_FILTERS, "filter")}
    if name in kinds:
        return kinds[name]
    close = difflib.get_close_matches(name, [*kinds, "join"], n=1, cutoff=0.8)
    return (kinds.get(close[0]) or "join") if close else None


def _bare(ref: str) -> str:
    return ref.rpartition(".")[2]


def _in_source_order(tree: ast.AST) -> list[ast.AST]:
    """Nodes sorted by position; a chain's inner (earlier) calls come first."""
    nodes = [node for node in ast.walk(tree) if hasattr(node, "lineno")]
    return sorted(
        nodes, key=lambda n: (getattr(n, "end_lineno", 0) or 0, getattr(n, "end_col_offset", 0))
    )


def _sort_keys(call: ast.Call) -> list[tuple[str, bool]]:
    keys: list[ast.expr] = []
    for argument in [*call.args, *(k.value for k in call.keywords if k.arg == "by")]:
        keys += argument.elts if isinstance(argument, ast.List | ast.Tuple) else [argument]
    ascending = next((k.value for k in call.keywords if k.arg == "ascending"), None)
    flags: list[bool | None] = [None] * len(keys)
    if isinstance(ascending, ast.Constant) and isinstance(ascending.value, bool):
        flags = [not ascending.value] * len(keys)
    elif isinstance(ascending, ast.List | ast.Tuple):
        values = [e.value if isinstance(e, ast.Constant) else True for e in ascending.elts]
        flags = [*(not bool(v) for v in values), *flags[len(values) :]]
    sorted_keys = []
    for key, flag in zip(keys, flags, strict=True):
        name, descending = _sort_key(key)
        sorted_keys.append((name, descending if flag is None else flag))
    return sorted_keys


def _sort_key(node: ast.AST) -> tuple[str, bool]:
    """``"x"``, ``_.x``, ``ibis.desc("x")``, ``_.x.desc()``: the column and whether descending."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"desc", "asc"}
    ):
        inner = node.args[0] if node.args else node.func.value
        return _reference(inner) or ANY, node.func.attr == "desc"
    return _reference(node) or ANY, False


def _join_keys(call: ast.Call) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for argument in [*call.args[1:], *(k.value for k in call.keywords if k.arg == "predicates")]:
        items = argument.elts if isinstance(argument, ast.List | ast.Tuple) else [argument]
        for item in items:
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                keys.append((item.value, item.value))
            for node in ast.walk(item):
                if isinstance(node, ast.Compare) and len(node.ops) == 1:
                    left, right = _reference(node.left), _reference(node.comparators[0])
                    if left and right:
                        keys.append((left, right))
    return keys


def _conditions(node: ast.AST) -> list[tuple[str, str, str]]:
    found: list[tuple[str, str, str]] = []
    for inner in ast.walk(node):
        if isinstance(inner, ast.Compare):
            operands = [inner.left, *inner.comparators]
            for (left, right), op in zip(itertools.pairwise(operands), inner.ops, strict=True):
                operator = _OPERATORS.get(type(op), type(op).__name__)
                if column_name(left) is None and column_name(right) is not None:
                    left, right, operator = right, left, _FLIPPED.get(operator, operator)
                found.append((_reference(left) or ANY, operator, _value(right)))
        elif (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr in _PREDICATE_METHODS
        ):
            arguments = ", ".join(_value(a) for a in inner.args)
            found.append((_reference(inner.func.value) or ANY, inner.func.attr, arguments))
    return found


def column_name(node: ast.AST | None) -> str | None:
    """``_.x``, ``t.x``, ``t["x"]`` or ``"x"``: the column's name; else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _reference(node: ast.AST | None) -> str | None:
    """A column as the code qualifies it: ``orders.id`` for ``orders.id``, ``id`` for ``_.id``."""
    name = column_name(node)
    if name is None or not isinstance(node, ast.Attribute | ast.Subscript):
        return name
    table = node.value
    if isinstance(table, ast.Name) and table.id != "_":
        return f"{table.id}.{name}"
    return name


def _value(node: ast.AST) -> str:
    """A literal as a comparable text (``'30'`` and ``30`` are one number); else its source."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            return repr(float(node.value))
        except ValueError:
            return repr(node.value)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return repr(float(node.value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _value(node.operand)
        return repr(-float(inner)) if inner.replace(".", "", 1).isdigit() else f"-{inner}"
    name = column_name(node)
    if name is not None and not isinstance(node, ast.Constant):
        return f"column {name}"
    return ast.unparse(node)


def _matches(old: tuple[str, ...], new: tuple[str, ...]) -> bool:
    return len(old) == len(new) and all(o in (n, ANY) for o, n in zip(old, new, strict=True))


def _same_sequence(old: list, new: list) -> bool:
    return len(old) == len(new) and all(
        _matches(tuple(map(str, o)), tuple(map(str, n))) for o, n in zip(old, new, strict=True)
    )


def _same_multiset(old: list, new: list) -> bool:
    """Every item of ``old`` pairs with one of ``new``; exact names first, then any-name ones."""
    if len(old) != len(new):
        return False
    remaining = list(new)
    for item in sorted(old, key=lambda i: ANY in i):  # exact items claim their partner first
        partner = next((n for n in remaining if _matches(item, n)), None)
        if partner is None:
            return False
        remaining.remove(partner)
    return True


def _sort_text(sorts: tuple[tuple[str, bool], ...]) -> str:
    words = [f"{_bare(n)} {'descending' if d else 'ascending'}" for n, d in sorts]
    return ", ".join(words) or "nothing"


def _join_text(joins: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(left if left == right else f"{left} == {right}" for left, right in joins)


def _condition_text(conditions: tuple[tuple[str, str, str], ...]) -> str:
    texts = []
    for reference, op, value in conditions:
        column = _bare(reference)
        shown = value.removeprefix("column ")
        if shown.endswith(".0") and shown[:-2].lstrip("-").isdigit():
            shown = shown[:-2]
        texts.append(f"{column}.{op}({shown})" if op.isidentifier() else f"{column} {op} {shown}")
    return " and ".join(texts) or "nothing"
