"""The run-time guards the safe evaluator rewrites Ibis code into.

The static checks of :mod:`ibert_inference.safe_eval.evaluator` bound literals, but names defeat
them (``x = 'a' * 1000; x * 1000``), and what an attribute or call gives is only known when it runs.
:class:`_Guard` rewrites attribute loads, calls, subscripts, operators and f-string values into
calls to the guards here, which bound sizes and pass every value through the object-level
allow-list (:mod:`ibert_inference.safe_eval.allowed_values`).
"""

from __future__ import annotations

import ast
import operator
import re
from functools import lru_cache
from typing import Any

from ibert_inference.safe_eval.allowed_values import (
    check_call,
    check_value,
    checked_deferred_call,
    checked_deferred_item,
)

# a width or precision of four digits or more builds a string that large
WIDE_FORMAT = re.compile(r"\d{4,}")
# a `*` width takes the width from the arguments: "%*d" % (2000000000, 1)
_STAR_FORMAT = re.compile(r"%[-#0 +]*(\*|\d*\.\*)")


MAX_BUILT_ITEMS = 100_000
MAX_INT_BITS = 4_096
GUARD_BINOP = "__ibert_binop__"
GUARD_ATTR = "__ibert_attr__"
GUARD_TEXT = "__ibert_text__"
GUARD_CALL = "__ibert_call__"
GUARD_ITEM = "__ibert_item__"
GUARD_SLICE = "__ibert_slice__"
_GUARDED_OPS = {
    ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%", ast.Add: "+", ast.Sub: "-",
    ast.Div: "/", ast.FloorDiv: "//", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
    ast.RShift: ">>", ast.MatMult: "@",
}  # fmt: skip
_PLAIN_OPS = {
    "-": operator.sub, "/": operator.truediv, "//": operator.floordiv, "&": operator.and_,
    "|": operator.or_, "^": operator.xor, ">>": operator.rshift, "@": operator.matmul,
}  # fmt: skip


class Guard(ast.NodeTransformer):
    """Route size-amplifying operators and attribute loads through run-time checks.

    The static checks bound literals, but names defeat them (``x = 'a' * 1000; x * 1000``);
    these calls bound what the values really are. Depth is bounded by the checker, so recursion
    is safe here.
    """

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        symbol = _GUARDED_OPS.get(type(node.op))
        if symbol is None:
            return node
        return _guarded(GUARD_BINOP, [ast.Constant(symbol), node.left, node.right], node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        """An annotation is never evaluated: ``x: T = v`` runs as ``x = v``."""
        if node.value is None:
            return ast.copy_location(ast.Pass(), node)
        assign = ast.Assign(targets=[node.target], value=node.value)
        return self.visit(ast.copy_location(assign, node))

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        if type(node.op) not in _GUARDED_OPS or not isinstance(node.target, ast.Name):
            return node
        value = self.visit_BinOp(
            ast.copy_location(
                ast.BinOp(ast.Name(node.target.id, ast.Load()), node.op, node.value), node
            )
        )
        return ast.copy_location(ast.Assign(targets=[node.target], value=value), node)

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        self.generic_visit(node)
        node.value = _guarded(GUARD_TEXT, [node.value], node.value)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load):
            return node
        return _guarded(GUARD_ATTR, [node.value, ast.Constant(node.attr)], node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        return _guarded(GUARD_CALL, [node.func, *node.args], node, node.keywords)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load):
            return node
        return _guarded(GUARD_ITEM, [node.value, _slice_as_value(node.slice)], node)


def _guarded(
    guard: str, args: list[ast.expr], at: ast.AST, keywords: list[ast.keyword] | None = None
) -> ast.Call:
    """A call of the run-time check named ``guard`` with ``args``, placed where ``at`` stands."""
    call = ast.Call(func=ast.Name(guard, ast.Load()), args=args, keywords=keywords or [])
    return ast.copy_location(call, at)


def _slice_as_value(node: ast.expr) -> ast.expr:
    """``a:b`` is only syntax inside brackets; as an argument it is ``slice(a, b)``."""
    if isinstance(node, ast.Slice):
        bounds = [node.lower, node.upper, node.step]
        return _guarded(GUARD_SLICE, [bound or ast.Constant(None) for bound in bounds], node)
    if isinstance(node, ast.Tuple):
        return ast.copy_location(
            ast.Tuple(elts=[_slice_as_value(elt) for elt in node.elts], ctx=ast.Load()), node
        )
    return node


def _too_big(message: str) -> MemoryError:
    return MemoryError(f"{message}; the evaluator bounds values to keep the process safe")


def guarded_binop(symbol: str, left: Any, right: Any) -> Any:
    return check_value(_bounded_binop(symbol, left, right), f"the operator {symbol}")


def guarded_call(func: Any, /, *args: Any, **kwargs: Any) -> Any:
    if isinstance(func, _deferred_class()):
        return checked_deferred_call(func, args, kwargs)
    check_call(func, args, kwargs)
    return check_value(func(*args, **kwargs), f"calling {_call_name(func)}")


def guarded_item(value: Any, index: Any) -> Any:
    if isinstance(value, _deferred_class()):
        return checked_deferred_item(value, index)
    return check_value(value[index], "a subscript")


@lru_cache(maxsize=1)
def _deferred_class() -> type:
    from ibis.common.deferred import Deferred

    return Deferred


def _call_name(func: Any) -> str:
    return str(getattr(func, "__name__", None) or type(func).__name__)


def _bounded_binop(symbol: str, left: Any, right: Any) -> Any:
    if symbol in _PLAIN_OPS:
        return _PLAIN_OPS[symbol](left, right)
    if symbol == "+":
        sized = isinstance(left, str | bytes | list | tuple) and isinstance(right, type(left))
        if sized and len(left) + len(right) > MAX_BUILT_ITEMS:
            raise _too_big("the concatenation is too long")
        return left + right
    ints = isinstance(left, int) and isinstance(right, int)
    if symbol == "*":
        for seq, count in ((left, right), (right, left)):
            sized = isinstance(seq, str | bytes | list | tuple) and isinstance(count, int)
            if sized and len(seq) * max(count, 0) > MAX_BUILT_ITEMS:
                raise _too_big(f"repeating a sequence {count:,} times is too big")
        if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise _too_big("the product is too large")
        return left * right
    if symbol == "**":
        if ints and right > 0 and left.bit_length() * right > MAX_INT_BITS:
            raise _too_big("the power is too large")
        return left**right
    if symbol == "<<":
        if ints and left.bit_length() + right > MAX_INT_BITS:
            raise _too_big("the shift is too large")
        return left << right
    if isinstance(left, str | bytes) and WIDE_FORMAT.search(str(left)):
        raise _too_big("%-formatting with a width of 1000 or more")
    if isinstance(left, str | bytes) and _STAR_FORMAT.search(str(left)):
        raise _too_big("%-formatting with a width taken from the arguments (%*d)")
    bounded_text(right)
    return left % right


def bounded_text(value: Any) -> Any:
    """Refuse to turn a deeply shared structure (``[[a] * 1000] * 1000``) into text."""
    items, stack = 0, [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str | bytes):
            items += len(current) // 16
        elif isinstance(current, list | tuple | set | frozenset | dict):
            items += len(current)
            stack.extend(current.values() if isinstance(current, dict) else current)
        if items > MAX_BUILT_ITEMS:
            raise _too_big("the value is too large to turn into text")
    return value


def bounded_zip(*iterables: Any) -> Any:
    """zip(*rows) of a shared structure would build rows x columns tuples at once."""
    sizes = [len(item) if hasattr(item, "__len__") else MAX_BUILT_ITEMS for item in iterables]
    if sizes and min(sizes) * len(sizes) > MAX_BUILT_ITEMS:
        raise _too_big("zipping that many items is too large")
    return zip(*iterables, strict=False)


def bounded_str(*args: Any, **kwargs: Any) -> str:
    if args:
        bounded_text(args[0])
    return str(*args, **kwargs)


def bounded_join(text: str | bytes) -> Any:
    def join(items: Any) -> Any:
        items = list(items)[: MAX_BUILT_ITEMS + 1]
        size = sum(len(item) for item in items if isinstance(item, str | bytes))
        if len(items) > MAX_BUILT_ITEMS or size + len(text) * len(items) > MAX_BUILT_ITEMS:
            raise _too_big("the joined string is too long")
        return text.join(items)

    return join


def bounded_extend(items: list[Any]) -> Any:
    """``x.extend(x)`` doubles a list in place: thirty times is a billion items."""

    def extend(more: Any) -> None:
        more = list(more)[: MAX_BUILT_ITEMS + 1]
        if len(items) + len(more) > MAX_BUILT_ITEMS:
            raise _too_big("the extended list is too long")
        items.extend(more)

    return extend


def bounded_replace(text: str | bytes) -> Any:
    def replace(old: Any, new: Any, count: int = -1) -> Any:
        if len(new) > len(old) and text.count(old) * (len(new) - len(old)) > MAX_BUILT_ITEMS:
            raise _too_big("the replaced string is too long")
        return text.replace(old, new, count)

    return replace
