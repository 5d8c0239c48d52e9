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
from collections.abc import Sequence
from dataclasses import dataclass

from ibert_inference.model.demonstrations import instruction_words
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


def _tokens(code: str) -> list[Token]:
    """The code's tokens without layout; as many as can be read when the code is cut short."""
    found: list[Token] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type not in _LAYOUT and token.type != tokenize.ENDMARKER:
                found.append(Token(token.type, token.string))
    except (tokenize.TokenError, SyntaxError):
        pass  # an unclosed bracket at the end: the tokens before it are what counts
    return found


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
) -> str | None:
    """The example's completion written for the request's prefix and schema; None when one of
    its tables or columns has no counterpart there."""
    mapping = aligned_names(example_prefix, example_schema, prefix, schema)
    example_columns = {c: d for table in example_schema.values() for c, d in table.items()}
    taken = set(mapping.values())
    unpaired_tables = [t for t in schema if t not in taken]
    tokens = _tokens(example_completion)
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
    return _rewrite(example_completion, mapping)


def _rewrite(code: str, mapping: dict[str, str]) -> str:
    """``code`` with each mapped name (an identifier, or a string literal's whole content)
    replaced, its spacing and quoting kept."""
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
    if token.kind == tokenize.NAME and token.text in mapping:
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
    examples whose instructions ask for the most similar thing first."""
    wanted = instruction_words(instruction, schema)

    def similarity(example: ExampleCompletion) -> float:
        words = instruction_words(example.instruction, example.schema)
        return len(wanted & words) / (len(wanted | words) or 1)

    ranked = sorted(enumerate(examples), key=lambda pair: (-similarity(pair[1]), pair[0]))
    found: dict[str, AdaptedCompletion] = {}
    for _, example in ranked:
        written = adapt_completion(
            example.prefix, example.completion, example.schema, prefix, schema, instruction
        )
        if written is not None and written.strip() and written not in found:
            found[written] = AdaptedCompletion(written, example.example_id, example.template)
        if len(found) >= limit:
            break
    return list(found.values())
