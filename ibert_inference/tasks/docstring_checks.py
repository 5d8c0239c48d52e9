"""The checks a docstring must pass before ``doc`` writes it: every parameter and the return
value documented, and no sentence that only restates a name or says nothing.

A sentence restates a name when its words, once generic ones ("the", "function", "value",
"used", ...) are left out, are all words of the name: "Conversion rate." for
``conversion_rate``, "Slugify." for ``slugify``, "The days." for ``days``. A sentence left with
no word at all ("Used by the function.", "What the function returns.") says nothing.

>>> says_nothing_new("Conversion rate.", "conversion_rate")
True
>>> says_nothing_new("Used by the function.", "days")
True
>>> says_nothing_new("Number of days back from today to keep.", "days")
False
"""

from __future__ import annotations

import ast
import re
from typing import Any

Function = ast.FunctionDef | ast.AsyncFunctionDef

UNKNOWN = "Description unknown."
"""What ``doc`` writes where the code does not say what a thing is: the truth, to be filled in."""

_GENERIC = frozenset({
    "a", "an", "the", "of", "to", "by", "for", "in", "on", "is", "are", "be", "this", "that",
    "it", "its", "and", "or", "with", "as", "which", "what", "used", "use", "uses", "function",
    "method", "value", "values", "parameter", "parameters", "argument", "arguments", "return",
    "returns", "returned", "result", "input", "output", "object", "given", "passed", "data",
})  # fmt: skip
_DEFAULTS = re.compile(r"\s*Defaults? to .*$", re.IGNORECASE | re.DOTALL)
_WORD = re.compile(r"[a-z0-9]+")


def says_nothing_new(text: str | None, name: str) -> bool:
    """True when ``text`` restates ``name`` or says nothing at all (see the module doc)."""
    content = _words(_DEFAULTS.sub("", text or "")) - _GENERIC
    return content <= _words(_split_name(name))


def is_unknown(text: str | None) -> bool:
    return (text or "").strip().startswith(UNKNOWN)


def parameters(function: Function) -> list[str]:
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return [n for n in names if n not in {"self", "cls"}]


def returns_value(function: Function) -> bool:
    if isinstance(function.returns, ast.Constant) and function.returns.value is None:
        return False
    return any(
        isinstance(node, ast.Return) and node.value is not None for node in ast.walk(function)
    ) or (function.returns is not None)


def missing_documentation(function: Function, docstring: str, style: str) -> list[str]:
    """Parameters (and the return value) the docstring does not document."""
    import docstring_parser

    if not docstring.strip():
        return ["everything"]
    try:
        parsed = docstring_parser.parse(docstring, style=parse_style(style))
    except docstring_parser.ParseError:
        return ["a parseable docstring"]
    documented = {p.arg_name.lstrip("*") for p in parsed.params}
    missing = [p for p in parameters(function) if p not in documented]
    if returns_value(function) and parsed.returns is None:
        missing.append("the return value")
    if not parsed.short_description:
        missing.append("a summary line")
    return missing


def undescribed(function: Function, docstring: str, style: str) -> tuple[list[str], list[str]]:
    """What the docstring does not describe: (restated or empty descriptions, unknown ones).

    Both name the part: ``summary``, a parameter's name, ``return value``.
    """
    import docstring_parser

    parsed = docstring_parser.parse(docstring, style=parse_style(style))
    parts: list[tuple[str, str | None, str]] = [
        ("summary", parsed.short_description, function.name)
    ]
    parts += [
        (p.arg_name.lstrip("*"), p.description, p.arg_name.lstrip("*")) for p in parsed.params
    ]
    if parsed.returns is not None:
        parts.append(("return value", parsed.returns.description, function.name))
    restated, unknown = [], []
    for part, text, name in parts:
        if is_unknown(text):
            unknown.append(part)
        elif says_nothing_new(text, name):
            restated.append(part)
    return restated, unknown


def docstring_problems(function: Function, docstring: str, style: str) -> list[str]:
    """Why ``docstring`` is not worth keeping: gaps, restated names, unknowns, skipped examples."""
    problems = missing_documentation(function, docstring, style)
    if problems:
        return ["missing " + ", ".join(problems)]
    restated, unknown = undescribed(function, docstring, style)
    problems = [f"{part}: the description only restates the name" for part in restated]
    problems += [f"{part}: the description is unknown" for part in unknown]
    if "+SKIP" in docstring:
        problems.append("an example is marked doctest: +SKIP instead of being runnable")
    return problems


def parse_style(style: str) -> Any:
    import docstring_parser

    if style == "google":
        return docstring_parser.DocstringStyle.GOOGLE
    return docstring_parser.DocstringStyle.NUMPYDOC


def _split_name(name: str) -> str:
    """``conversion_rate`` and ``conversionRate`` as words."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ")


def _words(text: str) -> set[str]:
    return {_singular(word) for word in _WORD.findall(text.lower())}


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
