"""How large an Ibis expression is as a tree, counted in time linear in its distinct nodes.

Ibis builds an expression as a graph: ``x = x + x`` thirty times is 31 distinct nodes but a tree
of two billion, and Ibis itself walks the tree (dereferencing in ``select``, compiling, resolving
a deferred ``_``). So sizes are counted the tree's way, each distinct node once with a memo,
and code is refused as soon as a value it builds is over
:attr:`~ibert_inference.sandbox.SandboxSettings.max_expression_nodes`: in milliseconds, before
Ibis's own walk. A relation counts once wherever it is referred to: it becomes one subquery or
CTE, not a copy per column.

>>> import ibis
>>> t = ibis.table({"a": "int64"}, name="t")
>>> x = t.a
>>> for _ in range(30):
...     x = x + x
>>> tree_size(x, limit=10**12) > 2**30
True
>>> check_expression_size(x)
Traceback (most recent call last):
...
ibert_inference.errors.InputTooLargeError: the expression has more than 50,000 nodes as a tree (max_expression_nodes): build it from smaller parts
"""  # noqa: E501

from __future__ import annotations

from typing import Any

from ibert_inference.errors import InputTooLargeError
from ibert_inference.sandbox.pool import current_settings


def check_expression_size(value: Any, memo: dict[int, tuple[Any, int]] | None = None) -> None:
    """Refuse an Ibis expression or deferred value larger than ``max_expression_nodes``."""
    limit = current_settings().max_expression_nodes
    if tree_size(value, limit=limit, memo=memo) > limit:
        raise InputTooLargeError(
            f"the expression has more than {limit:,} nodes as a tree (max_expression_nodes): "
            "build it from smaller parts"
        )


def tree_size(value: Any, *, limit: int, memo: dict[int, tuple[Any, int]] | None = None) -> int:
    """The tree size of ``value`` (an Ibis expression, a deferred, an operation node), counting
    stops a little past ``limit``. ``memo`` (id -> (node, size); holding the node keeps its id
    unique) may be shared across calls."""
    root = _root(value)
    if root is None:
        return 0
    memo = {} if memo is None else memo
    total, relations, seen = 0, [root], {id(root)}
    while relations:
        node = relations.pop()
        size, found = _size_within(node, memo, limit)
        total += size
        if total > limit:
            return total
        for relation in found:
            if id(relation) not in seen:
                seen.add(id(relation))
                relations.append(relation)
    return total


def _root(value: Any) -> Any:
    import ibis.expr.types as ir
    from ibis.common.deferred import Deferred

    if isinstance(value, ir.Expr):
        return value.op()
    if isinstance(value, Deferred):
        return value._resolver
    if _children(value) is not None:
        return value
    return None


def _children(node: Any) -> list[Any] | None:
    """The child nodes of an operation node or a deferred resolver; None for anything else."""
    from ibis.common.deferred import Deferred, Resolver
    from ibis.common.graph import Node

    if isinstance(node, Node):
        return list(node.__children__)
    if isinstance(node, Resolver):
        found: list[Any] = []
        for slot in getattr(type(node), "__slots__", ()):
            _collect(getattr(node, slot, None), found, Resolver, Deferred)
        return found
    return None


def _collect(value: Any, found: list[Any], resolver: Any, deferred: Any) -> None:
    if isinstance(value, resolver):
        found.append(value)
    elif isinstance(value, deferred):
        found.append(value._resolver)
    elif isinstance(value, tuple | list):
        for item in value:
            _collect(item, found, resolver, deferred)
    elif isinstance(value, dict) or (hasattr(value, "values") and hasattr(value, "keys")):
        for item in value.values():
            _collect(item, found, resolver, deferred)


def _size_within(node: Any, memo: dict[int, tuple[Any, int]], limit: int) -> tuple[int, list[Any]]:
    """Tree size of ``node`` down to the relations below it (counted 1 each), and those."""
    import ibis.expr.operations as ops

    relations: list[Any] = []
    stack = [node]
    while stack:
        current = stack[-1]
        if id(current) in memo:
            stack.pop()
            continue
        children = _children(current) or []
        below = [c for c in children if not (c is not node and isinstance(c, ops.Relation))]
        relations += [c for c in children if c is not node and isinstance(c, ops.Relation)]
        missing = [c for c in below if id(c) not in memo and c is not current]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        size = 1 + sum(memo[id(c)][1] for c in below if c is not current)
        memo[id(current)] = (current, min(size, limit + 1))
    return memo[id(node)][1], relations
