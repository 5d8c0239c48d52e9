"""Scalar expressions: columns, literals, operators, CASE, casts, strings, dates, math.

The translator turns one sqlglot expression into a :class:`Code` (source + live Ibis value);
column references are resolved by the caller's ``resolve`` function, aggregates and windows by
:mod:`aggregates`, subqueries by :mod:`subqueries`.

>>> import ibis
>>> t = ibis.table({"a": "int64"}, name="t")
>>> from sqlglot import parse_one
>>> tr = ExpressionTranslator(lambda c: Code("_.a", t.a))
>>> tr.translate(parse_one("a + 1 > 2")).src
'(_.a + 1) > 2'
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import ibis
from sqlglot import exp

from ibert_inference.errors import IbertError
from ibert_inference.translate.codegen import Code, py
from ibert_inference.translate.parse import unsupported
from ibert_inference.translate.semantics import behaviour, warnings_for

_BINARY: dict[type[exp.Expression], str] = {
    exp.EQ: "==",
    exp.NEQ: "!=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Mod: "%",
    exp.And: "&",
    exp.Or: "|",
}
_ASSOCIATIVE = {"+", "*", "&", "|"}
_UNARY_METHODS: dict[type[exp.Expression], str] = {
    exp.Upper: "upper",
    exp.Lower: "lower",
    exp.Abs: "abs",
    exp.Ceil: "ceil",
    exp.Floor: "floor",
    exp.Sqrt: "sqrt",
    exp.Ln: "ln",
    exp.Exp: "exp",
    exp.Sign: "sign",
    exp.Initcap: "capitalize",
    exp.Reverse: "reverse",
}


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "&": operator.and_,
    "|": operator.or_, "^": operator.xor, "==": operator.eq, "!=": operator.ne,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def lit(value: Any) -> Code:
    """A Python literal operand (Ibis coerces it next to an Ibis value)."""
    return Code(py(value), value, literal=True)


def as_expr(code: Code) -> Code:
    """Wrap a bare Python literal as ``ibis.literal(...)`` where an Ibis value is needed."""
    if not code.literal:
        return code
    if code.val is None:
        return Code("ibis.null()", ibis.null())
    return Code(f"ibis.literal({code.src})", ibis.literal(code.val))


def method(receiver: Code, name: str, *args: Code, **kwargs: Code) -> Code:
    """``receiver.name(args)`` with the live call made on the receiver's value."""
    receiver = as_expr(receiver)
    parts = [a.src for a in args] + [f"{k}={v.src}" for k, v in kwargs.items()]
    value = getattr(receiver.val, name)(
        *[a.val for a in args], **{k: v.val for k, v in kwargs.items()}
    )
    return Code(f"{receiver.operand()}.{name}({', '.join(parts)})", value)


_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=", "+": "+", "*": "*"}


def _deferred(code: Code) -> bool:
    return "_." in code.src or "_[" in code.src


def binary(left: Code, op: str, right: Code) -> Code:
    if left.literal and right.literal:
        left = as_expr(left)
    if left.src.startswith("ibis.") and not _deferred(left) and _deferred(right):
        # An Ibis constant (ibis.today(), ibis.interval(...)) cannot take `_` on its right:
        # put the deferred side first.
        if op in _FLIPPED and not (op == "+" and is_string(left)):
            return binary(right, _FLIPPED[op], left)
        if op == "-":
            swapped = binary(right, "-", left)
            return Code(f"-({swapped.src})", -swapped.val, atomic=False)
    # a + b + c reads without parentheses: Python groups + * & | from the left, as SQL does.
    left_src = left.src if op in _ASSOCIATIVE and left.operator == op else left.operand()
    value = _OPERATORS[op](left.val, right.val)
    return Code(f"{left_src} {op} {right.operand()}", value, atomic=False, operator=op)


def function(name: str, *args: Code, **kwargs: Code) -> Code:
    """``ibis.name(args)``."""
    parts = [a.src for a in args] + [f"{k}={v.src}" for k, v in kwargs.items()]
    value = getattr(ibis, name)(*[a.val for a in args], **{k: v.val for k, v in kwargs.items()})
    return Code(f"ibis.{name}({', '.join(parts)})", value)


def sql_type_to_ibis(node: exp.DataType) -> str:
    from ibis.backends.sql.datatypes import DuckDBType

    return str(DuckDBType.to_ibis(node))


class ExpressionTranslator:
    """Translate scalar sqlglot expressions; subclass hooks handle aggregates and subqueries."""

    def __init__(
        self,
        resolve: Callable[[exp.Column], Code],
        replacements: dict[exp.Expression, Code] | None = None,
        dialect: str = "duckdb",
    ) -> None:
        self.resolve = resolve
        self.replacements = replacements or {}
        self.dialect = dialect
        self.table = Code("_", None)  # the table aggregates count rows of

    def warn(self, message: str) -> None:
        """A caveat about the translation (the scope's translator passes it to the caller)."""

    def behaviour(self, name: str) -> str | None:
        """This dialect's behaviour of SQL function ``name`` (see :mod:`.semantics`)."""
        return behaviour(name, self.dialect)

    def translate(self, node: exp.Expression) -> Code:
        try:
            return self._translate(node)
        except IbertError:
            raise
        except Exception as exc:  # Ibis refused the operation: name the SQL that asked for it
            raise unsupported(
                f"{type(node).__name__} (Ibis: {type(exc).__name__}: {exc})".replace("\n", " "),
                node,
            ) from exc

    def _translate(self, node: exp.Expression) -> Code:
        if self.replacements and node in self.replacements:
            return self.replacements[node]
        if node.args.get("negate") and isinstance(node, exp.Like | exp.ILike | exp.Between):
            positive = node.copy()
            positive.set("negate", None)
            return self.on_not(exp.Not(this=positive))
        if node.args.get("negate") and isinstance(node, exp.In):
            return self.on_in(node, negate=True)
        if node.args.get("negate") and isinstance(node, exp.Is):
            return self.on_is(node, negate=True)
        if isinstance(node, _ROW_COMPARABLE) and isinstance(node.this, exp.Tuple):
            return self.row_comparison(node)
        handler = getattr(self, f"on_{type(node).__name__.lower()}", None)
        if handler is not None:
            return handler(node)
        op = _BINARY.get(type(node))
        if op is not None:
            return binary(self.translate(node.this), op, self.translate(node.expression))
        unary = _UNARY_METHODS.get(type(node))
        if unary is not None:
            return method(self.translate(node.this), unary)
        return self.fallback(node)

    def fallback(self, node: exp.Expression) -> Code:
        raise unsupported(f"SQL construct {type(node).__name__}", node)

    # --- leaves -------------------------------------------------------------------------------
    def on_column(self, node: exp.Column) -> Code:
        return self.resolve(node)

    def on_paren(self, node: exp.Paren) -> Code:
        return self.translate(node.this)

    def on_literal(self, node: exp.Literal) -> Code:
        if node.is_string:
            return lit(node.this)
        text = node.this
        return lit(int(text) if text.lstrip("-").isdigit() else float(text))

    def on_boolean(self, node: exp.Boolean) -> Code:
        return lit(bool(node.this))

    def on_null(self, node: exp.Null) -> Code:
        return lit(None)

    # --- operators ----------------------------------------------------------------------------
    def on_div(self, node: exp.Div) -> Code:
        left, right = self.translate(node.this), self.translate(node.expression)
        # Postgres truncates int / int; dialects outside the table: sqlglot marks the node typed.
        key = self.behaviour("division")
        truncates = key == "truncate" or (key is None and bool(node.args.get("typed")))
        if truncates and is_integer(left) and is_integer(right):
            return truncating_division(left, right)
        return binary(left, "/", right)

    def on_safedivide(self, node: exp.SafeDivide) -> Code:
        left, right = self.translate(node.this), self.translate(node.expression)
        nonzero = binary(right, "!=", lit(0))
        return function("cases", _pair(nonzero, binary(left, "/", right)))

    def on_intdiv(self, node: exp.IntDiv) -> Code:
        return truncating_division(self.translate(node.this), self.translate(node.expression))

    def on_not(self, node: exp.Not) -> Code:
        inner = node.this
        if isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Is):
            return self.on_is(inner, negate=True)
        if isinstance(inner, exp.In) and not inner.args.get("query"):
            return self.on_in(inner, negate=True)
        value = as_expr(self.translate(inner))
        return Code(f"~{value.operand()}", ~value.val)

    def on_neg(self, node: exp.Neg) -> Code:
        inner = self.translate(node.this)
        if inner.literal:
            return lit(-inner.val)
        return Code(f"-{inner.operand()}", -inner.val)

    def on_is(self, node: exp.Is, negate: bool = False) -> Code:
        subject = self.translate(node.this)
        if isinstance(node.expression, exp.Boolean):
            # x IS TRUE is never NULL: NULL counts as not true.
            wanted = bool(node.expression.this)
            test = subject if wanted else Code(f"~{subject.operand()}", ~subject.val)
            result = method(test, "fill_null", lit(False))
            return Code(f"~{result.operand()}", ~result.val) if negate else result
        if not isinstance(node.expression, exp.Null):
            raise unsupported("IS with a non-NULL operand", node)
        return method(subject, "notnull" if negate else "isnull")

    def on_nullsafeeq(self, node: exp.NullSafeEQ) -> Code:
        return method(self.translate(node.this), "identical_to", self.translate(node.expression))

    def on_nullsafeneq(self, node: exp.NullSafeNEQ) -> Code:
        same = method(self.translate(node.this), "identical_to", self.translate(node.expression))
        return Code(f"~{same.operand()}", ~same.val)

    def on_eq(self, node: exp.EQ) -> Code:
        if isinstance(node.expression, exp.Any):
            return self._quantified(node.this, node.expression.this, negate=False)
        left, right = self.translate(node.this), self.translate(node.expression)
        if is_string(left) or is_string(right):
            self._warn_about("string_equality")
        return binary(left, "==", right)

    def on_neq(self, node: exp.NEQ) -> Code:
        if isinstance(node.expression, exp.All) and not _is_query(node.expression.this):
            return self._quantified(node.this, node.expression.this, negate=True)
        return binary(self.translate(node.this), "!=", self.translate(node.expression))

    def _quantified(self, subject: exp.Expression, values: exp.Expression, *, negate: bool) -> Code:
        """``x = ANY (subquery | (a, b) | ARRAY[a, b] | array)`` as membership, ``x <> ALL
        (...)`` as its negation: the same three-valued logic as IN and NOT IN."""
        while isinstance(values, exp.Paren) and not _is_query(values.this):
            values = values.this
        if _is_query(values):
            query = values.this if isinstance(values, exp.Paren) else values
            return self.translate(exp.In(this=subject.copy(), query=query.copy()))
        if isinstance(values, exp.Tuple | exp.Array):
            listed = exp.In(this=subject.copy(), expressions=[e.copy() for e in values.expressions])
            return self.on_in(listed, negate=negate)
        if negate:
            raise unsupported("<> ALL over an array", values)
        return method(self.translate(values), "contains", self.translate(subject))

    def row_comparison(self, node: exp.Expression) -> Code:
        """``(a, b) = (1, 2)`` element by element. Ordering and ``<>`` of rows are refused:
        DuckDB compares rows as structs (a NULL field is a value), the SQL standard field by
        field in three-valued logic, so no one translation is right for every engine."""
        left, right = node.this.expressions, node.expression
        if not isinstance(node, exp.EQ):
            raise unsupported(f"row comparison {node.key.upper()}", node)
        if not isinstance(right, exp.Tuple) or len(right.expressions) != len(left):
            raise unsupported("row comparison with a row of another length", node)
        pairs = [
            binary(self.translate(a), "==", self.translate(b))
            for a, b in zip(left, right.expressions, strict=True)
        ]
        result = pairs[0]
        for pair in pairs[1:]:
            result = binary(result, "&", pair)
        return result

    def on_length(self, node: exp.Length) -> Code:
        self._warn_about("length")
        return method(self.translate(node.this), "length")

    def _warn_about(self, name: str) -> None:
        message = warnings_for(name, self.dialect)
        if message is not None:
            self.warn(message)

    def on_between(self, node: exp.Between) -> Code:
        return method(
            self.translate(node.this),
            "between",
            self.translate(node.args["low"]),
            self.translate(node.args["high"]),
        )

    def on_in(self, node: exp.In, negate: bool = False) -> Code:
        if isinstance(node.this, exp.Tuple) and not node.args.get("query"):
            if negate:  # DuckDB's struct comparison differs from the standard's over NULLs
                raise unsupported("row NOT IN", node)
            rows = [
                exp.EQ(this=node.this.copy(), expression=row.copy()) for row in node.expressions
            ]
            matched = self.row_comparison(rows[0])
            for row in rows[1:]:
                matched = binary(matched, "|", self.row_comparison(row))
            return matched
        subject = self.translate(node.this)
        if node.args.get("query") is not None:
            return self.in_subquery(node, subject, negate)
        if node.args.get("unnest") or node.args.get("field"):
            raise unsupported("IN over UNNEST", node)
        items = [self.translate(e) for e in node.expressions]
        src = "[" + ", ".join(i.src for i in items) + "]"
        name = "notin" if negate else "isin"
        value = getattr(as_expr(subject).val, name)([i.val for i in items])
        return Code(f"{as_expr(subject).operand()}.{name}({src})", value)

    def in_subquery(self, node: exp.In, subject: Code, negate: bool) -> Code:
        raise unsupported("IN subquery", node)

    # --- conditionals -------------------------------------------------------------------------
    def on_coalesce(self, node: exp.Coalesce) -> Code:
        args = [self.translate(node.this)] + [self.translate(e) for e in node.expressions]
        return function("coalesce", *args)

    def on_nullif(self, node: exp.Nullif) -> Code:
        return method(self.translate(node.this), "nullif", self.translate(node.expression))

    def on_greatest(self, node: exp.Greatest) -> Code:
        args = [self.translate(node.this)] + [self.translate(e) for e in node.expressions]
        return function("greatest", *args)

    def on_least(self, node: exp.Least) -> Code:
        args = [self.translate(node.this)] + [self.translate(e) for e in node.expressions]
        return function("least", *args)

    def on_if(self, node: exp.If) -> Code:
        return function(
            "ifelse",
            self.translate(node.this),
            self.translate(node.args["true"]),
            self.translate(node.args.get("false") or exp.Null()),
        )

    def on_case(self, node: exp.Case) -> Code:
        branches = []
        for branch in node.args.get("ifs") or []:
            cond, then = self.translate(branch.this), self.translate(branch.args["true"])
            branches.append((cond, then))
        default = node.args.get("default")
        else_ = self.translate(default) if default is not None else None
        parts = [f"({c.src}, {t.src})" for c, t in branches]
        values = [(c.val, t.val) for c, t in branches]
        kwargs = {}
        if else_ is not None and else_.val is not None:
            parts.append(f"else_={else_.src}")
            kwargs["else_"] = else_.val
        subject = node.this
        if subject is not None:
            receiver = as_expr(self.translate(subject))
            value = receiver.val.cases(*values, **kwargs)
            return Code(f"{receiver.operand()}.cases({', '.join(parts)})", value)
        value = ibis.cases(*values, **kwargs)
        return Code(f"ibis.cases({', '.join(parts)})", value)

    # --- casts and literals of other types ----------------------------------------------------
    def on_cast(self, node: exp.Cast) -> Code:
        target = node.to
        inner = node.this
        if isinstance(target.this, exp.Interval) or target.this == exp.DataType.Type.INTERVAL:
            # DuckDB reads CAST('1' AS INTERVAL MONTH) (and INTERVAL MONTH '1') as one second
            raise unsupported(
                "a cast to INTERVAL",
                node,
                "engines read its text differently; write INTERVAL '1' MONTH",
            )
        if isinstance(inner, exp.Literal) and inner.is_string:
            if target.this == exp.DataType.Type.DATE:
                return Code(f"ibis.date({py(inner.this)})", ibis.date(inner.this))
            if target.this in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATETIME):
                return Code(f"ibis.timestamp({py(inner.this)})", ibis.timestamp(inner.this))
        dtype = sql_type_to_ibis(target)
        return method(self.translate(inner), "cast", lit(dtype))

    def on_trycast(self, node: exp.TryCast) -> Code:
        dtype = sql_type_to_ibis(node.to)
        return method(self.translate(node.this), "try_cast", lit(dtype))

    # --- math ---------------------------------------------------------------------------------
    def on_round(self, node: exp.Round) -> Code:
        digits = node.args.get("decimals")
        if digits is None:
            return method(self.translate(node.this), "round")
        return method(self.translate(node.this), "round", self.translate(digits))

    def on_pow(self, node: exp.Pow) -> Code:
        return binary(self.translate(node.this), "**", self.translate(node.expression))

    def on_log(self, node: exp.Log) -> Code:
        if node.expression is None:
            return method(self.translate(node.this), "log10")
        return method(self.translate(node.expression), "log", self.translate(node.this))


_ROW_COMPARABLE = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _is_query(node: exp.Expression) -> bool:
    inner = node.this if isinstance(node, exp.Paren) else node
    return isinstance(inner, exp.Subquery | exp.Select | exp.SetOperation)


def truncating_division(left: Code, right: Code) -> Code:
    """SQL integer division truncates toward zero (-7 // 2 = -3); Ibis's // floors (-4).

    ``a - a % b`` is an exact multiple of ``b`` (SQL's % keeps the dividend's sign), so flooring
    it is exact; with a non-negative literal dividend plain ``//`` already agrees.
    """
    if left.literal and left.val >= 0 and right.literal and right.val > 0:
        return binary(left, "//", right)
    multiple = binary(left, "-", binary(left, "%", right))
    return binary(multiple, "//", right)


def _pair(condition: Code, value: Code) -> Code:
    return Code(f"({condition.src}, {value.src})", (condition.val, value.val))


def is_string(code: Code) -> bool:
    return not code.literal and hasattr(code.val, "type") and code.val.type().is_string()


def is_date(code: Code) -> bool:
    return not code.literal and hasattr(code.val, "type") and code.val.type().is_date()


def is_integer(code: Code) -> bool:
    if code.literal:
        return isinstance(code.val, int) and not isinstance(code.val, bool)
    try:
        return code.val.type().is_integer()
    except AttributeError:
        return False
