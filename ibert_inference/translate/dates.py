"""Dates and times: EXTRACT, DATE_TRUNC, intervals, date arithmetic, CURRENT_DATE, DATE_DIFF.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"d": "date"}}
>>> sql = "SELECT EXTRACT(YEAR FROM d) AS y FROM t WHERE d >= DATE '2024-01-01'"
>>> print(sql_to_ibis(sql, schema).code, end="")
result = t.filter(_.d >= ibis.date("2024-01-01")).select(y=_.d.year())
"""

from __future__ import annotations

import ibis
from sqlglot import exp

from ibert_inference.translate.codegen import Code
from ibert_inference.translate.expressions import (
    ExpressionTranslator,
    binary,
    function,
    is_date,
    is_integer,
    lit,
    method,
)
from ibert_inference.translate.parse import unsupported

_EXTRACT = {
    "year": "year()",
    "month": "month()",
    "day": "day()",
    "hour": "hour()",
    "minute": "minute()",
    "second": "second()",
    "quarter": "quarter()",
    "week": "week_of_year()",
    "doy": "day_of_year()",
    "dayofyear": "day_of_year()",
    "epoch": "epoch_seconds()",
    "millisecond": "millisecond()",
    "microsecond": "microsecond()",
}
_INTERVAL_UNITS = {
    "year": "years",
    "month": "months",
    "week": "weeks",
    "day": "days",
    "hour": "hours",
    "minute": "minutes",
    "second": "seconds",
}


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Ibis's unit codes for IntegerValue.as_interval
_AS_INTERVAL = {
    "year": "Y",
    "month": "M",
    "week": "W",
    "day": "D",
    "hour": "h",
    "minute": "m",
    "second": "s",
}


class DateMixin(ExpressionTranslator):
    """Date and time handlers for :class:`ExpressionTranslator`."""

    def on_add(self, node: exp.Add) -> Code:
        left, right = self.translate(node.this), self.translate(node.expression)
        if is_date(left) and is_integer(right):
            return shift_days(left, "+", right)
        if is_date(right) and is_integer(left):
            return shift_days(right, "+", left)
        return binary(left, "+", right)

    def on_sub(self, node: exp.Sub) -> Code:
        left, right = self.translate(node.this), self.translate(node.expression)
        if is_date(left) and is_date(right):
            # DATE - DATE is a number of days in SQL, an interval in Ibis.
            return delta(left, right, "day")
        if is_date(left) and is_integer(right):
            return shift_days(left, "-", right)
        return binary(left, "-", right)

    def on_extract(self, node: exp.Extract) -> Code:
        part = node.this.name.lower()
        inner = (
            node.expression.unnest() if isinstance(node.expression, exp.Paren) else node.expression
        )
        if part == "epoch" and isinstance(inner, exp.Sub):
            # EXTRACT(EPOCH FROM b - a): seconds between two timestamps.
            end, start = self.translate(inner.this), self.translate(inner.expression)
            return binary(method(end, "epoch_seconds"), "-", method(start, "epoch_seconds"))
        subject = self.translate(node.expression)
        if part in ("dow", "dayofweek"):
            return self.day_of_week(subject)
        if part == "week" and self.behaviour("week") == "sunday_weeks":
            # Weeks that start on Sunday, days before the year's first Sunday in week 0.
            day = method(subject, "day_of_year")
            return binary(
                binary(binary(day, "+", lit(6)), "-", self.day_of_week(subject, 0)), "//", lit(7)
            )
        if part in ("isodow",):
            return binary(
                Code(f"{subject.operand()}.day_of_week.index()", subject.val.day_of_week.index()),
                "+",
                lit(1),
            )
        call = _EXTRACT.get(part)
        if call is None:
            raise unsupported(f"EXTRACT({part.upper()})", node)
        return method(subject, call[:-2])

    def on_dayofweek(self, node: exp.DayOfWeek) -> Code:
        return self.day_of_week(self.translate(node.this))

    def day_of_week(self, subject: Code, sunday: int | None = None) -> Code:
        """SQL numbers days from Sunday = 0 or 1 (see :mod:`.semantics`); Ibis's
        ``day_of_week.index()`` from Monday = 0."""
        if sunday is None:
            sunday = 1 if self.behaviour("day_of_week") == "sunday_1" else 0
        index = Code(f"{subject.operand()}.day_of_week.index()", subject.val.day_of_week.index())
        from_sunday = binary(binary(index, "+", lit(1)), "%", lit(7))
        return binary(from_sunday, "+", lit(1)) if sunday else from_sunday

    def on_dayofyear(self, node: exp.DayOfYear) -> Code:
        return method(self.translate(node.this), "day_of_year")

    def on_year(self, node: exp.Year) -> Code:
        return method(self.translate(node.this), "year")

    def on_month(self, node: exp.Month) -> Code:
        return method(self.translate(node.this), "month")

    def on_day(self, node: exp.Day) -> Code:
        return method(self.translate(node.this), "day")

    def on_datetrunc(self, node: exp.DateTrunc) -> Code:
        return self.truncate(node)

    def on_timestamptrunc(self, node: exp.TimestampTrunc) -> Code:
        return self.truncate(node)

    def truncate(self, node: exp.DateTrunc | exp.TimestampTrunc) -> Code:
        """DATE_TRUNC; weeks start on the day the dialect says (BigQuery's WEEK: Sunday,
        ``WEEK(<day>)``: that day), Ibis's on Monday: shift, truncate, shift back."""
        subject = self.translate(node.this)
        unit = node.args["unit"]
        if isinstance(unit, exp.WeekStart):
            start = _WEEKDAYS.index(unit.name.lower())
        elif unit.name.lower() == "isoweek":
            start = 0
        else:
            truncated = method(subject, "truncate", lit(unit.name.lower()))
            if self.behaviour("date_trunc") == "date" and _is_date(subject):
                # Ibis compiles a DATE's truncate to DuckDB's DATE_TRUNC, which is a TIMESTAMP
                return method(method(truncated, "cast", lit("timestamp")), "date")
            return truncated
        offset = (7 - start) % 7  # days from the week's first day to the next Monday
        is_date_subject = _is_date(subject)
        if not offset:
            monday = method(subject, "truncate", lit("week"))
            # BigQuery truncates a DATE to a DATE; DuckDB's date_trunc answers a TIMESTAMP.
            if is_date_subject:
                return method(method(monday, "cast", lit("timestamp")), "date")
            return monday
        if is_date_subject:
            monday = method(shift_days(subject, "+", lit(offset)), "truncate", lit("week"))
            return shift_days(monday, "-", lit(offset))
        shift = Code(f"ibis.interval(days={offset})", ibis.interval(days=offset))
        monday = method(binary(subject, "+", shift), "truncate", lit("week"))
        return binary(monday, "-", shift)

    def on_interval(self, node: exp.Interval) -> Code:
        amount = node.this
        unit = node.args.get("unit")
        text = amount.name if isinstance(amount, exp.Literal) else None
        if text is None:
            # INTERVAL (n) DAY: a number of units computed per row.
            unit_name = unit.name.lower().rstrip("s") if unit is not None else ""
            code = _AS_INTERVAL.get(unit_name)
            if code is None:
                raise unsupported(f"INTERVAL with a computed amount of {unit_name!r}", node)
            return method(self.translate(amount), "as_interval", lit(code))
        pieces = text.split()
        unit_name = (
            unit.name if unit is not None else pieces[1] if len(pieces) > 1 else ""
        ).lower()
        unit_name = unit_name.rstrip("s")
        keyword = _INTERVAL_UNITS.get(unit_name)
        if keyword is None:
            raise unsupported(f"INTERVAL unit {unit_name!r}", node)
        number = int(float(pieces[0]))
        return Code(f"ibis.interval({keyword}={number})", ibis.interval(**{keyword: number}))

    def on_date(self, node: exp.Date) -> Code:
        """``DATE(ts)`` (BigQuery, MySQL, SQLite): the date part; ``DATE(y, m, d)``: a date."""
        if node.expressions:
            parts = [self.translate(node.this)] + [self.translate(e) for e in node.expressions]
            if len(parts) != 3:
                raise unsupported("DATE with a time zone or other extra argument", node)
            return function("date", *parts)
        subject = self.translate(node.this)
        if not subject.literal and subject.val.type().is_timestamp():
            return method(subject, "date")
        return method(subject, "cast", lit("date"))

    def on_timetostr(self, node: exp.TimeToStr) -> Code:
        return method(self.translate(node.this), "strftime", self.translate(node.args["format"]))

    def on_currentdate(self, node: exp.CurrentDate) -> Code:
        return Code("ibis.today()", ibis.today())

    def on_currenttimestamp(self, node: exp.CurrentTimestamp) -> Code:
        return Code("ibis.now()", ibis.now())

    def on_dateadd(self, node: exp.DateAdd) -> Code:
        return self._shift(node, "+")

    def on_datesub(self, node: exp.DateSub) -> Code:
        return self._shift(node, "-")

    def _shift(self, node: exp.Expression, op: str) -> Code:
        unit_node = node.args.get("unit")
        unit = unit_node.name.lower() if unit_node is not None else "day"
        keyword = _INTERVAL_UNITS.get(unit.rstrip("s"))
        amount = self.translate(node.expression)
        if isinstance(node.expression, exp.Interval):
            return binary(self.translate(node.this), op, amount)
        if keyword is None:
            raise unsupported(f"{type(node).__name__} by {unit}", node)
        if amount.literal:
            shift = Code(
                f"ibis.interval({keyword}={amount.val})", ibis.interval(**{keyword: amount.val})
            )
        else:
            shift = method(amount, "as_interval", lit(_AS_INTERVAL[unit.rstrip("s")]))
        return binary(self.translate(node.this), op, shift)

    def on_datediff(self, node: exp.DateDiff) -> Code:
        unit_node = node.args.get("unit")
        unit = unit_node.name.lower() if unit_node is not None else "day"
        end, start = self.translate(node.this), self.translate(node.expression)
        return delta(end, start, unit)

    def on_tsordstotimestamp(self, node: exp.TsOrDsToTimestamp) -> Code:
        return method(self.translate(node.this), "cast", lit("timestamp"))

    def on_tsordstodate(self, node: exp.TsOrDsToDate) -> Code:
        return method(self.translate(node.this), "cast", lit("date"))


def days(amount: Code) -> Code:
    """An interval of ``amount`` days: ``ibis.interval(days=3)`` or ``_.n.as_interval("D")``."""
    if amount.literal:
        return Code(f"ibis.interval(days={amount.val})", ibis.interval(days=amount.val))
    return method(amount, "as_interval", lit("D"))


def shift_days(date: Code, op: str, amount: Code) -> Code:
    """SQL ``DATE +/- integer`` is a DATE; Ibis's date + interval compiles to DuckDB's
    ``DATE + INTERVAL``, a TIMESTAMP, so the sum is cast back (Ibis drops a cast to the type it
    already infers, hence through ``timestamp``)."""
    shifted = binary(date, op, days(amount))
    return method(method(shifted, "cast", lit("timestamp")), "date")


def delta(end: Code, start: Code, unit: str) -> Code:
    """Whole ``unit``s from start to end; a literal end (``ibis.today()``) cannot take ``_``."""
    if end.src.startswith("ibis.") and not start.src.startswith("ibis."):
        flipped = method(start, "delta", end, unit=lit(unit))
        return Code(f"-{flipped.src}", -flipped.val, atomic=False)
    return method(end, "delta", start, unit=lit(unit))


def _is_date(code: Code) -> bool:
    return not code.literal and code.val.type().is_date()
