"""Task records from verified pairs and documentation records.

Every builder is a plain function: pairs in, records and counted drops out. A record is kept only
when its own check passes: compiled SQL for ibis_to_sql, a prefix+completion that evaluates for
code_completion, a mutant that fails with a real error while its fix verified for
error_resolution, a docstring that documents every parameter for documentation.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ibert_assets.multitask.completion import completion_cuts
from ibert_assets.multitask.mutations import OPERATORS as MUTATION_OPERATORS
from ibert_assets.multitask.task_templates import task_template
from ibert_assets.record import make_id

TASKS = ("sql_to_ibis", "ibis_to_sql", "code_completion", "error_resolution", "qa", "documentation")
DEFAULT_DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "trino")


@dataclass
class TaskBuild:
    records: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def schema_of(record: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {name: dict(t["schema"]) for name, t in record["context"]["tables"].items()}


def derived(
    pair: dict[str, Any], task: str, input: dict[str, Any], target: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """A task record derived from ``pair``: its context, provenance and group carried over."""
    meta = {**pair["meta"], "derived_from": pair["id"], "group": group_of(pair)}
    meta.update(extra.pop("meta", {}))
    return {
        **pair,
        "id": make_id(task, input, target),
        "task": task,
        "input": input,
        "target": target,
        "meta": meta,
        **extra,
    }


def group_of(record: dict[str, Any]) -> str:
    meta = record.get("meta") or {}
    if meta.get("group"):
        return str(meta["group"])
    provenance = record.get("provenance") or {}
    if provenance.get("path"):
        return f"file:{provenance.get('repo')}/{provenance['path']}"
    return f"pair:{record['id']}"


def sql_to_ibis_records(pairs: Iterable[dict[str, Any]]) -> TaskBuild:
    build = TaskBuild()
    for pair in pairs:
        if pair["task"] == "sql_to_ibis" and pair["verification"].get("status") == "verified":
            build.records.append({**pair, "meta": {**pair["meta"], "group": group_of(pair)}})
            build.counts["kept"] += 1
        else:
            build.counts["not_a_verified_pair"] += 1
    return build


def ibis_to_sql_records(
    pairs: Iterable[dict[str, Any]], dialects: Sequence[str] = DEFAULT_DIALECTS
) -> TaskBuild:
    """Ibis compiled by Ibis for several dialects; the DuckDB one was verified with the pair."""
    from ibert_inference import ibis_to_sql
    from ibert_inference.errors import IbertError

    build = TaskBuild()
    for pair in pairs:
        code = pair["target"].get("ibis") or pair["input"].get("ibis")
        if code is None:
            build.counts["no_ibis"] += 1
            continue
        schema = schema_of(pair)
        for dialect in dialects:
            try:
                sql = ibis_to_sql(code, schema, dialect=dialect)
            except IbertError as exc:
                build.counts[f"compile_failed_{dialect}"] += 1
                build.counts[f"error_{type(exc).__name__}"] += 1
                continue
            verification = {**pair["verification"], "compiled_by": "ibis", "dialect": dialect}
            build.records.append(
                derived(
                    pair,
                    "ibis_to_sql",
                    {"ibis": code, "dialect": dialect},
                    {"sql": sql},
                    dialect=dialect,
                    verification=verification,
                )
            )
            build.counts[f"kept_{dialect}"] += 1
    return build


def completion_records(pairs: Iterable[dict[str, Any]], *, per_example: int = 3) -> TaskBuild:
    """Prefixes of verified code; prefix + completion must evaluate again to count."""
    from ibert_inference import evaluate_ibis
    from ibert_inference.errors import IbertError

    template = task_template("code_completion")
    limit = int(template.get("max_cuts_per_example", per_example))
    build = TaskBuild()
    for pair in pairs:
        code = pair["target"].get("ibis")
        if not code:
            continue
        schema = schema_of(pair)
        cuts = completion_cuts(code)
        # spread the kept cuts over the code: first, middle and last boundary
        chosen = [cuts[i] for i in sorted({0, len(cuts) // 2, len(cuts) - 1})] if cuts else []
        for cut in chosen[:limit]:
            try:
                evaluate_ibis(cut.prefix + cut.completion, schema)
            except IbertError:
                build.counts["reassembly_failed"] += 1
                continue
            instruction = template["instruction"].format(tables=", ".join(schema))
            build.records.append(
                derived(
                    pair,
                    "code_completion",
                    {"prefix": cut.prefix, "instruction": instruction},
                    {"completion": cut.completion},
                    meta={"boundary": cut.boundary},
                )
            )
            build.counts[f"kept_{cut.boundary}"] += 1
    return build


def error_records(pairs: Iterable[dict[str, Any]]) -> TaskBuild:
    """Mutants that fail with a real error; the fix is the verified original."""
    from ibert_inference import evaluate_ibis
    from ibert_inference.errors import EvaluationError, IbertError

    template = task_template("error_resolution")
    wanted = set(template.get("operators", []))
    build = TaskBuild()
    for pair in pairs:
        code = pair["target"].get("ibis")
        if not code:
            continue
        schema = schema_of(pair)
        for operator in MUTATION_OPERATORS:
            if wanted and operator.__name__ not in wanted:
                continue
            mutant = operator(code, schema)
            if mutant is None:
                build.counts[f"not_applicable_{operator.__name__}"] += 1
                continue
            try:
                evaluate_ibis(mutant.code, schema)
            except EvaluationError as exc:
                error = f"{exc.error_type}: {exc}" if exc.error_type else str(exc)
            except IbertError:
                build.counts[f"unsafe_{operator.__name__}"] += 1
                continue
            else:
                build.counts[f"still_evaluates_{operator.__name__}"] += 1
                continue
            build.records.append(
                derived(
                    pair,
                    "error_resolution",
                    {"code": mutant.code, "error": error},
                    {"code": code, "change": mutant.description},
                    meta={"mutation": mutant.operator},
                )
            )
            build.counts[f"kept_{mutant.operator}"] += 1
    return build


def qa_records(pairs: Iterable[dict[str, Any]], docs: Iterable[dict[str, Any]] = ()) -> TaskBuild:
    """Documentation Q&A as mined, plus one question per template example description."""
    template = task_template("qa")
    build = TaskBuild()
    for record in docs:
        if record["task"] == "qa":
            build.records.append({**record, "meta": {**record["meta"], "group": group_of(record)}})
            build.counts["kept_docs"] += 1
    for index, pair in enumerate(pairs):
        description = (pair["meta"] or {}).get("description")
        code = pair["target"].get("ibis")
        if not description or not code:
            build.counts["no_description"] += 1
            continue
        tables = ", ".join(pair["context"]["tables"])
        phrasing = template["questions"][index % len(template["questions"])]
        values = {
            "question": description,
            "question_lower": description[0].lower() + description[1:],
            "tables": tables,
            "ibis": code,
            "sql": pair["input"].get("sql", ""),
        }
        question = phrasing.format(**values)
        answer = template["answer"].format(**values).strip()
        build.records.append(derived(pair, "qa", {"question": question}, {"answer": answer}))
        build.counts["kept_templates"] += 1
    return build


def documentation_records(
    pairs: Iterable[dict[str, Any]], docs: Iterable[dict[str, Any]] = ()
) -> TaskBuild:
    """Mined functions with complete docstrings, and template queries wrapped as functions."""
    template = task_template("documentation")
    build = TaskBuild()
    for record in docs:
        if record["task"] == "documentation":
            build.records.append({**record, "meta": {**record["meta"], "group": group_of(record)}})
            build.counts["kept_docs"] += 1
    for pair in pairs:
        description = (pair["meta"] or {}).get("description")
        code = pair["target"].get("ibis")
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
        build.records.append(
            derived(pair, "documentation", {"code": source}, {"docstring": docstring})
        )
        build.counts["kept_templates"] += 1
    return build


def wrap_as_function(
    pair: dict[str, Any], code: str, description: str, template: dict[str, Any]
) -> tuple[str, str] | None:
    """``def <family>_query(<tables>): <code>; return result`` and its generated docstring."""
    schema = schema_of(pair)
    family = re.sub(r"\W+", "_", str(pair["meta"].get("family") or "template")).strip("_")
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
    lines += ["", "Returns:", "    " + template["returns"]]
    return source, "\n".join(lines)


def docstring_documents(source: str, docstring: str) -> bool:
    """Every parameter of the function has an entry, and the return value is described."""
    import docstring_parser

    function = ast.parse(source).body[0]
    assert isinstance(function, ast.FunctionDef)
    parsed = docstring_parser.parse(docstring)
    documented = {p.arg_name for p in parsed.params}
    wanted = {a.arg for a in function.args.args} - {"self", "cls"}
    return wanted <= documented and parsed.returns is not None


def ibis_code_of(record: dict[str, Any]) -> str | None:
    return record["target"].get("ibis") or record["input"].get("ibis")


def as_pair(record: dict[str, Any]) -> dict[str, Any] | None:
    """A verified record with Ibis code, seen as a pair (mined ibis_to_sql records included)."""
    code = ibis_code_of(record)
    if code is None or (record.get("verification") or {}).get("status") != "verified":
        return None
    if record["task"] == "sql_to_ibis":
        return record
    return {**record, "target": {**record["target"], "ibis": code}}


def build_task(
    task: str,
    *,
    template_pairs: Sequence[dict[str, Any]],
    augmented_pairs: Sequence[dict[str, Any]],
    mined: Sequence[dict[str, Any]],
    docs: Sequence[dict[str, Any]],
    dialects: Sequence[str] = DEFAULT_DIALECTS,
) -> TaskBuild:
    """The records of one task, from every verified upstream record."""
    mined_pairs = [p for p in map(as_pair, mined) if p is not None]
    all_pairs = [*template_pairs, *augmented_pairs, *mined_pairs]
    if task == "sql_to_ibis":
        return sql_to_ibis_records([*template_pairs, *augmented_pairs, *mined])
    if task == "ibis_to_sql":
        # originals in every dialect; variants in DuckDB and one other, to bound compile time
        build = ibis_to_sql_records([*template_pairs, *mined_pairs], dialects)
        extra = ibis_to_sql_records(augmented_pairs, dialects[:2])
        build.records += extra.records
        build.counts.update(extra.counts)
        return build
    if task == "code_completion":
        return completion_records(all_pairs)
    if task == "error_resolution":
        return error_records(all_pairs)
    if task == "qa":
        return qa_records(template_pairs, docs)
    if task == "documentation":
        return documentation_records(template_pairs, docs)
    raise ValueError(f"unknown task {task!r}: expected one of {', '.join(TASKS)}")
