"""Task ``doc``: docstrings for the functions of a Python file, checked to document every
parameter and the return value with descriptions that say something, inserted without touching
the bodies.

Every function of the file is documented (top-level functions and methods; not functions nested
in other functions), or only the one named. A function that already has a docstring keeps it
unless a new one is asked for (``replace``). What a docstring says comes from the code
(``parameter_usage``), its example from an evaluation (``doc_example``); where the code does not
say what a thing is, the docstring says the description is unknown rather than restate a name
(``docstring_checks``). A model's text is used only when it passes the same checks.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ibert_inference.errors import IbertError
from ibert_inference.model.prompts import docstring_prompt, extract_code
from ibert_inference.tasks.doc_example import Example, build_example
from ibert_inference.tasks.docstring_checks import (
    UNKNOWN,
    Function,
    docstring_problems,
    missing_documentation,
    parameters,
    returns_value,
    says_nothing_new,
    undescribed,
)
from ibert_inference.tasks.parameter_usage import (
    ParameterUsage,
    describe_parameters,
    describe_return,
)
from ibert_inference.tasks.result import TaskResult

__all__ = [
    "STYLES",
    "docstring_problems",
    "document_function",
    "insert_docstring",
    "missing_documentation",
    "parameters",
    "returns_value",
    "written_docstring",
]

if TYPE_CHECKING:
    from ibert_inference.model.language_model import LanguageModel

STYLES = ("google", "numpy")
LINE_WIDTH = 88
"""Docstring lines are wrapped to this width (before the function's own indentation)."""
MODEL_HINT = "or let a model try: drop --no-model (or pass model=) with one installed"


@dataclass
class Documented:
    """What ``doc`` did with one function: its new docstring and how it was checked, or why it
    was left as it was."""

    name: str
    docstring: str | None = None
    source: str = "deterministic"
    problems: list[str] = field(default_factory=list)
    model_problems: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    example_evaluated: bool = False
    example_left_out: str | None = None
    kept: str | None = None


def document_function(
    source: str,
    *,
    style: str = "google",
    examples: bool = True,
    model: LanguageModel | None = None,
    attempts: int = 2,
    function: str | None = None,
    replace: bool = False,
) -> TaskResult:
    """Docstrings for every function of ``source`` (or the one named ``function``), inserted.

    Without a model (or when the model's text fails the checks) a docstring is built from the
    code: types from annotations and defaults, descriptions from how each parameter is used, an
    example only when one was evaluated, and "Description unknown." where the code does not
    say. A model's text is kept only when it documents every parameter and the return value,
    restates no name and marks no example ``+SKIP``; its own examples are replaced by the
    evaluated one (or left out). ``details["functions"]`` says what happened to each function.
    """
    if style not in STYLES:
        raise IbertError(f"unknown docstring style {style!r}: use google or numpy")
    functions = _functions(_parse(source), function)
    output = source
    done: list[Documented] = []
    # last function first: inserting lines leaves the positions of the earlier ones as they are
    for qualified, node in sorted(functions, key=lambda item: -item[1].lineno):
        outcome = Documented(qualified)
        done.insert(0, outcome)
        if ast.get_docstring(node) is not None and not replace:
            outcome.kept = "it has a docstring (--replace writes a new one)"
            continue
        if node.body[0].lineno == node.lineno:
            outcome.kept = "a one-line function cannot take a docstring"
            continue
        _document(node, source, style, examples and "." not in qualified, model, attempts, outcome)
        if examples and "." in qualified:
            outcome.example_left_out = "a method's example would need an instance of its class"
        output = insert_docstring(output, node, outcome.docstring or "")
    return _result(output, done, source)


def _document(
    function: Function,
    source: str,
    style: str,
    examples: bool,
    model: LanguageModel | None,
    attempts: int,
    outcome: Documented,
) -> None:
    example = build_example(function, describe_parameters(function)) if examples else None
    if example is not None:
        outcome.example_evaluated = example.lines is not None
        outcome.example_left_out = example.reason if example.lines is None else None
    if model is not None:
        code = ast.get_source_segment(source, function, padded=True) or ast.unparse(function)
        code = textwrap.dedent(code)
        demonstrations = model.demonstrations("documentation", {"code": code})
        for _ in range(attempts):
            prompt = docstring_prompt(code, style, examples, demonstrations)
            (reply,) = model.generate([prompt])
            docstring = _with_example(
                _without_examples(_clean(extract_code(reply))), example, style
            )
            found = docstring_problems(function, docstring, style)
            if not found:
                outcome.docstring, outcome.source = docstring, "model"
                return
            outcome.model_problems.append("; ".join(found))
    outcome.docstring = written_docstring(function, style, example)
    outcome.problems = docstring_problems(function, outcome.docstring, style)
    outcome.unknown = undescribed(function, outcome.docstring, style)[1]


def _result(output: str, done: list[Documented], source: str) -> TaskResult:
    written = [d for d in done if d.docstring is not None]
    details: dict[str, Any] = {"functions": [_as_details(d) for d in done]}
    if not written:
        kept = "; ".join(f"{d.name}: {d.kept}" for d in done)
        details["reason"] = f"no docstring written: {kept}"
        return TaskResult("documentation", "", None, "none", details)
    first = written[0]  # one function: its docstring and problems, as before
    details |= {"docstring": first.docstring, "model_problems": first.model_problems}
    if first.example_left_out:
        details["example_left_out"] = first.example_left_out
    unknown = [f"{d.name}: {', '.join(d.unknown)}" for d in written if d.unknown]
    other = [f"{d.name}: {p}" for d in written for p in d.problems if "unknown" not in p]
    checks = {
        "documents_every_parameter": not any(p.startswith("missing") for d in written
                                             for p in d.problems),
        "describes_everything": not any(d.problems for d in written),
    }  # fmt: skip
    if any(d.example_evaluated for d in written):
        checks["example_evaluated"] = True
    if unknown or other:
        what = "; ".join(other + [f"descriptions unknown ({u})" for u in unknown])
        details["reason"] = (
            f"{what}: the docstring says {UNKNOWN!r} where the code does not tell; write them in, "
            f"{MODEL_HINT}"
        )
    origin = "model" if any(d.source == "model" for d in written) else "deterministic"
    return TaskResult("documentation", output, None, origin, details, checks)  # type: ignore[arg-type]


def _as_details(done: Documented) -> dict[str, Any]:
    return {key: value for key, value in vars(done).items() if value not in (None, [], False)}


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise IbertError(f"the input is not valid Python (line {exc.lineno}): {exc.msg}") from None


def _functions(tree: ast.Module, wanted: str | None) -> list[tuple[str, Function]]:
    """Top-level functions and methods of classes (at any depth), with qualified names."""
    found: list[tuple[str, Function]] = []

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((prefix + node.name, node))
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")

    visit(tree.body, "")
    if not found:
        raise IbertError("the input holds no function definition: give a `def ...` to document")
    if wanted is None:
        return found
    named = [(q, f) for q, f in found if wanted in (q, f.name)]
    if not named:
        names = ", ".join(q for q, _ in found)
        raise IbertError(f"no function named {wanted!r} in the input; it has: {names}")
    return named


def written_docstring(function: Function, style: str, example: Example | None) -> str:
    """A docstring from the code itself: what each parameter is used for, what comes back.

    Where the code does not say (no use tells what a parameter is, a result that is no method
    chain and no short expression) the docstring says :data:`UNKNOWN`, never a restated name.
    """
    usages = describe_parameters(function)
    shape = describe_return(function)
    returned = _returned_code(function)
    if shape.short:
        summary = f"Return {shape.short}."
    elif returned:
        summary = f"Return `{returned}`."
    else:
        summary = UNKNOWN
    if shape.phrase:
        returns_text = f"{shape.phrase[0].upper()}{shape.phrase[1:]}."
    else:
        returns_text = f"The value of `{returned}`." if returned else UNKNOWN
    descriptions = {
        name: UNKNOWN if says_nothing_new(usage.description, name) else usage.description
        for name, usage in usages.items()
    }
    lines = [summary, ""]
    if style == "google":
        if usages:
            lines.append("Args:")
            for name, usage in usages.items():
                kind = f" ({usage.type})" if usage.type else ""
                text = f"{name}{kind}: {descriptions[name]}{_default_note(usage)}"
                lines += _wrapped(text, 4)
            lines.append("")
        if returns_value(function):
            returns_line = f"{shape.type}: {returns_text}" if shape.type else returns_text
            lines += ["Returns:", *_wrapped(returns_line, 4), ""]
    else:
        if usages:
            lines += ["Parameters", "----------"]
            for name, usage in usages.items():
                kind = f" : {usage.type}" if usage.type else ""
                default = f", default {usage.default}" if usage.default is not None else ""
                lines += [f"{name}{kind}{default}", *_wrapped(descriptions[name], 4, 4)]
            lines.append("")
        if returns_value(function):
            lines += ["Returns", "-------", shape.type or "object"]
            lines += [*_wrapped(returns_text, 4, 4), ""]
    return _with_example("\n".join(lines).strip(), example, style)


def _returned_code(function: Function, longest: int = 60) -> str | None:
    """The returned expression's source when it is short and more than a name."""
    returns = [n for n in ast.walk(function) if isinstance(n, ast.Return) and n.value is not None]
    if len(returns) != 1 or isinstance(returns[0].value, ast.Name | ast.Constant):
        return None
    text = ast.unparse(returns[0].value)  # type: ignore[arg-type]
    return text if len(text) <= longest else None


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


def _clean(text: str) -> str:
    text = text.strip()
    for quote in ('"""', "'''"):
        if text.startswith(quote) and text.endswith(quote) and len(text) >= 6:
            text = text[3:-3]
    return textwrap.dedent(text).strip()


def insert_docstring(source: str, function: Function, docstring: str) -> str:
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
