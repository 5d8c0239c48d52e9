"""The emitted-code builder: Ibis values paired with their source text, chains, variables, layout.

Every piece the translator builds is a :class:`Code`: the Python source that a reader will see and
the live Ibis object that source evaluates to. Building both side by side lets the translator ask
the live object for types (integer division, DECIMAL averages) while it writes the text.

>>> program = Program()
>>> program.assign("big", Chain("orders", [".filter(_.o_totalprice > 100)"]))
'big'
>>> print(program.render("big"), end="")
big = orders.filter(_.o_totalprice > 100)
result = big
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ibert_inference.safe_eval.evaluator import attribute_allowed

LINE_LENGTH = 100
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Code:
    """Python source text and the Ibis object (or Python literal) it evaluates to.

    ``atomic`` says whether the text can be used as an operand or method receiver without
    parentheses; ``literal`` marks plain Python literals (``1``, ``'a'``) that Ibis coerces.
    """

    src: str
    val: Any
    atomic: bool = True
    literal: bool = False
    operator: str | None = None  # the top-level binary operator of ``src``, if any

    def operand(self) -> str:
        """The text, parenthesised when it is a compound expression."""
        return self.src if self.atomic else f"({self.src})"


def py(value: object) -> str:
    """Python literal text, preferring double quotes for strings as ruff format does."""
    if isinstance(value, str) and '"' not in value and "\\" not in value and value.isprintable():
        return f'"{value}"'
    return repr(value)


def is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.match(name)) and not keyword.iskeyword(name)


@cache
def _table_attributes() -> frozenset[str]:
    import ibis.expr.types as ir

    return frozenset(dir(ir.Table))


def column_ref(receiver: str, name: str) -> str:
    """``_.name``, or ``_["name"]`` when the name is not a Python identifier, is a table
    method's (``_.count`` is the method, not a column named count) or an attribute the safe
    evaluator refuses to read (``format``).

    >>> column_ref("_", "total"), column_ref("_", "order count"), column_ref("t", "count")
    ('_.total', '_["order count"]', 't["count"]')
    >>> column_ref("_", "format")
    '_["format"]'
    """
    if is_identifier(name) and attribute_allowed(name) and name not in _table_attributes():
        return f"{receiver}.{name}"
    return f"{receiver}[{py(name)}]"


def keyword_arg(name: str, value: str) -> str:
    """``name=value``, or ``value.name("...")`` when the name is not a Python identifier."""
    if is_identifier(name):
        return f"{name}={value}"
    return f"{value}.name({py(name)})"


def arguments(entries: list[tuple[str, str]], positional: list[str | None] | None = None) -> str:
    """Arguments naming output columns, in order: ``"a"`` for a kept column, ``b=expr`` otherwise.

    Each entry is (output name, expression source); ``positional`` gives, per entry, the text to
    use as a positional argument (default: ``"a"`` when the source is ``_.a``). Python forbids
    positional arguments after keywords, so once one column needs a keyword the rest get one too.
    """
    plain, keywords = argument_parts(entries, positional)
    return ", ".join(plain + keywords)


def argument_parts(
    entries: list[tuple[str, str]], positional: list[str | None] | None = None
) -> tuple[list[str], list[str]]:
    """:func:`arguments` as (positional arguments, keyword arguments), for callers that must
    pass the positional ones differently (``Table.agg`` takes them as one list)."""
    plain_parts: list[str] = []
    keyword_parts: list[str] = []
    for i, (name, src) in enumerate(entries):
        plain = (
            positional[i]
            if positional is not None
            else (py(name) if src == column_ref("_", name) else None)
        )
        if plain is not None and not keyword_parts:
            plain_parts.append(plain)
        elif is_identifier(name):
            keyword_parts.append(f"{name}={src}")
        elif not keyword_parts:
            plain_parts.append(f"{_operand(src)}.name({py(name)})")
        else:
            raise ValueError(f"column name {name!r} cannot follow keyword arguments")
    return plain_parts, keyword_parts


def safe_arguments(entries: list[tuple[str, str]], plain: list[str | None] | None = None) -> str:
    """:func:`arguments`, or every column as ``expr.name("...")`` when keywords cannot name them."""
    positional, keywords = safe_argument_parts(entries, plain)
    return ", ".join(positional + keywords)


def safe_argument_parts(
    entries: list[tuple[str, str]], plain: list[str | None] | None = None
) -> tuple[list[str], list[str]]:
    """:func:`argument_parts`, or every column positional as ``expr.name("...")`` when keywords
    cannot name them.

    >>> safe_argument_parts([("n", "_.count()"), ("order count", "_.x.nunique()")])
    (['_.count().name("n")', '_.x.nunique().name("order count")'], [])
    """
    try:
        return argument_parts(entries, plain)
    except ValueError:
        return [f"{_operand(src)}.name({py(name)})" for name, src in entries], []


def _operand(src: str) -> str:
    if re.match(r"^_\[\"[^\"]*\"\]$", src):
        return src
    return src if re.match(r"^[\w.\[\]\"']+(\(.*\))?$", src) else f"({src})"


@dataclass
class Chain:
    """A method chain: a receiver (``orders``) followed by calls (``.filter(...)``)."""

    base: str
    calls: list[str] = field(default_factory=list)

    def then(self, call: str) -> Chain:
        return Chain(self.base, [*self.calls, call])

    def inline(self) -> str:
        return self.base + "".join(self.calls)

    def render(self, indent: int, prefix_len: int) -> str:
        """One line when it fits, else one call per line inside parentheses."""
        flat = self.inline()
        if prefix_len + len(flat) <= LINE_LENGTH:
            return flat
        if not self.calls:
            return wrap(flat, indent)
        pad = " " * (indent + 4)
        first = self.base + self.calls[0]
        lines = [pad + _wrap_call(first, indent + 4) if len(first) < 60 else pad + self.base]
        for call in self.calls[1 if len(first) < 60 else 0 :]:
            lines.append(pad + _wrap_call(call, indent + 4))
        return "(\n" + "\n".join(lines) + "\n" + " " * indent + ")"


def _wrap_call(call: str, indent: int) -> str:
    return wrap(call, indent)


_CLOSE = {"(": ")", "[": "]", "{": "}"}


def _bracket_pairs(text: str) -> list[tuple[int, int]]:
    """(open, close) positions of the outermost brackets, skipping string literals."""
    pairs, stack, quote, i = [], [], None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in _CLOSE:
            stack.append(i)
        elif ch in ")]}" and stack:
            start = stack.pop()
            if not stack:
                pairs.append((start, i))
        i += 1
    return pairs


def wrap(text: str, indent: int) -> str:
    """Break a too-long expression inside its longest bracket pair, one argument per line."""
    if indent + len(text) <= LINE_LENGTH:
        return text
    pairs = [(a, b) for a, b in _bracket_pairs(text) if b - a > 2]
    if not pairs:
        return text
    start, end = max(pairs, key=lambda p: p[1] - p[0])
    inner = text[start + 1 : end]
    items = [item.strip() for item in split_top_level(inner)]
    pad = " " * (indent + 4)
    if len(items) == 1:
        body = pad + wrap(items[0], indent + 4)
    else:
        body = ",\n".join(pad + wrap(item, indent + 4) for item in items) + ","
    return f"{text[: start + 1]}\n{body}\n{' ' * indent}{text[end:]}"


def split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and string literals."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    if text[start:].strip():
        parts.append(text[start:])
    return parts


class Program:
    """Named assignments in order, then ``result = ...``; variable names stay unique."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Chain]] = []
        self.taken: set[str] = set()

    def reserve(self, names: set[str] | list[str]) -> None:
        self.taken.update(names)

    def fresh(self, hint: str) -> str:
        base = re.sub(r"\W", "_", hint.lower()).strip("_") or "rel"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = f"rel_{base}"
        name, n = base, 2
        while name in self.taken or name in {"ibis", "_", "result", "s"}:
            name = f"{base}_{n}"
            n += 1
        self.taken.add(name)
        return name

    def assign(self, hint: str, chain: Chain) -> str:
        name = self.fresh(hint)
        self.statements.append((name, chain))
        return name

    def render(self, final: str | Chain) -> str:
        lines = [f"{name} = {chain.render(0, len(name) + 3)}" for name, chain in self.statements]
        if isinstance(final, Chain):
            lines.append(f"result = {final.render(0, len('result = '))}")
        else:
            lines.append(f"result = {final}")
        return "\n".join(lines) + "\n"
