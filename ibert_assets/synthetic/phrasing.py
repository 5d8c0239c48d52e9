"""How a synthetic question says a world's names: as a person would, not as the schema spells
them.

A column's words are its name's words, with two exceptions a reader notices: a flag named as a
question (``is_active``) is said by what it flags, and a date named by its event (``listed_on``,
``created_at``) is said as a date ("the date listed"), filtered by its event ("listed on or
after 2023-01-01") and split by it ("for each year listed"), never "the listed on".

>>> from ibert_assets.synthetic.worlds import Column
>>> listed = Column("listed_on", "listed_on", "date", "date")
>>> words(listed), when(listed, "on or after 2023-01-01"), part_of("year", listed, "home")
('date listed', 'listed on or after 2023-01-01', 'year listed')
>>> day = Column("date", "date", "date", "date")
>>> words(day), when(day, "before 2024-05-01"), part_of("year", day, "sale")
('date', 'dated before 2024-05-01', 'year of the sale date')
"""

from __future__ import annotations

from ibert_assets.synthetic.worlds import Column, Table

# the last word of a date column named by its event, and the noun the date is said as
_EVENT_SUFFIXES = {"on": "date", "at": "time"}


def words(column: Column | Table) -> str:
    """How a question says a column or table: its vocabulary words, spaced; a flag by what it
    flags ("active flag", not "is active"); a date named by its event as a date ("date
    listed", not "listed on")."""
    said = column.words.replace("_", " ")
    if not isinstance(column, Column):
        return said
    if column.role == "flag" and said.startswith("is "):
        return said.removeprefix("is ") + " flag"
    event = happened(column)
    if event is not None:
        return f"{_EVENT_SUFFIXES[said.rpartition(' ')[2]]} {event}"
    if column.role in ("date", "timestamp") and not said.endswith("date"):
        return said + " date"  # check_in: "check in date"
    return said


def happened(column: Column) -> str | None:
    """The event a date column is named by (``shipped`` of ``shipped_on``, ``created`` of
    ``created_at``), or None when its name says no event (``order_date``, ``date``)."""
    if column.role not in ("date", "timestamp"):
        return None
    event, _, suffix = column.words.replace("_", " ").rpartition(" ")
    return event if event and suffix in _EVENT_SUFFIXES else None


def dated(column: Column) -> str | None:
    """The word a condition on a date says it with: its event (``shipped``), ``dated`` for a
    column named only ``date``, None for the others (``order date``)."""
    return happened(column) or ("dated" if column.words == "date" else None)


def when(column: Column, bound: str) -> str:
    """A date condition after its subject: "shipped before 2024-01-01" for a date named by
    its event, "dated before 2024-01-01", "with order date before 2024-01-01"."""
    verb = dated(column)
    return f"{verb} {bound}" if verb else f"with {words(column)} {bound}"


def part_of(part: str, column: Column, table: str) -> str:
    """A part of a date (year, month, quarter) as a question says it: "year shipped", "year of
    the order date"; a column named only ``date`` is the date of ``table``'s rows ("year of the
    sale date")."""
    event = happened(column)
    if event:
        return f"{part} {event}"
    said = words(column)
    return f"{part} of the {table} date" if said == "date" else f"{part} of the {said}"


def plural(noun: str) -> str:
    if noun.endswith(("series", "data", "staff")):
        return noun
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
