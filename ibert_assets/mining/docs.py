"""Documentation examples: Q&A from page sections, code examples with their explanation, and
function/docstring pairs from public functions. Everything is parsed, nothing is run."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ibert_assets.mining.files import SourceFile

MIN_ANSWER_CHARS = 80
MAX_ANSWER_CHARS = 2_000
_WORD = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class DocExample:
    """One documentation-derived example before it becomes a record."""

    task: str  # "qa" | "documentation"
    kind: str  # section_qa | code_example | function_docstring
    input: dict[str, str]
    target: dict[str, str]
    path: str
    line_start: int
    line_end: int
    meta: dict[str, object] = field(default_factory=dict)


def doc_examples_from_file(source: SourceFile) -> Iterator[DocExample]:
    """Every documentation example of one file."""
    if source.suffix in {".md", ".qmd"}:
        yield from examples_from_markdown(source.text, source.path)
    elif source.suffix == ".py":
        yield from function_docstrings(source.text, source.path)
    elif source.suffix == ".ipynb":
        yield from examples_from_notebook(source.text, source.path)


def examples_from_markdown(text: str, path: str) -> Iterator[DocExample]:
    """Sections become Q&A; each code block with the paragraph before it becomes a code example."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(_strip_front_matter(text))
    prose: list[str]
    code: list[str]
    heading, heading_line, prose, code = "", 1, [], []
    last_paragraph = ""
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            yield from _section(heading, heading_line, prose, code, path, token)
            heading = tokens[index + 1].content.strip()
            heading_line = (token.map or [0])[0] + 1
            prose, code, last_paragraph = [], [], ""
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            last_paragraph = token.content.strip()
            prose.append(last_paragraph)
        elif token.type == "fence" and token.map:
            language = token.info.strip().strip("{}").split(",")[0].split(" ")[0].lower()
            if language in {"python", "sql"} and token.content.strip():
                code.append(token.content.strip())
                if len(last_paragraph) >= 30 and _WORD.search(last_paragraph):
                    yield DocExample(
                        task="qa",
                        kind="code_example",
                        input={"question": _as_request(last_paragraph)},
                        target={"answer": f"```{language}\n{token.content.strip()}\n```"},
                        path=path,
                        line_start=token.map[0] + 1,
                        line_end=token.map[1],
                        meta={"language": language, "section": heading},
                    )
    yield from _section(heading, heading_line, prose, code, path, None)


def _section(heading, line, prose, code, path, next_token) -> Iterator[DocExample]:
    answer = "\n\n".join(prose).strip()
    if not heading or len(answer) < MIN_ANSWER_CHARS:
        return
    if code:
        answer = f"{answer}\n\n```python\n{code[0]}\n```"
    end = (next_token.map or [line])[0] if next_token is not None else line + answer.count("\n") + 1
    yield DocExample(
        task="qa",
        kind="section_qa",
        input={"question": question_for_heading(heading)},
        target={"answer": answer[:MAX_ANSWER_CHARS]},
        path=path,
        line_start=line,
        line_end=max(end, line),
        meta={"section": heading},
    )


def question_for_heading(heading: str) -> str:
    """A question a reader would ask to land on this section.

    >>> question_for_heading("Filtering rows")
    'How does filtering rows work in Ibis?'
    >>> question_for_heading("Install Ibis")
    'How do I install Ibis?'
    """
    heading = re.sub(r"[`*_]", "", heading).strip().rstrip(":.")
    if heading.endswith("?"):
        return heading
    first = heading.split(" ", 1)[0]
    lowered = heading[0].lower() + heading[1:]
    if first.lower().endswith("ing"):
        return f"How does {lowered} work in Ibis?"
    if first.lower() in _IMPERATIVES:
        return (
            f"How do I {lowered}?" if "ibis" in heading.lower() else f"How do I {lowered} in Ibis?"
        )
    return f"What should I know about {heading} in Ibis?"


_IMPERATIVES = frozenset(
    {
        "add", "aggregate", "apply", "build", "cast", "change", "compute", "connect", "convert",
        "create", "define", "drop", "filter", "find", "group", "handle", "install", "join", "load",
        "make", "read", "register", "rename", "run", "select", "sort", "use", "write",
    }
)  # fmt: skip


def _as_request(paragraph: str) -> str:
    sentence = re.split(r"(?<=[.!?:])\s", paragraph.strip(), maxsplit=1)[0].rstrip(":")
    return f"Show Ibis code for this: {sentence}"


def _strip_front_matter(text: str) -> str:
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            # keep line numbers: replace the front matter with as many blank lines
            return "\n" * text[: end + 4].count("\n") + text[end + 4 :]
    return text


def examples_from_notebook(text: str, path: str) -> Iterator[DocExample]:
    """Markdown cells followed by code cells become code examples."""
    import nbformat

    try:
        notebook = nbformat.reads(text, as_version=4)
    except Exception:  # malformed notebooks are counted by the snippet pass
        return
    explanation = ""
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") == "markdown":
            explanation = " ".join(cell.get("source", "").split())
        elif cell.get("cell_type") == "code" and explanation and cell.get("source", "").strip():
            yield DocExample(
                task="qa",
                kind="code_example",
                input={"question": _as_request(explanation)},
                target={"answer": f"```python\n{cell['source'].strip()}\n```"},
                path=path,
                line_start=index + 1,
                line_end=index + 1,
                meta={"cell": index},
            )
            explanation = ""


def function_docstrings(text: str, path: str) -> Iterator[DocExample]:
    """Public functions whose docstring names every parameter: (code sans docstring, docstring)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    lines = text.splitlines()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith(
            "_"
        ):
            continue
        docstring = ast.get_docstring(node, clean=True)
        if not docstring or len(docstring) < 40 or not documents_parameters(node, docstring):
            continue
        body_start = node.body[1].lineno if len(node.body) > 1 else None
        if body_start is None:
            continue  # a function that is only a docstring documents nothing
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        signature = lines[first - 1 : node.body[0].lineno - 1]
        body = lines[body_start - 1 : node.end_lineno]
        code = "\n".join(_dedent_block(signature + body))
        yield DocExample(
            task="documentation",
            kind="function_docstring",
            input={"code": code, "function": node.name},
            target={"docstring": docstring},
            path=path,
            line_start=first,
            line_end=node.end_lineno or node.lineno,
            meta={"parameters": _parameters(node)},
        )


def _parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return [n for n in names if n not in {"self", "cls"}]


def documents_parameters(node: ast.FunctionDef | ast.AsyncFunctionDef, docstring: str) -> bool:
    """Every parameter is named in the docstring (numpy, google and sphinx styles all name them)."""
    return all(re.search(rf"\b{re.escape(name)}\b", docstring) for name in _parameters(node))


def _dedent_block(lines: list[str]) -> list[str]:
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return [line[cut:] for line in lines]
