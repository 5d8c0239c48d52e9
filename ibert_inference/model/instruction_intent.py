"""What an instruction asks a completion for, beyond its names: values, aggregates, restraint.

A completion's candidates (adapted from verified examples, or a model's) often all run on the
schema; what sets the right one apart is how well it does what the instruction says. These are
the signals the completion task ranks by, each computed from the instruction, the prefix and the
candidate alone (never from a reference):

- :func:`covered_share`: the values the instruction asks for (numbers, dates, quoted text) that
  the prefix does not use yet, and the completion does (``more than 2 ingredients``: a filter on
  2, not on 1);
- :func:`fresh_share`: the completion's values the instruction names that the prefix has not
  used already (a filter on 4 seats, then ``.limit(4)``: the 4 was spent);
- :func:`aggregate_agreement`: the aggregates the completion calls that the instruction's words
  ask for (``distinct`` is ``nunique``, ``longest`` is ``max``) and the prefix has not called
  yet, less those nothing asks for;
- :func:`introduced_names_share`: of the tables and columns the completion brings in, the share
  the instruction or the prefix mentions (a join to a table nobody asked about is a guess).

Training instructions end with a sentence that lists the schema's tables (``Tables: a, b.``):
it says what exists, not what to compute, so :func:`asked_text` leaves it out.

>>> asked_text("Complete the code: flyers per tier. Tables: flyers, miles.")
'Complete the code: flyers per tier.'
"""

from __future__ import annotations

import re

from ibert_inference.schema.tables import Schema

_TABLES_SENTENCE = re.compile(r"\s*\bTables:[^\n]*$", re.IGNORECASE)
NUMBER_OR_DATE = re.compile(r"(?<![\w.'-])(\d{4}-\d{2}-\d{2}|\d+(?:\.\d+)?)(?![\w'-]|\.\d)")
"""A number or an ISO date an instruction names (not a digit inside a word or a name)."""
QUOTED = re.compile(r"(?<!\w)'([^'\n]+)'(?!\w)")  # not an apostrophe: the player's score
_AGGREGATE_CALL = re.compile(r"\.(sum|mean|max|min|nunique|count)\(")
AGGREGATE_WORDS: dict[str, tuple[str, ...]] = {
    "max": ("longest", "largest", "highest", "biggest", "maximum", "max", "best", "latest",
            "most recent", "peak"),
    "min": ("shortest", "smallest", "lowest", "minimum", "min", "earliest", "cheapest"),
    "mean": ("average", "mean", "avg"),
    "sum": ("total", "sum", "net"),
    "nunique": ("distinct", "unique", "different"),
    "count": ("number of", "count", "how many"),
}  # fmt: skip
"""Aggregate -> the words an instruction asks for it with."""


def asked_text(instruction: str) -> str:
    """The instruction without its closing list of tables."""
    return _TABLES_SENTENCE.sub("", instruction).strip()


def asked_values(instruction: str) -> list[str]:
    """The values an instruction names: numbers and dates, then quoted text.

    >>> asked_values("top 3 players in mode 'air' since 2024-01-01, the player's best")
    ['3', '2024-01-01', 'air']
    """
    text = asked_text(instruction)
    return [*NUMBER_OR_DATE.findall(text), *QUOTED.findall(text)]


def _uses(code: str, value: str) -> bool:
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return re.search(rf"(?<![\w.]){re.escape(value)}(?![\w]|\.\d)", code) is not None
    return f"'{value}'" in code or f'"{value}"' in code


def covered_share(prefix: str, completion: str, instruction: str) -> float:
    """The share of the values the instruction asks for, not used by the prefix yet, that the
    completion uses (1.0 when there are none left to use).

    >>> covered_share("r = t.group_by('k').agg(n=_.count())", ".filter(_.n > 2)", "more than 2")
    1.0
    >>> covered_share("r = t.group_by('k').agg(n=_.count())", ".filter(_.n > 1)", "more than 2")
    0.0
    >>> covered_share("r = t.filter(_.a > 500)", ".limit(500)", "a above 500")
    1.0
    """
    left = [v for v in dict.fromkeys(asked_values(instruction)) if not _uses(prefix, v)]
    if not left:
        return 1.0
    return sum(_uses(completion, value) for value in left) / len(left)


def fresh_share(prefix: str, completion: str, instruction: str) -> float:
    """Of the completion's values that the instruction names, the share the prefix does not
    use already (1.0 when it uses none): a value asked for once and used once is spent, and a
    second use (``.limit(4)`` after a filter on 4 seats) is a guess.

    >>> fresh_share("r = t.filter(_.seats >= 4)", ".limit(4)", "at least 4 seats")
    0.0
    >>> fresh_share("r = t.filter(_.seats >= 4)", ".limit(3)", "top 3 with at least 4 seats")
    1.0
    """
    named = [v for v in dict.fromkeys(asked_values(instruction)) if _uses(completion, v)]
    if not named:
        return 1.0
    return sum(not _uses(prefix, value) for value in named) / len(named)


def _asked_aggregates(instruction: str) -> dict[str, int]:
    text = asked_text(instruction).lower()
    return {
        name: sum(len(re.findall(rf"(?<!\w){re.escape(w)}(?!\w)", text)) for w in words)
        for name, words in AGGREGATE_WORDS.items()
    }


def aggregate_agreement(prefix: str, completion: str, instruction: str) -> int:
    """How many of the completion's aggregate calls the instruction asks for (and the prefix
    has not made yet), less how many nothing asks for.

    >>> asked = "how many distinct recipes use each ingredient"
    >>> prefix = "r = j.group_by('ingredient').agg(recipes=_.recipe_id"
    >>> [aggregate_agreement(prefix, done, asked) for done in (".nunique())", ".sum())")]
    [1, -1]
    >>> aggregate_agreement("r = t.agg(a=_.x.mean(), b=_.y", ".mean())", "average x, and y")
    -1
    """
    left = _asked_aggregates(instruction)
    for name in _AGGREGATE_CALL.findall(prefix):
        left[name] = max(left[name] - 1, 0)
    score = 0
    for name in _AGGREGATE_CALL.findall(completion):
        if left[name] > 0:
            left[name] -= 1
            score += 1
        else:
            score -= 1
    return score


def introduced_names_share(
    prefix: str, completion: str, instruction: str, schema: Schema | None
) -> float:
    """Of the schema's table and column names the completion uses that the prefix does not,
    the share the instruction mentions (1.0 when it brings in none); ``id`` is never counted:
    results keep their key without being asked.

    >>> schema = {"trips": {"id": "i", "minutes": "i"}, "drivers": {"id": "i", "name": "s"}}
    >>> prefix = "result = trips.filter(_.minutes > 120)"
    >>> introduced_names_share(prefix, ".select('id', 'minutes')", "long trips, minutes", schema)
    1.0
    >>> introduced_names_share(prefix, ".join(drivers, 'id').select('name')", "minutes", schema)
    0.0
    """
    if not schema:
        return 1.0
    known = {*schema, *(column for columns in schema.values() for column in columns)} - {"id"}

    def used(name: str, code: str) -> bool:
        return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", code) is not None

    introduced = [name for name in known if used(name, completion) and not used(name, prefix)]
    if not introduced:
        return 1.0
    mentioned = set(instruction_names(instruction, schema))
    return sum(name in mentioned for name in introduced) / len(introduced)


def instruction_names(instruction: str | None, schema: Schema | None) -> list[str]:
    """The schema's table and column names the instruction mentions (as words; an underscore
    may be written as a space), its closing list of the schema's tables left out.

    >>> schema = {"orders": {"amount": "f", "order_status": "s", "id": "i"}, "users": {}}
    >>> instruction_names("total amount per order status. Tables: orders, users.", schema)
    ['amount', 'order_status']
    """
    if not instruction or not schema:
        return []
    text = asked_text(instruction).lower()
    known = [*schema, *(column for columns in schema.values() for column in columns)]
    found = []
    for name in dict.fromkeys(known):
        spellings = {name.lower(), name.lower().replace("_", " ")}
        if any(re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text) for s in spellings):
            found.append(name)
    return found
