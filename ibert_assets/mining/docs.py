"""Documentation examples: Q&A from page sections, code examples with their explanation, and
function/docstring pairs from public functions. Everything is parsed, nothing is run.

Answers are cleaned of Quarto and notebook markup (``:::`` divs, ``#|`` cell options, ``# <1>``
code annotations, shortcodes); an answer without Ibis code, or whose code is about another
library, is kept as a reject with its reason (``DocExample.rejected``). Documentation targets
come from public functions outside tests.
"""

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
    rejected: str | None = None  # why the example is not training data, if it is not


_QUARTO_DIV = re.compile(r"^\s*:::+.*$", re.MULTILINE)
_CELL_OPTION = re.compile(r"^\s*#\|.*\n?", re.MULTILINE)
_ANNOTATION = re.compile(r"\s*# <\d+>\s*$", re.MULTILINE)
_SHORTCODE = re.compile(r"\{\{<.*?>\}\}", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ATTRIBUTES = re.compile(r"\s*\{[.#][^}]*\}")
# code that shows another library, not Ibis
_FOREIGN = re.compile(
    r"\bimport pandas\b|\bpd\.|\bimport polars\b|\bpl\.|\.jar\b|\bspark\.|\bsc\.|\bmvn\b"
)
_IBIS = re.compile(r"\bibis\b|(?<![\w.])_\.\w|\.group_by\(|\.order_by\(|\.mutate\(")
_CODE_BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def clean_markup(text: str) -> str:
    r"""``text`` without Quarto/notebook markup, blank-line runs folded.

    >>> clean_markup("::: {.callout-note}\nNote this.\n:::\n```python\n#| code-fold: true\nt.count()  # <1>\n```")
    'Note this.\n\n```python\nt.count()\n```'
    """  # noqa: E501
    for pattern in (_SHORTCODE, _HTML_COMMENT, _QUARTO_DIV, _CELL_OPTION, _ANNOTATION):
        text = pattern.sub("", text)
    text = _ATTRIBUTES.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def answer_problem(answer: str) -> str | None:
    """Why ``answer`` cannot teach Ibis (no Ibis code, code of another library); None if it can."""
    blocks = [code for language, code in _CODE_BLOCK.findall(answer) if language != "sql"]
    if not blocks:
        return "no_ibis_code: the answer shows no Python code using Ibis"
    code = "\n".join(blocks)
    if not _IBIS.search(code):
        foreign = _FOREIGN.search(code)
        if foreign:
            return f"not_about_ibis: the code uses {foreign.group(0).strip()!r}, not Ibis"
        return "no_ibis_code: the code calls nothing from Ibis"
    return None


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
    code: list[tuple[str, str]]
    heading, heading_line, prose, code = "", 1, [], []
    last_paragraph = ""
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            yield from _section(heading, heading_line, prose, code, path, token)
            heading = tokens[index + 1].content.strip()
            heading_line = (token.map or [0])[0] + 1
            prose, code, last_paragraph = [], [], ""
        elif token.type == "inline" and tokens[index - 1].type == "paragraph_open":
            last_paragraph = clean_markup(token.content)
            if last_paragraph:
                prose.append(last_paragraph)
        elif token.type == "fence" and token.map:
            language = token.info.strip().strip("{}").split(",")[0].split(" ")[0].lower()
            content = clean_markup(token.content)
            if language in {"python", "sql"} and content:
                code.append((language, content))
                if len(last_paragraph) >= 30 and _WORD.search(last_paragraph):
                    lines = (token.map[0] + 1, token.map[1])
                    meta: dict[str, object] = {"language": language, "section": heading}
                    yield _code_example(last_paragraph, language, content, path, lines, meta)
    yield from _section(heading, heading_line, prose, code, path, None)


def _code_example(
    explanation: str,
    language: str,
    code: str,
    path: str,
    lines: tuple[int, int],
    meta: dict[str, object],
) -> DocExample:
    """A code example as a question and its answer: the prose before the code asks for it (as a
    request), the code block answers."""
    answer = f"```{language}\n{code}\n```"
    return DocExample(
        task="qa",
        kind="code_example",
        input={"question": _as_request(clean_markup(explanation))},
        target={"answer": answer},
        path=path,
        line_start=lines[0],
        line_end=lines[1],
        meta=meta,
        rejected=answer_problem(answer),
    )


def _section(heading, line, prose, code, path, next_token) -> Iterator[DocExample]:
    answer = "\n\n".join(prose).strip()
    if not heading or len(answer) < MIN_ANSWER_CHARS:
        return
    python = [content for language, content in code if language == "python"]
    if python:
        answer = f"{answer}\n\n```python\n{python[0]}\n```"
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
        rejected=answer_problem(answer[:MAX_ANSWER_CHARS]),
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
        "calculate", "count", "keep", "list", "merge", "pivot", "remove", "show", "sum",
    }
)  # fmt: skip


def _as_request(paragraph: str) -> str:
    """The question a reader of this explanation had, asked the way people ask it.

    >>> _as_request("To keep only large orders, pass a predicate to filter.")
    'How do I keep only large orders in Ibis?'
    >>> _as_request("Compute the mean of each group with agg:")
    'How do I compute the mean of each group with agg in Ibis?'
    >>> _as_request("Here is a query that selects recent, large payments")
    'How do I write a query that selects recent, large payments in Ibis?'
    """
    sentence = re.split(r"(?<=[.!?:])\s", paragraph.strip(), maxsplit=1)[0].rstrip(":.!")
    sentence = re.sub(r"[`*]", "", sentence)
    purpose = re.match(r"(?i)to (\w.*?),", sentence)
    if purpose:
        return _in_ibis(f"How do I {purpose.group(1)}")
    first = sentence.split(" ", 1)[0].lower()
    if first in _IMPERATIVES:
        return _in_ibis(f"How do I {sentence[0].lower()}{sentence[1:]}")
    shown = re.match(r"(?i)(?:here is|here's|this is|the following is|below is) (an? .*)", sentence)
    if shown:
        return _in_ibis(f"How do I write {shown.group(1)}")
    return f"Show me Ibis code for this: {sentence}"


def _in_ibis(question: str) -> str:
    return f"{question}?" if "ibis" in question.lower() else f"{question} in Ibis?"


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
            code, lines = clean_markup(cell["source"]), (index + 1, index + 1)
            yield _code_example(explanation, "python", code, path, lines, {"cell": index})
            explanation = ""


def function_docstrings(text: str, path: str) -> Iterator[DocExample]:
    """Public functions whose docstring names every parameter: (code sans docstring, docstring).

    Tests and test helpers document nothing a user calls: their files are skipped, and so are
    ``test_*`` functions and private ones (``_helper``).
    """
    if _is_test_file(path):
        return
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    lines = text.splitlines()
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith(
            ("_", "test")
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


def _is_test_file(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or any(part in {"tests", "test", "testing"} for part in parts[:-1])
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
