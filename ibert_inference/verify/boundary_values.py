"""Values that tell near-miss queries apart, derived from one literal of a query.

A filter ``s = 'bob'`` and a wrong answer ``lower(s) == 'bob'`` agree on every row except one
holding ``'Bob'``; ``amount > 100`` and ``amount >= 100`` agree except on a row holding exactly
``100``. The generated databases (:mod:`ibert_inference.verify.databases`) put every value listed
here into the column the literal is compared with, so that such near misses disagree on some row.

>>> string_variants("bob")[:4]
['bob', 'Bob', 'BOB', 'bOB']
>>> like_variants("%ab%")[:3]
['ab', 'AB', 'xabx']
>>> regex_variants(r"\\d+")[:3]  # one, then two, then three matches
['0', 'a0b', 'a0b86c']
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

# a leap day, year and month ends, a Sunday (2024-03-03) and the Monday after it
SPECIAL_DATES = (
    dt.date(2024, 2, 29),
    dt.date(2023, 12, 31),
    dt.date(2024, 1, 1),
    dt.date(2024, 1, 31),
    dt.date(2024, 3, 1),
    dt.date(2024, 3, 3),
    dt.date(2024, 3, 4),
    dt.date(2024, 12, 31),
)
LARGE = 1_000_000
FLOAT_EPSILON = 0.001
REGEX_SAMPLES = 12


@dataclass(frozen=True)
class Pattern:
    """A LIKE/ILIKE or regular-expression pattern a query matches a column against."""

    text: str
    kind: Literal["like", "regex"]

    def example(self) -> str:
        """One string the pattern matches (case as written)."""
        variants = self.variants()
        return variants[0] if variants else self.text

    def variants(self) -> list[str]:
        return like_variants(self.text) if self.kind == "like" else regex_variants(self.text)


def string_variants(literal: str) -> list[str]:
    """The literal, its case variants, with surrounding text and whitespace, empty, near misses."""
    values = [
        literal,
        literal.capitalize(),
        literal.upper(),
        literal.capitalize().swapcase(),
        literal.lower(),
        f" {literal}",
        f"{literal} ",
        f"x{literal}y",
        f"{literal} {literal}",
        literal.replace(" ", "  ") if " " in literal else f"{literal}  {literal}",
        literal[:-1],  # near miss: one character short
        f"{literal[:-1]}{_other_char(literal[-1:])}",  # near miss: last character changed
        "",
    ]
    return list(dict.fromkeys(values))


def like_variants(pattern: str) -> list[str]:
    """Strings a LIKE pattern matches once, in other case, two and three times, and near misses.

    ``%`` becomes nothing or filler text, ``_`` one letter; the fixed text is the part a wrong
    answer (``ilike`` for ``like``, ``startswith`` for ``contains``) treats differently.
    """
    plain = _like_instance(pattern, "", "a")
    filled = _like_instance(pattern, "x", "b")
    fixed = pattern.replace("%", "").replace("_", "")
    values = [
        plain,
        plain.upper(),
        plain.lower(),
        filled if filled != plain else f"x{plain}y",
        filled.swapcase(),
        f"{plain}{plain}",
        f"{filled} {plain} {filled}",
        f"y{plain}",
        f"{plain}y",
        fixed[:-1],
        f" {plain}",
        "",
    ]
    return list(dict.fromkeys(values))


def regex_variants(pattern: str) -> list[str]:
    return list(_regex_variants(pattern))


@lru_cache(maxsize=256)
def _regex_variants(pattern: str) -> tuple[str, ...]:
    """Strings holding one, two and three matches of ``pattern``, their case variants, empty.

    Matching strings come from ``exrex`` (Python's regex syntax, which agrees with RE2 on the
    patterns queries use); a pattern it cannot read yields the pattern's text itself.
    """
    import exrex

    try:
        matches = [
            m for m in itertools.islice(exrex.generate(pattern, limit=3), 200) if m is not None
        ]
    except Exception:  # exrex raises whatever sre_parse raises on syntax it does not know
        matches = []
    if not matches:
        matches = [re.sub(r"[\\^$.*+?()\[\]{}|]", "", pattern) or "a"]
    # a spread of the enumeration, not its first few (those differ in one character only)
    step = max(1, len(matches) // REGEX_SAMPLES)
    picked = matches[::step][:REGEX_SAMPLES]
    first = picked[0]
    second = picked[len(picked) // 2]
    third = picked[-1]
    values = [
        first,
        f"a{first}b",
        f"a{first}b{second}c",
        f"a{second}b{third}c{first}d",
        f"{first}{first}",
        first.upper(),
        first.swapcase(),
        *picked[1:4],
        "",
    ]
    return tuple(dict.fromkeys(values))


def number_variants(value: int | float | decimal.Decimal, dtype: Any) -> list[Any]:
    """The literal, +-1, +-epsilon, 0, its negation, a large value; within ``dtype``'s range."""
    if dtype.is_integer():
        number = int(value)
        values: list[Any] = [number, number - 1, number + 1, 0, -number, -1, number * 100, LARGE]
        low, high = integer_bounds(dtype)
        return list(dict.fromkeys(v for v in values if low <= v <= high))
    if dtype.is_decimal():
        scale = dtype.scale if dtype.scale is not None else 2
        precision = dtype.precision or 18
        quantum = decimal.Decimal(1).scaleb(-scale)
        top = decimal.Decimal(10) ** (precision - scale) - quantum
        base = decimal.Decimal(str(value)).quantize(quantum)
        zero = decimal.Decimal(0)
        candidates = [base, base - 1, base + 1, base - quantum, base + quantum, zero, -base, top]
        return list(
            dict.fromkeys(decimal.Decimal(v).quantize(quantum) for v in candidates if abs(v) <= top)
        )
    real = float(value)
    return list(
        dict.fromkeys(
            [
                real,
                real - 1,
                real + 1,
                real - FLOAT_EPSILON,
                real + FLOAT_EPSILON,
                0.0,
                -real,
                float(LARGE),
            ]
        )
    )


def date_variants(day: dt.date) -> list[dt.date]:
    """The date, its neighbours, its month's and year's boundaries, its week's Sunday and Monday."""
    month_start = day.replace(day=1)
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    monday = day - dt.timedelta(days=day.weekday())
    values = [
        day,
        day - dt.timedelta(days=1),
        day + dt.timedelta(days=1),
        month_start,
        next_month - dt.timedelta(days=1),
        next_month,
        monday,
        monday - dt.timedelta(days=1),
        monday + dt.timedelta(days=6),
        dt.date(day.year, 1, 1),
        dt.date(day.year - 1, 12, 31),
        dt.date(day.year, 12, 31),
        dt.date(2024, 2, 29),
    ]
    return list(dict.fromkeys(values))


def timestamp_variants(moment: dt.datetime) -> list[dt.datetime]:
    """The moment, a second and an hour either side, the day's ends, the date boundaries."""
    midnight = dt.datetime.combine(moment.date(), dt.time())
    values = [
        moment,
        moment - dt.timedelta(seconds=1),
        moment + dt.timedelta(seconds=1),
        moment - dt.timedelta(hours=1),
        moment + dt.timedelta(hours=1),
        midnight,
        midnight + dt.timedelta(days=1) - dt.timedelta(seconds=1),
        *(dt.datetime.combine(d, dt.time()) for d in date_variants(moment.date())[1:]),
    ]
    return list(dict.fromkeys(values))


def boundary_values(value: Any, dtype: Any) -> list[Any]:
    """Every value of this module for ``value`` planted in a column of ``dtype``, or []."""
    if isinstance(value, Pattern):
        return value.variants() if dtype.is_string() else []
    if dtype.is_string() and isinstance(value, str):
        return string_variants(value)
    if isinstance(value, bool):
        return []
    if dtype.is_numeric() and isinstance(value, int | float | decimal.Decimal):
        return number_variants(value, dtype)
    if dtype.is_date() and isinstance(value, dt.date):
        return date_variants(value.date() if isinstance(value, dt.datetime) else value)
    if dtype.is_timestamp() and isinstance(value, dt.date):
        if not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time())
        return timestamp_variants(value)
    return []


def _like_instance(pattern: str, percent: str, underscore: str) -> str:
    return pattern.replace("%", percent).replace("_", underscore)


def _other_char(char: str) -> str:
    return "z" if char != "z" else "y"


def integer_bounds(dtype: Any) -> tuple[int, int]:
    """The smallest and largest value of an integer ``dtype``."""
    bits = dtype.nbytes * 8
    if dtype.is_unsigned_integer():
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
