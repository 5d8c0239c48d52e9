"""Task ``doc``: a docstring for a Python function, checked to document every parameter and the
return value with descriptions that say something, inserted without touching the body.

What the docstring says comes from the code (``parameter_usage``), its example from an evaluation
(``doc_example``); a model's text is used only when it passes the same checks.
"""

from __future__ import annotations

import ast
import textwrap
from typing import TYPE_CHECKING, Any

from ibert_inference.errors import IbertError
from ibert_inference.model.prompts import docstring_prompt, extract_code
from ibert_inference.tasks.doc_example import Example, build_example
from ibert_inference.tasks.parameter_usage import (
    ParameterUsage,
    describe_parameters,
    describe_return,
)
from ibert_inference.tasks.result import TaskResult

if TYPE_CHECKING:
    from ibert_inference.model.language_model import LanguageModel

STYLES = ("google", "numpy")
LINE_WIDTH = 88
"""Docstring lines are wrapped to this width (before the function's own indentation)."""


def document_function(
    source: str,
    *,
    style: str = "google",
    examples: bool = True,
    model: LanguageModel | None = None,
    attempts: int = 2,
) -> TaskResult:
    """A docstring for the first function of ``source``, inserted into it.

    Without a model (or when the model's text fails the checks) the docstring is built from the
    code: types from annotations and defaults, descriptions from how each parameter is used, an
    example only when one was evaluated. A model's text is kept only when it documents every
    parameter and the return value, restates no name as a description and marks no example
    ``+SKIP``; its own examples are replaced by the evaluated one (or left out).
    """
    if style not in STYLES:
        raise IbertError(f"unknown docstring style {style!r}: use google or numpy")
    function = _first_function(source)
    example = build_example(function, describe_parameters(function)) if examples else None
    problems: list[str] = []
    if model is not None:
        demonstrations = model.demonstrations("documentation", {"code": source})
        for _ in range(attempts):
            prompt = docstring_prompt(source, style, examples, demonstrations)
            (reply,) = model.generate([prompt])
            docstring = _with_example(
                _without_examples(_clean(extract_code(reply))), example, style
            )
            found = docstring_problems(function, docstring, style)
            if not found:
                return _result(source, function, docstring, "model", problems, example)
            problems.append("; ".join(found))
    docstring = written_docstring(function, style, example)
    found = docstring_problems(function, docstring, style)
    return _result(source, function, docstring, "deterministic", problems, example, ok=not found)


def _result(
    source: str,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    docstring: str,
    origin: str,
    problems: list[str],
    example: Example | None,
    ok: bool = True,
) -> TaskResult:
    details: dict[str, Any] = {"docstring": docstring, "model_problems": problems}
    if example is not None and example.lines is None:
        details["example_left_out"] = example.reason
    return TaskResult(
        task="documentation",
        output=insert_docstring(source, function, docstring),
        verified=ok,
        source=origin,  # type: ignore[arg-type]
        details=details,
    )


def _first_function(source: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise IbertError(f"the input is not valid Python (line {exc.lineno}): {exc.msg}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return node
    raise IbertError("the input holds no function definition: give a `def ...` to document")


def parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = function.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return [n for n in names if n not in {"self", "cls"}]


def returns_value(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    if isinstance(function.returns, ast.Constant) and function.returns.value is None:
        return False
    return any(
        isinstance(node, ast.Return) and node.value is not None for node in ast.walk(function)
    ) or (function.returns is not None)


def missing_documentation(
    function: ast.FunctionDef | ast.AsyncFunctionDef, docstring: str, style: str
) -> list[str]:
    """Parameters (and the return value) the docstring does not document."""
    import docstring_parser

    if not docstring.strip():
        return ["everything"]
    try:
        parsed = docstring_parser.parse(docstring, style=_parse_style(style))
    except docstring_parser.ParseError:
        return ["a parseable docstring"]
    documented = {p.arg_name.lstrip("*") for p in parsed.params}
    missing = [p for p in parameters(function) if p not in documented]
    if returns_value(function) and parsed.returns is None:
        missing.append("the return value")
    if not parsed.short_description:
        missing.append("a summary line")
    return missing


def docstring_problems(
    function: ast.FunctionDef | ast.AsyncFunctionDef, docstring: str, style: str
) -> list[str]:
    """Why ``docstring`` is not worth keeping: gaps, names restated as descriptions, skips."""
    import docstring_parser

    problems = missing_documentation(function, docstring, style)
    if problems:
        return ["missing " + ", ".join(problems)]
    parsed = docstring_parser.parse(docstring, style=_parse_style(style))
    for param in parsed.params:
        words = param.arg_name.lstrip("*").replace("_", " ").lower()
        said = (param.description or "").strip().rstrip(".").lower()
        if said in {words, f"the {words}", f"a {words}", f"an {words}", ""}:
            problems.append(f"{param.arg_name}: the description only restates the name")
    if "+SKIP" in docstring:
        problems.append("an example is marked doctest: +SKIP instead of being runnable")
    return problems


def written_docstring(
    function: ast.FunctionDef | ast.AsyncFunctionDef, style: str, example: Example | None
) -> str:
    """A docstring from the code itself: what each parameter is used for, what comes back."""
    usages = describe_parameters(function)
    shape = describe_return(function)
    if shape.short:
        summary = f"Return {shape.short}."
    else:
        summary = function.name.replace("_", " ").strip().capitalize() + "."
    returns_text = f"{shape.phrase[0].upper()}{shape.phrase[1:]}." if shape.phrase else ""
    lines = [summary, ""]
    if style == "google":
        if usages:
            lines.append("Args:")
            for name, usage in usages.items():
                kind = f" ({usage.type})" if usage.type else ""
                lines += _wrapped(f"{name}{kind}: {usage.description}{_default_note(usage)}", 4)
            lines.append("")
        if returns_value(function):
            returns_line = f"{shape.type}: {returns_text}" if shape.type else returns_text
            lines += ["Returns:", *_wrapped(returns_line or "What the function returns.", 4), ""]
    else:
        if usages:
            lines += ["Parameters", "----------"]
            for name, usage in usages.items():
                kind = f" : {usage.type}" if usage.type else ""
                default = f", default {usage.default}" if usage.default is not None else ""
                lines += [f"{name}{kind}{default}", *_wrapped(usage.description, 4, 4)]
            lines.append("")
        if returns_value(function):
            lines += ["Returns", "-------", shape.type or "object"]
            lines += [*_wrapped(returns_text or "What the function returns.", 4, 4), ""]
    return _with_example("\n".join(lines).strip(), example, style)


def _wrapped(text: str, indent: int, hanging: int = 8) -> list[str]:
    """``text`` wrapped to the line width, continuation lines indented under it."""
    return textwrap.wrap(
        text,
        width=LINE_WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * max(indent, hanging),
        break_on_hyphens=False,
    )


def _default_note(usage: ParameterUsage) -> str:
    return f" Defaults to {usage.default}." if usage.default is not None else ""


def _with_example(docstring: str, example: Example | None, style: str) -> str:
    if example is None or example.lines is None:
        return docstring
    if style == "google":
        block = ["Examples:", *(f"    {line}" for line in example.lines)]
    else:
        block = ["Examples", "--------", *example.lines]
    return docstring.rstrip() + "\n\n" + "\n".join(block)


def _without_examples(docstring: str) -> str:
    """A model's docstring without its Examples section (only evaluated examples are kept)."""
    lines = docstring.splitlines()
    for number, line in enumerate(lines):
        if line.strip() in {"Examples:", "Example:", "Examples", "Example"}:
            return "\n".join(lines[:number]).rstrip()
    return docstring


def _parse_style(style: str) -> Any:
    import docstring_parser

    if style == "google":
        return docstring_parser.DocstringStyle.GOOGLE
    return docstring_parser.DocstringStyle.NUMPYDOC


def _clean(text: str) -> str:
    text = text.strip()
    for quote in ('"""', "'''"):
        if text.startswith(quote) and text.endswith(quote) and len(text) >= 6:
            text = text[3:-3]
    return textwrap.dedent(text).strip()


def insert_docstring(
    source: str, function: ast.FunctionDef | ast.AsyncFunctionDef, docstring: str
) -> str:
    """``source`` with ``docstring`` as the function's docstring (an old one replaced)."""
    lines = source.splitlines(keepends=True)
    first = function.body[0]
    indent = " " * first.col_offset
    body = textwrap.indent(docstring.replace('"""', '\\"\\"\\"'), indent).rstrip()
    block = (
        f'{indent}"""{body.lstrip()}\n{indent}"""\n'
        if "\n" in docstring
        else (f'{indent}"""{docstring}"""\n')
    )
    has_docstring = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    start = first.lineno - 1
    end = (first.end_lineno or first.lineno) if has_docstring else start
    if not has_docstring:
        # comments are not in the AST: the docstring goes right under the `def` header
        while start - 1 >= function.lineno and _blank_or_comment(lines[start - 1]):
            start -= 1
        end = start
    if first.lineno == function.lineno:  # `def f(): return 1` on one line: leave it as it is
        raise IbertError("a one-line function cannot take a docstring: put its body on a new line")
    return "".join(lines[:start]) + block + "".join(lines[end:])


def _blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")
