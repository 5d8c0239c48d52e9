"""Completions adapted from verified training examples: retrieval, not generation.

A verified ``code_completion`` record near the request (its prefix built the same way) already
holds a continuation that ran on its own schema. :func:`adapt_completion` carries it over to the
request's schema: the record's prefix and the request's prefix are aligned token by token (same
methods and operators in the same places), which says which of the record's tables, columns,
aliases and variables stand for which of the request's; names the prefixes do not pair up are
mapped onto a column of the request's schema of the same type, those the instruction mentions
first. The result is only a candidate: the completion task checks it like a model's (it must
evaluate and run on the request's schema) and says where it came from when it is the answer.

>>> example = {"flights": {"carrier": "string", "delay": "int64"}}
>>> request = {"rentals": {"customer": "string", "km": "int64"}}
>>> adapt_completion(
...     "result = flights.filter(_.delay > 10)", ".group_by('carrier').agg(total=_.delay.sum())",
...     example, "result = rentals.filter(_.km > 5)", request)
".group_by('customer').agg(total=_.km.sum())"
"""

from __future__ import annotations

import difflib
import io
import keyword
import re
import tokenize
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ibert_inference.model.demonstrations import instruction_words
from ibert_inference.model.instruction_intent import NUMBER_OR_DATE, QUOTED
from ibert_inference.model.python_prefix import closing_brackets, parses
from ibert_inference.schema.tables import Schema

_VARIABLE = "<name>"
_STRING = "<string>"
_NUMBER = "<number>"
_LAYOUT = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT}
_TYPE_FAMILIES = (
    ("int", "integer"),
    ("float", "decimal", "double"),
    ("string",),
    ("bool",),
    ("timestamp",),
    ("date",),
)


@dataclass(frozen=True)
class Token:
    kind: int
    text: str

    @property
    def value(self) -> str:
        """A string literal's content (single-quoted, plain: how Ibis names are written)."""
        if self.kind == tokenize.STRING and self.text[:1] in "'\"" and len(self.text) >= 2:
            return self.text[1:-1]
        return self.text


@dataclass(frozen=True)
class ExampleCompletion:
    """A verified record's prefix, its completion and its schema, as retrieval found it."""

    prefix: str
    completion: str
    schema: Schema
    instruction: str = ""
    example_id: str = ""
    template: str | None = None


@dataclass(frozen=True)
class AdaptedCompletion:
    completion: str
    example_id: str
    template: str | None
    support: int = 1  # how many of the examples give this very completion


def _tokens(code: str) -> list[Token]:
    """The code's tokens without layout; as many as can be read when the code is cut short."""
    return [token for token, _ in _positioned_tokens(code)]


def _names(code: str, schema: Schema) -> set[str]:
    """What may stand for something else in another schema: the schema's table and column
    names, and names the code binds (variables, keyword arguments, aliases)."""
    names = set(schema) | {column for columns in schema.values() for column in columns}
    tokens = _tokens(code)
    for index, token in enumerate(tokens[:-1]):
        after = tokens[index + 1]
        if token.kind == tokenize.NAME and after.text == "=" and not keyword.iskeyword(token.text):
            names.add(token.text)
    return names


def _shape(token: Token, names: set[str]) -> str:
    if token.kind == tokenize.NAME and token.text in names:
        return _VARIABLE
    if token.kind == tokenize.STRING:
        return _VARIABLE if token.value in names else _STRING
    if token.kind == tokenize.NUMBER:
        return _NUMBER
    return token.text


def aligned_names(
    example_prefix: str, example_schema: Schema, prefix: str, schema: Schema
) -> dict[str, str]:
    """The example's names paired with the request's where the two prefixes line up.

    >>> aligned_names("t = orders.filter(_.amount > 1)", {"orders": {"amount": "f"}},
    ...               "t = rides.filter(_.fare > 9)", {"rides": {"fare": "f"}})
    {'t': 't', 'orders': 'rides', 'amount': 'fare'}
    """
    ours, theirs = _tokens(example_prefix), _tokens(prefix)
    our_names, their_names = _names(example_prefix, example_schema), _names(prefix, schema)
    our_shapes = [_shape(t, our_names) for t in ours]
    their_shapes = [_shape(t, their_names) for t in theirs]
    matcher = difflib.SequenceMatcher(None, our_shapes, their_shapes, autojunk=False)
    mapping: dict[str, str] = {}
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            if our_shapes[block.a + offset] != _VARIABLE:
                continue
            source, target = ours[block.a + offset].value, theirs[block.b + offset].value
            mapping.setdefault(source, target)  # the first pairing wins a conflict
    return mapping


def _family(dtype: str) -> str:
    lowered = dtype.lower()
    for family in _TYPE_FAMILIES:
        if any(lowered.startswith(name) for name in family):
            return family[0]
    return lowered


def _mentioned(name: str, instruction: str) -> bool:
    text = instruction.lower()
    return any(
        re.search(rf"(?<!\w){re.escape(spelling)}(?!\w)", text)
        for spelling in (name.lower(), name.lower().replace("_", " "))
    )


def _column_targets(
    column: str, dtype: str, schema: Schema, instruction: str, taken: set[str]
) -> str | None:
    """The request's column to write for the example's ``column`` of type ``dtype``: the same
    name, else one of the same type the instruction mentions, else any of the same type, a
    column not yet written for another name first."""
    columns = {c: d for table in schema.values() for c, d in table.items()}
    if column in columns:
        return column
    same_type = [c for c, d in columns.items() if _family(d) == _family(dtype)]
    ranked = sorted(
        same_type,
        key=lambda c: (c in taken, not _mentioned(c, instruction), same_type.index(c)),
    )
    return ranked[0] if ranked else None


def adapt_completion(
    example_prefix: str,
    example_completion: str,
    example_schema: Schema,
    prefix: str,
    schema: Schema,
    instruction: str = "",
    *,
    whole: bool = False,
) -> str | None:
    """The example's completion written for the request's prefix and schema (``whole``: the
    example's prefix and completion together); None when one of its tables or columns has no
    counterpart there."""
    mapping = aligned_names(example_prefix, example_schema, prefix, schema)
    example_columns = {c: d for table in example_schema.values() for c, d in table.items()}
    taken = set(mapping.values())
    unpaired_tables = [t for t in schema if t not in taken]
    code = example_prefix + example_completion if whole else example_completion
    tokens = _tokens(code)
    for token in tokens:
        name = token.value
        if name in mapping or token.kind not in (tokenize.NAME, tokenize.STRING):
            continue
        if name in example_schema:
            if not unpaired_tables:
                return None
            mapping[name] = unpaired_tables.pop(0)
        elif name in example_columns:
            target = _column_targets(name, example_columns[name], schema, instruction, taken)
            if target is None:
                return None
            mapping[name] = target
        if name in mapping:
            taken.add(mapping[name])
    return _rewrite(code, mapping)


def recut(prefix: str, schema: Schema, code: str) -> str | None:
    """What follows, in ``code`` (an example's whole code, written for the request's schema),
    the place where the request's ``prefix`` ends: the two aligned token by token, as
    :func:`aligned_names` does; None when the prefix's last tokens line up with none of it.

    >>> recut("r = t.group_by('a').agg(n=_.b", {"t": {"a": "s", "b": "i"}},
    ...       "r = t.filter(_.b > 2).group_by('a').agg(n=_.b.sum()).limit(3)")
    '.sum()).limit(3)'
    """
    ours = _positioned_tokens(code)
    theirs = _tokens(prefix)
    names = _names(code, schema) | _names(prefix, schema)
    our_shapes = [_shape(token, names) for token, _ in ours]
    their_shapes = [_shape(token, names) for token in theirs]
    matcher = difflib.SequenceMatcher(None, our_shapes, their_shapes, autojunk=False)
    for block in matcher.get_matching_blocks():
        if block.size >= MIN_ALIGNED and block.b + block.size == len(theirs):
            rest = code[ours[block.a + block.size - 1][1] :]
            return rest if rest.strip() else None
    return None


MIN_ALIGNED = 3
"""Tokens at the end of the request's prefix that must line up with the example's code."""


def _positioned_tokens(code: str) -> list[tuple[Token, int]]:
    """:func:`_tokens`, each with the offset where it ends in ``code`` (an unclosed bracket at
    the end stops the reading: the tokens before it are what counts)."""
    starts = [0]
    for line in code.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    found: list[tuple[Token, int]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type not in _LAYOUT and token.type != tokenize.ENDMARKER:
                end = starts[token.end[0] - 1] + token.end[1]
                found.append((Token(token.type, token.string), end))
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _rewrite(code: str, mapping: dict[str, str], *, strings_only: bool = False) -> str:
    """``code`` with each mapped name (an identifier, or a string literal's whole content; only
    the latter with ``strings_only``) replaced, its spacing and quoting kept."""
    if not mapping:
        return code
    pieces: list[str] = []
    lines = code.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    position = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            start = offsets[token.start[0] - 1] + token.start[1] if token.start[0] else 0
            end = offsets[token.end[0] - 1] + token.end[1] if token.end[0] else 0
            if strings_only and token.type != tokenize.STRING:
                continue
            replacement = _replaced(Token(token.type, token.string), mapping)
            if replacement is None or start < position:
                continue
            pieces.append(code[position:start])
            pieces.append(replacement)
            position = end
    except (tokenize.TokenError, SyntaxError, IndexError):
        pass
    pieces.append(code[position:])
    return "".join(pieces)


def _replaced(token: Token, mapping: dict[str, str]) -> str | None:
    if token.kind in (tokenize.NAME, tokenize.NUMBER) and token.text in mapping:
        return mapping[token.text]
    if token.kind == tokenize.STRING and token.value != token.text and token.value in mapping:
        quote = token.text[0]
        return f"{quote}{mapping[token.value]}{quote}"
    return None


def adapted_completions(
    prefix: str,
    schema: Schema,
    instruction: str,
    examples: Sequence[ExampleCompletion],
    *,
    limit: int = 6,
) -> list[AdaptedCompletion]:
    """Up to ``limit`` distinct completions adapted from ``examples`` (nearest first), the
    examples whose instructions ask for the most similar thing first; each says how many of the
    examples give it (``support``: examples that agree vote for it)."""
    wanted = instruction_words(instruction, schema)

    def similarity(example: ExampleCompletion) -> float:
        words = instruction_words(example.instruction, example.schema)
        return len(wanted & words) / (len(wanted | words) or 1)

    ranked = sorted(enumerate(examples), key=lambda pair: (-similarity(pair[1]), pair[0]))
    found: dict[str, AdaptedCompletion] = {}
    support: Counter[str] = Counter()
    for _, example in ranked:
        for written in dict.fromkeys(_written(example, prefix, schema, instruction)):
            support[written] += 1
            if written.strip() and written not in found and len(found) < limit:
                found[written] = AdaptedCompletion(written, example.example_id, example.template)
    return [replace(adapted, support=support[text]) for text, adapted in found.items()]


def _written(
    example: ExampleCompletion, prefix: str, schema: Schema, instruction: str
) -> list[str]:
    """The example's completion for this request: cut from its whole code where the request's
    prefix ends, and as it is, each fitted to the prefix and its values to the instruction."""
    arguments = (example.prefix, example.completion, example.schema, prefix, schema, instruction)
    whole = adapt_completion(*arguments, whole=True)
    ways = [recut(prefix, schema, whole) if whole else None, adapt_completion(*arguments)]
    return [
        fitted(prefix, asked_values(way, example.instruction, instruction)) for way in ways if way
    ]


def fitted(prefix: str, completion: str) -> str:
    r"""``completion`` fitted to where ``prefix`` ends, when the example it comes from was cut
    elsewhere or written in another layout.

    An example cut before ``.agg(`` continues with the whole call, which after a request cut
    inside it repeats what the request already has; an example cut a statement earlier repeats
    the request's last line. The longest end of the request's last line that the completion
    holds (at its start, or as the start of one of its lines when it is the whole line) is where
    the completion continues. Then brackets: an example written on one line completes a
    request inside ``result = (`` without closing it, and the other way round closes one the
    request never opened. Unchanged when it already continues the prefix, or when nothing makes
    code that parses.

    >>> fitted("t.group_by('a').agg(n=_.b", ".agg(n=_.b.sum())")
    '.sum())'
    >>> fitted("t.group_by('a').agg(n=_.b", ".count())")
    '.count())'
    >>> fitted("x = t.filter(_.a > 1)\ny = x.agg(n=_.b", ".select('b')\ny = x.agg(n=_.b.max())")
    '.max())'
    >>> fitted("r = (\n    t.filter(_.a > 1)", ".limit(5)")
    '.limit(5)\n)'
    >>> fitted("r = t.filter(_.a > 1)", "\n    .limit(5)\n)\n")
    '.limit(5)'
    """
    if parses(prefix + completion):
        return completion
    return _cut(prefix, completion) or _balanced(prefix, completion) or completion


def _cut(prefix: str, completion: str) -> str | None:
    """What follows the longest end of the prefix's last line that ``completion`` repeats,
    balanced (see :func:`_balanced`); None when no such cut parses."""
    line = prefix.rsplit("\n", 1)[-1].lstrip()
    for size in range(len(line), MIN_OVERLAP - 1, -1):
        tail = line[-size:]
        if completion.startswith(tail):
            at = 0
        elif size == len(line) and f"\n{tail}" in completion:
            at = completion.index(f"\n{tail}") + 1
        else:
            continue
        rest = completion[at + size :]
        balanced = _balanced(prefix, rest) if rest.strip() else None
        if balanced is not None:
            return balanced
    return None


MIN_OVERLAP = 3
"""Characters the repeated part must have at least (fewer match by chance: ``(_.``)."""


def _balanced(prefix: str, completion: str) -> str | None:
    """``completion`` as it is, with the brackets the code leaves open closed, or without the
    closing brackets at its end that close nothing; None when none of these parses."""
    if parses(prefix + completion):
        return completion
    closers = closing_brackets(prefix + completion)
    if closers:
        ways = [completion + closers, completion.rstrip() + "\n" + closers]
        for closed in ways[::-1] if "\n" in prefix else ways:  # the request's own layout
            if parses(prefix + closed):
                return closed
    trimmed = completion.strip()
    while closers is None and trimmed[-1:] in (")", "]", "}"):
        trimmed = trimmed[:-1].rstrip()
        if trimmed and parses(prefix + trimmed):
            return trimmed
    return None


def asked_values(completion: str, example_instruction: str, instruction: str) -> str:
    """The completion with the values its example's instruction asked for replaced by those the
    request's instruction asks for, in the order both name them: numbers and dates, and quoted
    text (a ``'gold'`` tier, an ``'a%'`` pattern), each kind as it is when the two instructions
    name different numbers of values of that kind.

    >>> asked_values(".filter(_.n >= 1).limit(20)", "at least 1 ticket, the first 20",
    ...              "at least 7 tickets, the first 5")
    '.filter(_.n >= 7).limit(5)'
    >>> asked_values(".filter(_.d >= '2024-03-01')", "after 2024-03-01", "after 2023-07-01")
    ".filter(_.d >= '2023-07-01')"
    >>> asked_values(".filter(_.name.ilike('rent%'))", "names like 'rent%'", "names like 'nick%'")
    ".filter(_.name.ilike('nick%'))"
    >>> asked_values(".limit(20)", "the first 20", "every row")
    '.limit(20)'
    """
    numbers = _paired(
        NUMBER_OR_DATE.findall(example_instruction), NUMBER_OR_DATE.findall(instruction)
    )
    if numbers:
        completion = _rewrite(completion, numbers)
    quoted = _paired(QUOTED.findall(example_instruction), QUOTED.findall(instruction))
    if quoted:
        completion = _rewrite(completion, quoted, strings_only=True)
    return completion


def _paired(theirs: list[str], ours: list[str]) -> dict[str, str]:
    """Each value the example asked for -> the request's in the same place; none when the two
    name different numbers of values, or a date where the other has a number."""
    if not theirs or len(theirs) != len(ours):
        return {}
    mapping: dict[str, str] = {}
    for old, new in zip(theirs, ours, strict=True):
        if _is_date(old) != _is_date(new):  # a date for a number: the instructions differ
            return {}
        mapping.setdefault(old, new)
    return {old: new for old, new in mapping.items() if old != new}


def _is_date(value: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
