"""Types from usage: what the SQL around a column says about the column's type.

Each hint is a vote for an Ibis dtype; :func:`dtype_from_votes` takes the most voted one, and
without any vote a guess from the column's name (the documented default: ``id`` and ``*_id``,
``*_key``, ``*_count`` integers; ``is_*`` / ``has_*`` booleans; ``*_at`` / ``*_time`` timestamps;
names holding ``date`` dates; ``*price`` / ``*amount`` / ``*total`` floats; anything else a string).

>>> from sqlglot import parse_one
>>> where = parse_one("SELECT 1 FROM t WHERE created_at >= CURRENT_DATE - INTERVAL '7' DAY")
>>> column = next(where.find_all(exp.Column))
>>> dict(usage_hints(column))
{'date': 3}
>>> dtype_from_votes("customer_id", Counter())
'int64'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from sqlglot import exp

from ibert_inference.errors import IbertError


class SchemaInferenceError(IbertError):
    """The query does not say enough to build a schema (no base table, no column of a table)."""


def _types(*names: str) -> tuple[type[exp.Expr], ...]:
    return tuple(getattr(exp, name) for name in names if hasattr(exp, name))


STRING_FUNCTIONS = _types(
    "Upper", "Lower", "Trim", "Length", "Substring", "Concat", "ConcatWs", "DPipe", "Like",
    "ILike", "RegexpLike", "RegexpReplace", "RegexpExtract", "RegexpILike", "StrPosition",
    "Initcap", "SplitPart", "Split", "Left", "Right", "Replace", "Pad", "MD5", "SHA", "SHA2",
    "StartsWith", "EndsWith", "Contains", "Reverse", "Ascii", "Levenshtein", "Translate",
)  # fmt: skip
NUMERIC_FUNCTIONS = _types(
    "Sum", "Avg", "Stddev", "StddevPop", "StddevSamp", "Variance", "VariancePop", "Round",
    "Abs", "Ln", "Log", "Exp", "Sqrt", "Pow", "Floor", "Ceil", "Corr", "CovarPop", "CovarSamp",
    "Sign", "Cbrt", "Neg", "Quantile", "ApproxQuantile", "Median", "PercentileCont",
    "PercentileDisc", "SafeDivide",
)  # fmt: skip
ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.IntDiv)
DATE_FUNCTIONS = _types(
    "Extract", "DateTrunc", "TimestampTrunc", "DateAdd", "DateSub", "Year", "Month", "Day",
    "Quarter", "Week", "DayOfWeek", "DayOfYear", "DateDiff", "TimestampDiff", "TimestampAdd",
    "TimestampSub", "DatetimeAdd", "DatetimeSub", "DatetimeDiff", "DatetimeTrunc", "TsOrDsAdd",
    "TsOrDsDiff", "LastDay", "MonthsBetween", "DateToDi",
)  # fmt: skip
BOOLEAN_AGGREGATES = _types("LogicalOr", "LogicalAnd", "BoolOr", "BoolAnd")
NOW_TIMESTAMP = _types("CurrentTimestamp", "CurrentDatetime", "Localtimestamp")
NOW_DATE = _types("CurrentDate")
VALUE_SIBLINGS = _types("Coalesce", "Greatest", "Least", "Nullif", "IfNull")
# nodes whose operands should all have one type: their columns share votes
UNIFYING = _types("Coalesce", "Greatest", "Least", "Nullif", "EQ", "NEQ", "GT", "GTE", "LT",
                  "LTE", "NullSafeEQ", "NullSafeNEQ", "IfNull")  # fmt: skip


def peeled(node: exp.Expr) -> tuple[exp.Expr, exp.Expr | None]:
    """The node as its parent sees it (parentheses looked through), and that parent."""
    parent = node.parent
    while isinstance(parent, exp.Paren):
        node, parent = parent, parent.parent
    return node, parent


def usage_hints(column: exp.Expr) -> Counter[str]:
    """Votes for ``column``'s type from the expression around it."""
    hints: Counter[str] = Counter()
    node, parent = peeled(column)
    if parent is None:
        return hints
    if isinstance(parent, exp.Binary) and not isinstance(parent, exp.Connector):
        other = parent.right if parent.left is node else parent.left
        hints.update(literal_type(other))
        if isinstance(parent, ARITHMETIC) and not is_interval_math(parent):
            hints["float64"] += 1
    if isinstance(parent, VALUE_SIBLINGS):  # COALESCE(x, 0), GREATEST(x, DATE '2024-01-01')
        for sibling in [parent.this, *parent.expressions, parent.args.get("expression")]:
            if sibling is not None and sibling is not node:
                hints.update(literal_type(sibling))
    if isinstance(parent, exp.In | exp.Between):
        for value in [*parent.expressions, parent.args.get("low"), parent.args.get("high")]:
            if value is not None and value is not node:
                hints.update(literal_type(value))
    if isinstance(parent, STRING_FUNCTIONS) and parent.this is node:
        hints["string"] += 2
    if isinstance(parent, NUMERIC_FUNCTIONS):
        hints["float64"] += 1
    amount = isinstance(parent, exp.DateAdd | exp.DateSub) and parent.expression is node
    if (isinstance(parent, DATE_FUNCTIONS) or is_interval_math(parent)) and not amount:
        hints["timestamp"] += 2
    if isinstance(parent, (exp.Connector, exp.Not, exp.Where, exp.Having, *BOOLEAN_AGGREGATES)):
        hints["boolean"] += 3
    if isinstance(parent, exp.If) and parent.this is node:
        hints["boolean"] += 3
    if isinstance(parent, exp.Cast) and parent.to.is_type(*exp.DataType.NUMERIC_TYPES):
        hints["float64"] += 1  # a string column cast to a number fails on generated words
    if isinstance(parent, exp.Filter) and node is parent.expression:
        hints["boolean"] += 3
    return hints


def is_interval_math(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Add | exp.Sub) and any(
        isinstance(side, exp.Interval) for side in (node.left, node.right)
    )


def literal_type(node: exp.Expr | None) -> Counter[str]:
    """Votes from a value a column is compared or combined with."""
    while isinstance(node, exp.Paren):
        node = node.this
    if node is None:
        return Counter()
    if isinstance(node, exp.Literal):
        if node.is_string:
            return Counter({"string": 2})
        return Counter({"float64" if "." in node.this or "e" in node.this.lower() else "int64": 2})
    if isinstance(node, exp.Cast) and node.to.is_type(*exp.DataType.TEMPORAL_TYPES):
        return Counter({"date" if node.to.is_type("date") else "timestamp": 3})
    if isinstance(node, exp.Cast) and node.to.is_type(*exp.DataType.TEXT_TYPES):
        return Counter({"string": 2})
    if isinstance(node, NOW_DATE):
        return Counter({"date": 3})
    if isinstance(node, NOW_TIMESTAMP):
        return Counter({"timestamp": 3})
    if isinstance(node, exp.Add | exp.Sub):  # CURRENT_DATE - 30, a date plus an interval
        left = node.left if not isinstance(node.left, exp.Interval) else node.right
        found = literal_type(left)
        return found if found.keys() & {"date", "timestamp"} else Counter()
    if isinstance(node, DATE_FUNCTIONS) and not isinstance(node, exp.Extract | exp.DateDiff):
        return Counter({"timestamp": 1})
    if isinstance(node, exp.Boolean):
        return Counter({"boolean": 3})
    if isinstance(node, exp.Neg):
        return literal_type(node.this)
    return Counter()


def schema_from_votes(
    tables: Iterable[str],
    columns: Mapping[str, set[str]],
    votes: Mapping[tuple[str, str], Counter[str]],
    source: str,
) -> dict[str, dict[str, str]]:
    """Each table's columns typed by their votes, sorted for stable ids.

    A table none of whose columns ``source`` (the query, the code) names has nothing to
    generate: that is an error, not an empty table.

    >>> schema_from_votes(["t"], {"t": {"a"}}, {("t", "a"): Counter(["int64"])}, "the query")
    {'t': {'a': 'int64'}}
    """
    schema: dict[str, dict[str, str]] = {}
    for table in sorted(tables):
        names = sorted(columns.get(table, ()))
        if not names:
            raise SchemaInferenceError(f"no column of table {table!r} is named in {source}")
        schema[table] = {
            name: dtype_from_votes(name, votes.get((table, name), Counter())) for name in names
        }
    return schema


def dtype_from_votes(name: str, votes: Counter[str]) -> str:
    """The type most hints point to; without hints, a guess from the column name."""
    if votes:
        best = max(votes.values())
        tied = [dtype for dtype, count in votes.items() if count == best]
        # a tie between a number and a string: the number (a string compared with 1 fails)
        for preferred in ("timestamp", "date", "boolean", "float64", "int64", "string"):
            if preferred in tied and (preferred != "int64" or "float64" not in tied):
                return preferred
        return tied[0]
    lowered = name.lower()
    if lowered == "id" or lowered.endswith(("_id", "key", "_count", "_num", "qty", "quantity")):
        return "int64"
    if lowered.startswith(("is_", "has_")):
        return "boolean"
    if lowered.endswith(("_at", "_time", "timestamp", "_ts")):
        return "timestamp"
    if "date" in lowered:
        return "date"
    if lowered.endswith(("price", "amount", "total", "cost", "revenue", "score", "balance")):
        return "float64"
    return "string"
