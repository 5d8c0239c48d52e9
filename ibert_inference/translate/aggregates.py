"""Aggregates, GROUP BY / HAVING, and window functions.

Aggregate calls become Ibis reductions on the table being aggregated (``_.count()``,
``_.price.sum(where=...)``); ``GROUP BY`` becomes ``.group_by(...).agg(...)``, ``HAVING`` a
``.filter`` on the aggregated table, and ``OVER (...)`` an ``.over(group_by=, order_by=, rows=)``.

>>> from ibert_inference.translate import sql_to_ibis
>>> sql = "SELECT a, COUNT(*) AS n FROM t GROUP BY a"
>>> print(sql_to_ibis(sql, {"t": {"a": "int64"}}).code, end="")
result = t.group_by("a").agg(n=_.count())
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
from sqlglot import exp

from ibert_inference.translate.codegen import Code, column_ref, is_identifier, py
from ibert_inference.translate.core import unique_name
from ibert_inference.translate.expressions import (
    ExpressionTranslator,
    binary,
    function,
    lit,
    method,
)
from ibert_inference.translate.parse import readable_name, unsupported

_SIMPLE_AGGREGATES: dict[type[exp.Expression], tuple[str, dict[str, str]]] = {
    exp.Sum: ("sum", {}),
    exp.Min: ("min", {}),
    exp.Max: ("max", {}),
    exp.Stddev: ("std", {}),
    exp.StddevSamp: ("std", {}),
    exp.StddevPop: ("std", {"how": "pop"}),
    exp.Variance: ("var", {}),
    exp.VariancePop: ("var", {"how": "pop"}),
    exp.Median: ("median", {}),
    exp.ArrayAgg: ("collect", {}),
    exp.AnyValue: ("arbitrary", {}),
    exp.ApproxDistinct: ("approx_nunique", {}),
    exp.LogicalAnd: ("all", {}),
    exp.LogicalOr: ("any", {}),
    exp.First: ("first", {}),
    exp.Last: ("last", {}),
}
_RANKING = {
    exp.RowNumber: "row_number",
    exp.Rank: "rank",
    exp.DenseRank: "dense_rank",
}


def find_aggregates(node: exp.Expression, into_windows: bool = False) -> list[exp.Expression]:
    """Outermost aggregate calls (with their FILTER), outside subqueries (and windows).

    ``into_windows`` finds the aggregates a window function runs over: ``SUM(x)`` in
    ``SUM(SUM(x)) OVER ()``.
    """
    found: list[exp.Expression] = []

    def visit(n: exp.Expression) -> None:
        if isinstance(n, exp.Window) and into_windows:
            call: exp.Expression = n.this
            for child in call.iter_expressions() if isinstance(call, exp.AggFunc) else [call]:
                visit(child)
            for key in n.args.get("partition_by") or []:
                visit(key)
            if n.args.get("order") is not None:
                for ordered in n.args["order"].expressions:
                    visit(ordered.this)
            return
        if isinstance(n, exp.Window | exp.Subquery | exp.Select):
            return
        if isinstance(n, exp.Filter) and isinstance(n.this, exp.AggFunc):
            found.append(n)
            return
        if isinstance(n, exp.AggFunc):
            found.append(n)
            return
        for child in n.iter_expressions():
            visit(child)

    visit(node)
    return found


def has_window(node: exp.Expression) -> bool:
    return any(True for _ in node.find_all(exp.Window))


class AggregateMixin(ExpressionTranslator):
    """Aggregate and window handlers for :class:`ExpressionTranslator`.

    ``self.table`` is the :class:`Code` of the table being aggregated (``_`` and its value).
    """

    table: Code

    def on_filter(self, node: exp.Filter) -> Code:
        where = node.expression.this if isinstance(node.expression, exp.Where) else node.expression
        return self.aggregate(node.this, self.translate(where))

    def on_count(self, node: exp.Count) -> Code:
        return self.aggregate(node)

    def on_avg(self, node: exp.Avg) -> Code:
        return self.aggregate(node)

    def on_countif(self, node: exp.CountIf) -> Code:
        condition = self.translate(node.this)
        if self.behaviour("count_if") == "null_when_undecided":
            # DuckDB sums the condition: NULL when no row decides it (see .semantics).
            return method(method(condition, "cast", lit("int64")), "sum")
        return method(self.table, "count", where=condition)

    def on_groupconcat(self, node: exp.GroupConcat) -> Code:
        sep = self.translate(node.args.get("separator") or exp.Literal.string(","))
        subject = node.this
        kwargs = {}
        if isinstance(subject, exp.Order):
            keys = [self.order_key(o) for o in subject.expressions]
            kwargs["order_by"] = _list(keys)
            subject = subject.this
        return method(self.translate(subject), "group_concat", sep, **kwargs)

    def fallback(self, node: exp.Expression) -> Code:
        if type(node) in _SIMPLE_AGGREGATES or isinstance(node, exp.ArrayUniqueAgg):
            return self.aggregate(node)
        if isinstance(node, exp.Window):
            return self.window(node)
        if isinstance(node, exp.PercentileCont | exp.WithinGroup):
            return self.aggregate(node)
        if type(node) in _RANKING:
            raise unsupported(f"{type(node).__name__} outside a window", node)
        return super().fallback(node)

    def aggregate(self, node: exp.Expression, where: Code | None = None) -> Code:
        kwargs = {"where": where} if where is not None else {}
        if isinstance(node, exp.Count):
            arg = node.this
            if isinstance(arg, exp.Star) or arg is None:
                return method(self.table, "count", **kwargs)
            if isinstance(arg, exp.Distinct):
                if len(arg.expressions) != 1:
                    raise unsupported("COUNT(DISTINCT over several columns)", node)
                return method(self.translate(arg.expressions[0]), "nunique", **kwargs)
            return method(self.translate(arg), "count", **kwargs)
        if isinstance(node, exp.Avg | exp.Sum) and isinstance(node.this, exp.Distinct):
            return self.distinct_aggregate(node, where)
        if isinstance(node, exp.ArrayUniqueAgg):
            # Snowflake: the distinct non-NULL values, in no promised order (as Ibis's)
            return method(self.translate(node.this), "collect", distinct=lit(True), **kwargs)
        if isinstance(node, exp.Avg):
            subject = self.translate(node.this)
            if not subject.literal and subject.val.type().is_decimal():
                return self.decimal_average(subject, kwargs)
            return method(subject, "mean", **kwargs)
        if isinstance(node, exp.WithinGroup) and isinstance(node.this, exp.PercentileCont):
            # PERCENTILE_CONT(q) WITHIN GROUP (ORDER BY x) is QUANTILE_CONT(x, q).
            keys = node.expression.expressions
            if len(keys) != 1 or keys[0].args.get("desc"):
                raise unsupported("PERCENTILE_CONT over several or descending keys", node)
            rewritten = exp.PercentileCont(this=keys[0].this.copy(), expression=node.this.this)
            return self.aggregate(rewritten, where)
        if isinstance(node, exp.PercentileCont):
            subject = self.translate(node.this)
            if not subject.literal and subject.val.type().is_decimal():
                subject = method(subject, "cast", lit("float64"))
            return method(subject, "quantile", self.translate(node.expression), **kwargs)
        if type(node) not in _SIMPLE_AGGREGATES:
            raise unsupported(f"aggregate {type(node).__name__}", node)
        name, fixed = _SIMPLE_AGGREGATES[type(node)]
        if isinstance(node, exp.Stddev | exp.Variance) and type(node) in (exp.Stddev, exp.Variance):
            # Plain STDDEV / VARIANCE: sample or population depending on the dialect.
            kind = "stddev" if isinstance(node, exp.Stddev) else "variance"
            fixed = {"how": "pop"} if self.behaviour(kind) == "population" else {}
        if isinstance(node.this, exp.Distinct):
            if name not in ("min", "max") or len(node.this.expressions) != 1:
                raise unsupported(f"{name.upper()}(DISTINCT ...)", node)
            node = node.copy()
            node.set("this", node.this.expressions[0])  # MIN/MAX of distinct values: the same
        fixed_args = {k: lit(v) for k, v in fixed.items()}
        return method(self.translate(node.this), name, **fixed_args, **kwargs)

    def decimal_average(self, subject: Code, kwargs: dict[str, Code]) -> Code:
        """AVG over a DECIMAL as DuckDB computes it: its own AVG, typed as the DOUBLE it returns.

        ``mean().cast("float64")`` compiles to ``CAST(AVG(x) AS DOUBLE)``, a no-op on DuckDB, so
        the value is DuckDB's to the last bit whichever way DuckDB divides (it rounds once in a
        grouped or filtered aggregate, twice in a plain one). Ibis's bare ``mean`` would be typed
        with the decimal scale (72333.3 for 72333.333...); casting the values before averaging
        rounds every addition instead.
        """
        return method(method(subject, "mean", **kwargs), "cast", lit("float64"))

    def distinct_aggregate(self, node: exp.Sum | exp.Avg, where: Code | None) -> Code:
        """SUM/AVG(DISTINCT x): Ibis reductions have no ``distinct``; the distinct non-NULL values
        collected into an array and summed (averaged) are the same number, NULL for none."""
        values = node.this.expressions
        if len(values) != 1:
            raise unsupported(f"{node.key.upper()}(DISTINCT over several columns)", node)
        subject = self.translate(values[0])
        if isinstance(node, exp.Avg) and not subject.literal and subject.val.type().is_decimal():
            subject = method(subject, "cast", lit("float64"))
        kwargs = {"where": where} if where is not None else {}
        collected = method(subject, "collect", distinct=lit(True), **kwargs)
        return method(collected, "sums" if isinstance(node, exp.Sum) else "means")

    # --- windows ------------------------------------------------------------------------------
    def window(self, node: exp.Window) -> Code:
        func = node.this
        kwargs: dict[str, Code] = {}
        node = _resolve_named_window(node)
        partition = [self.translate(p) for p in node.args.get("partition_by") or []]
        if partition:
            kwargs["group_by"] = _list(partition)
        order = node.args.get("order")
        keys = [self.order_key(o) for o in order.expressions] if order else []
        if keys:
            kwargs["order_by"] = _list(keys)
        ranking = type(func) in _RANKING or isinstance(func, exp.NthValue | exp.Ntile)
        spec = node.args.get("spec")
        if spec is not None and not ranking:
            kind, bounds = self.frame(spec)
            kwargs[kind] = bounds
        elif keys and not ranking and not isinstance(func, exp.Lag | exp.Lead):
            # SQL's default frame with ORDER BY is RANGE UNBOUNDED PRECEDING .. CURRENT ROW;
            # Ibis defaults to the whole partition.
            kwargs["range"] = Code("(None, 0)", (None, 0))
        if type(func) in _RANKING:
            inner = function(_RANKING[type(func)])
            return binary(method(inner, "over", **kwargs), "+", lit(1))
        if isinstance(func, exp.Ntile):
            inner = function("ntile", self.translate(func.this))
            return binary(method(inner, "over", **kwargs), "+", lit(1))
        if isinstance(func, exp.PercentRank | exp.CumeDist):
            name = "percent_rank" if isinstance(func, exp.PercentRank) else "cume_dist"
            return method(function(name), "over", **kwargs)
        if isinstance(func, exp.Lag | exp.Lead):
            args = [self.translate(func.args["offset"])] if func.args.get("offset") else []
            if func.args.get("default") is not None:
                args.append(self.translate(func.args["default"]))
            inner = method(self.translate(func.this), type(func).__name__.lower(), *args)
            return method(inner, "over", **kwargs)
        if isinstance(func, exp.FirstValue | exp.LastValue):
            name = "first" if isinstance(func, exp.FirstValue) else "last"
            return method(method(self.translate(func.this), name), "over", **kwargs)
        inner = self.translate(func)
        return method(inner, "over", **kwargs)

    def frame(self, spec: exp.WindowSpec) -> tuple[str, Code]:
        kind = (spec.args.get("kind") or "ROWS").lower()
        if kind not in ("rows", "range"):
            raise unsupported(f"window frame {kind.upper()}", spec)

        def bound(value: object, side: str | None) -> Code:
            preceding = (side or "").upper() == "PRECEDING"
            if isinstance(value, exp.Interval):
                interval = self.translate(value)
                if not preceding:
                    return interval
                return Code(f"-{interval.src}", -interval.val, atomic=False)
            text = str(value.name if isinstance(value, exp.Expression) else value).upper()
            if text == "UNBOUNDED":
                return Code("None", None)
            if text == "CURRENT ROW":
                return Code("0", 0)
            amount = -int(text) if preceding else int(text)
            return Code(str(amount), amount)

        start = bound(spec.args.get("start"), spec.args.get("start_side"))
        end_value = spec.args.get("end")
        end = bound(end_value, spec.args.get("end_side")) if end_value is not None else Code("0", 0)
        return kind, Code(f"({start.src}, {end.src})", (start.val, end.val))

    def order_key(self, node: exp.Ordered) -> Code:
        subject = self.translate(node.this)
        if subject.literal:
            raise unsupported("ORDER BY a constant", node)
        desc = bool(node.args.get("desc"))
        nulls_first = bool(node.args.get("nulls_first"))
        if not desc and not nulls_first:
            return subject
        kwargs = {"nulls_first": lit(True)} if nulls_first else {}
        return method(subject, "desc" if desc else "asc", **kwargs)


def _resolve_named_window(node: exp.Window) -> exp.Window:
    """``OVER w`` with ``WINDOW w AS (...)``: the named window's clauses, refined by the call's."""
    reference = node.args.get("alias")
    select = node.find_ancestor(exp.Select)
    if reference is None or select is None:
        return node
    for named in select.args.get("windows") or []:
        if named.name.lower() == reference.name.lower():
            merged = node.copy()
            for arg in ("partition_by", "order", "spec"):
                if not merged.args.get(arg) and named.args.get(arg):
                    merged.set(
                        arg,
                        named.args[arg].copy()
                        if arg != "partition_by"
                        else [p.copy() for p in named.args[arg]],
                    )
            return merged
    raise unsupported(f"window {reference.name!r} that the query does not define", node)


def _list(items: list[Code]) -> Code:
    if len(items) == 1:
        return items[0]
    return Code("[" + ", ".join(i.src for i in items) + "]", [i.val for i in items])


@dataclass
class GroupKey:
    name: str
    node: exp.Expression


def group_key_name(node: exp.Expression, projections: list[exp.Expression], taken: set[str]) -> str:
    for projection in projections:
        if isinstance(projection, exp.Alias) and projection.this == node:
            return projection.alias
    if isinstance(node, exp.Column):
        return node.name
    return unique_name(readable_name(node), taken)


def key_arg(name: str, code: Code, column_name: str | None) -> tuple[str, object]:
    """``"a"`` for a plain column kept under its name, else ``name=expr``."""
    if column_name == name:
        return py(name), name
    if is_identifier(name):
        return f"{name}={code.src}", None
    return f"{code.operand()}.name({py(name)})", None


__all__ = [
    "AggregateMixin",
    "column_ref",
    "find_aggregates",
    "group_key_name",
    "has_window",
    "ibis",
]
