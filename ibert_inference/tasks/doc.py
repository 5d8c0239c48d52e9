"""Task ``doc``: a docstring for a Python function, checked to document every parameter and the
return value, inserted into the function without touching its body."""

from __future__ import annotations

import ast
import textwrap
from typing import Any

from ibert_inference.demonstrations import demonstrations_for
from ibert_inference.errors import IbertError
from ibert_inference.prompts import docstring_prompt, extract_code
from ibert_inference.tasks.result import TaskResult

STYLES = ("google", "numpy")


def document_function(
    source: str,
    *,
    style: str = "google",
    examples: bool = True,
    model: Any = None,
    attempts: int = 2,
) -> TaskResult:
    if style not in STYLES:
        raise IbertError(f"unknown docstring style {style!r}: use google or numpy")
    function = _first_function(source)
    problems: list[str] = []
    if model is not None:
        demonstrations = demonstrations_for(model, "documentation", {"code": source})
        for _ in range(attempts):
            prompt = docstring_prompt(source, style, examples, demonstrations)
            (reply,) = model.generate([prompt])
            docstring = _clean(extract_code(reply))
            missing = missing_documentation(function, docstring, style)
            if not missing:
                return _result(source, function, docstring, "model", problems)
            problems.append("missing " + ", ".join(missing))
    docstring = skeleton_docstring(function, style, examples)
    missing = missing_documentation(function, docstring, style)
    return _result(source, function, docstring, "deterministic", problems, ok=not missing)


def _result(
    source: str,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    docstring: str,
    origin: str,
    problems: list[str],
    ok: bool = True,
) -> TaskResult:
    return TaskResult(
        task="documentation",
        output=insert_docstring(source, function, docstring),
        verified=ok,
        source=origin,  # type: ignore[arg-type]
        details={"docstring": docstring, "model_problems": problems},
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
    parse_style = (
        docstring_parser.DocstringStyle.GOOGLE
        if style == "google"
        else docstring_parser.DocstringStyle.NUMPYDOC
    )
    try:
        parsed = docstring_parser.parse(docstring, style=parse_style)
    except docstring_parser.ParseError:
        return ["a parseable docstring"]
    documented = {p.arg_name.lstrip("*") for p in parsed.params}
    missing = [p for p in parameters(function) if p not in documented]
    if returns_value(function) and parsed.returns is None:
        missing.append("the return value")
    if not parsed.short_description:
        missing.append("a summary line")
    return missing


def skeleton_docstring(
    function: ast.FunctionDef | ast.AsyncFunctionDef, style: str, examples: bool
) -> str:
    """A complete docstring from the signature alone: types and defaults, nothing invented."""
    annotations = {
        a.arg: ast.unparse(a.annotation)
        for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)
        if a.annotation is not None
    }
    defaults = _defaults(function)
    summary = function.name.replace("_", " ").strip().capitalize() + "."
    returns = ast.unparse(function.returns) if function.returns is not None else "object"
    lines = [summary, ""]
    if style == "google":
        if parameters(function):
            lines.append("Args:")
            for name in parameters(function):
                kind = f" ({annotations[name]})" if name in annotations else ""
                default = f" Defaults to {defaults[name]}." if name in defaults else ""
                lines.append(f"    {name}{kind}: The {name.replace('_', ' ')}.{default}")
            lines.append("")
        if returns_value(function):
            lines += ["Returns:", f"    {returns}: The result of {function.name}.", ""]
        if examples:
            lines += ["Examples:", f"    >>> {function.name}(...)  # doctest: +SKIP", ""]
    else:
        if parameters(function):
            lines += ["Parameters", "----------"]
            for name in parameters(function):
                kind = annotations.get(name, "object")
                default = f", default {defaults[name]}" if name in defaults else ""
                lines += [f"{name} : {kind}{default}", f"    The {name.replace('_', ' ')}."]
            lines.append("")
        if returns_value(function):
            lines += ["Returns", "-------", returns, f"    The result of {function.name}.", ""]
        if examples:
            lines += ["Examples", "--------", f">>> {function.name}(...)  # doctest: +SKIP", ""]
    return "\n".join(lines).strip()


def _defaults(function: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, str]:
    args = function.args
    positional = [*args.posonlyargs, *args.args]
    found = {
        arg.arg: ast.unparse(default)
        for arg, default in zip(
            positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
        )
    }
    found |= {
        arg.arg: ast.unparse(default)
        for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is not None
    }
    return found


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
