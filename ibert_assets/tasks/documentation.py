"""documentation on the Dagster side: mined functions with complete docstrings, and template
queries wrapped as functions; scored by the parameters the written docstrings cover."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ibert_assets.outcome import Outcome
from ibert_assets.tasks.canonical import one_target_per_input
from ibert_assets.tasks.common import Upstream, derived, grouped
from ibert_assets.tasks.scoring import Row, TaskScores, mean, safe, scoring_paths
from ibert_assets.tasks.task_templates import SHIPPED, TaskTemplates
from ibert_inference.dataset.record import (
    DocumentationInput,
    DocumentationTarget,
    Record,
)

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel


def documentation_records(
    pairs: Iterable[Record], docs: Iterable[Record] = (), *, templates: TaskTemplates = SHIPPED
) -> Outcome:
    """Mined functions with complete docstrings, and template queries wrapped as functions."""
    template = templates["documentation"]
    build = Outcome()
    for record in docs:
        if record.task == "documentation":
            build.keep(grouped(record), "kept_docs")
    for pair in pairs:
        description = pair.meta.description
        code = pair.ibis_code
        if not description or not code:
            continue
        function = wrap_as_function(pair, code, description, template)
        if function is None:
            build.counts["not_wrappable"] += 1
            continue
        source, docstring = function
        if not docstring_documents(source, docstring):
            build.counts["docstring_incomplete"] += 1
            continue
        build.keep(
            derived(
                pair,
                "documentation",
                DocumentationInput(code=source),
                DocumentationTarget(docstring=docstring),
            ),
            "kept_templates",
        )
    return build


def wrap_as_function(
    pair: Record, code: str, description: str, template: dict[str, Any]
) -> tuple[str, str] | None:
    """``def <family>_query(<tables>): <code>; return result`` and its generated docstring."""
    schema = pair.table_schemas
    family = re.sub(r"\W+", "_", str(pair.meta.family or "template")).strip("_")
    name = template["function_name"].format(family=family or "template")
    body = "\n".join(f"    {line}" if line else "" for line in code.splitlines())
    params = ", ".join(schema)
    source = f"def {name}({params}):\n{body}\n    return result\n"
    try:
        ast.parse(source)
    except SyntaxError:
        return None
    lines = [template["summary"].format(question=description.rstrip(".") + "."), "", "Args:"]
    for table, columns in schema.items():
        cols = ", ".join(f"{c} ({d})" for c, d in columns.items())
        lines.append("    " + template["parameter"].format(table=table, columns=cols))
    lines += ["", "Returns:", "    " + _returns_line(code, schema, template)]
    return source, "\n".join(lines)


def _returns_line(code: str, schema: dict[str, dict[str, str]], template: dict[str, Any]) -> str:
    """What this query returns: its output columns and their types (the code is evaluated
    safely to learn them); the template's generic line where it cannot be."""
    from ibert_inference.errors import IbertError
    from ibert_inference.safe_eval import output_schema

    try:
        output = output_schema(code, schema)  # in a sandbox worker
    except IbertError:
        return str(template["returns"])
    columns = ", ".join(f"{name} ({dtype})" for name, dtype in output.items())
    return str(template.get("returns_columns", template["returns"])).format(columns=columns)


def docstring_documents(source: str, docstring: str) -> bool:
    """Every parameter of the function has an entry, and the return value is described."""
    import docstring_parser

    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    parsed = docstring_parser.parse(docstring)
    documented = {p.arg_name for p in parsed.params}
    wanted = {a.arg for a in function.args.args} - {"self", "cls"}
    return wanted <= documented and parsed.returns is not None


def build(upstream: Upstream) -> Outcome:
    # one docstring per function: the same code from two families keeps the first one's
    built = documentation_records(
        upstream.written_pairs, upstream.docs, templates=upstream.templates
    )
    kept, dropped = one_target_per_input(built.records)
    built.records = kept
    built.counts["dropped_second_target"] += dropped
    return built


MODEL_METRICS: dict[str, Callable[[Row], float]] = {
    "parameter_coverage": lambda r: float(r["model"] or 0.0),
    "model_docstring_share": lambda r: float(r.get("model_source") == "model"),
}


def evaluate_documentation(
    records: list[Record], model: LanguageModel | None, store: StoreLayout | None = None
) -> TaskScores:
    import ast

    from ibert_inference.tasks.documentation import (
        document_function,
        missing_documentation,
        parameters,
    )

    scores = TaskScores("documentation")
    for record in records:
        code = record.input_as(DocumentationInput).code
        row: dict[str, Any] = {"id": record.id}
        for path, used in scoring_paths(model):
            result, error = safe(lambda: document_function(code, model=used, examples=False))  # noqa: B023
            if result is None:
                row[path], row[f"{path}_error"] = 0.0, error
                continue
            function = next(
                n
                for n in ast.walk(ast.parse(code))
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            )
            wanted = parameters(function)
            docstring = result.details.get("docstring") or ""  # none when nothing was written
            missing = missing_documentation(function, docstring, "google")
            covered = [p for p in wanted if p not in missing]
            row[path] = len(covered) / len(wanted) if wanted else 1.0
            row[f"{path}_source"] = result.source
        row.setdefault("model", None)
        scores.rows.append(row)
    scores.summary = {
        "parameter_coverage_deterministic": mean([r["deterministic"] for r in scores.rows]),
        "parameter_coverage_model": mean([r["model"] or 0.0 for r in scores.rows]),
        "model_docstring_share": mean(
            [r.get("model_source") == "model" for r in scores.rows if r.get("model") is not None]
        ),
    }
    return scores
