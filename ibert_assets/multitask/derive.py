"""Task records from verified pairs and documentation records.

Every builder is a plain function: pairs in, records and counted drops out. A record is kept only
when its own check passes: compiled SQL for ibis_to_sql, a prefix+completion that evaluates for
code_completion, a mutant that fails with a real error while its fix verified for
error_resolution, a docstring that documents every parameter for documentation.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from typing import Any

from ibert_assets.multitask.canonical import canonical_style, one_target_per_input
from ibert_assets.multitask.completion import completion_cuts
from ibert_assets.multitask.mutations import OPERATORS as MUTATION_OPERATORS
from ibert_assets.multitask.task_templates import SHIPPED, TaskTemplates
from ibert_assets.outcome import Outcome
from ibert_assets.quality import task_input_key
from ibert_assets.splits.assign import group_key
from ibert_inference.dataset.record import TASKS, VERIFIED, Record, Task, make_id

DEFAULT_DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "trino")


def derived(
    pair: Record,
    task: Task,
    input: dict[str, Any],
    target: dict[str, Any],
    *,
    meta: dict[str, Any] | None = None,
    **changes: Any,
) -> Record:
    """A task record derived from ``pair``: its context, provenance and group carried over."""
    meta_changes = {"derived_from": pair.id, "group": group_key(pair), **(meta or {})}
    return pair.replace(
        id=make_id(task, input, target),
        task=task,
        input=input,
        target=target,
        meta=pair.meta.model_copy(update=meta_changes),
        **changes,
    )


def grouped(record: Record) -> Record:
    """``record`` as it is, its split group written into its meta."""
    return record.with_meta(group=group_key(record))


def sql_to_ibis_records(pairs: Iterable[Record]) -> Outcome:
    """Verified pairs in the canonical Ibis style, one target per SQL input (templates win
    over augmented variants, which win over mined pairs): a model never learns two answers."""
    build = Outcome()
    candidates = []
    for pair in pairs:
        if pair.task != "sql_to_ibis" or pair.status != VERIFIED:
            build.counts["not_a_verified_pair"] += 1
            continue
        code = pair.target["ibis"]
        restyled = canonical_style(code)
        if restyled != code:
            build.counts["restyled"] += 1
            target = {**pair.target, "ibis": restyled}
            pair = pair.replace(id=make_id(pair.task, pair.input, target), target=target)
        candidates.append(pair)
    kept, dropped = one_target_per_input(candidates)
    build.counts["dropped_second_target"] += dropped
    for chosen in kept:
        build.keep(grouped(chosen), "kept")
    return build


def ibis_to_sql_records(
    pairs: Iterable[Record], dialects: Sequence[str] = DEFAULT_DIALECTS
) -> Outcome:
    """Ibis compiled by Ibis for several dialects; the DuckDB one was verified with the pair.

    The DuckDB SQL that ran when the pair was verified is taken as it is; for the other
    dialects the code is evaluated once, in a sandbox worker, and compiled for each.
    """
    from ibert_inference.compiler import compile_dialects
    from ibert_inference.errors import IbertError

    build = Outcome()
    for pair in pairs:
        code = ibis_code_of(pair)
        if code is None:
            build.counts["no_ibis"] += 1
            continue
        known = pair.verification.compiled_sql if pair.verification else None
        others = [dialect for dialect in dialects if dialect != "duckdb" or known is None]
        try:
            compiled = compile_dialects(code, pair.table_schemas, others) if others else {}
        except IbertError as exc:
            compiled = {d: {"error": str(exc), "error_type": type(exc).__name__} for d in others}
        for dialect in dialects:
            sql = known if dialect == "duckdb" and known is not None else None
            outcome = compiled.get(dialect, {})
            sql = sql or outcome.get("sql")
            if sql is None:
                build.counts[f"compile_failed_{dialect}"] += 1
                build.counts[f"error_{outcome.get('error_type', 'IbertError')}"] += 1
                continue
            assert pair.verification is not None  # every pair was verified
            verification = pair.verification.model_copy(
                update={"compiled_by": "ibis", "dialect": dialect}
            )
            build.keep(
                derived(
                    pair,
                    "ibis_to_sql",
                    {"ibis": code, "dialect": dialect},
                    {"sql": sql},
                    dialect=dialect,
                    verification=verification,
                ),
                f"kept_{dialect}",
            )
    return build


def completion_records(
    pairs: Iterable[Record],
    *,
    per_example: int | None = None,
    templates: TaskTemplates = SHIPPED,
) -> Outcome:
    """Prefixes of verified code; prefix + completion must evaluate again to count.

    At most ``per_example`` cuts per pair (default: the task template's
    ``max_cuts_per_example``), spread over the code; with fewer cuts than that, successive
    pairs take turns at the first, middle and last boundary.
    """
    from ibert_inference.errors import IbertError
    from ibert_inference.safe_eval import evaluates

    template = templates["code_completion"]
    limit = per_example or int(template.get("max_cuts_per_example", 3))
    build = Outcome()
    taken: dict[str, str] = {}
    for index, pair in enumerate(pairs):
        code = pair.target.get("ibis")
        if not code:
            continue
        schema = pair.table_schemas
        cuts = completion_cuts(code)
        # spread the kept cuts over the code: first, middle and last boundary
        chosen = [cuts[i] for i in sorted({0, len(cuts) // 2, len(cuts) - 1})] if cuts else []
        turn = index % len(chosen) if chosen else 0
        for cut in (chosen[turn:] + chosen[:turn])[:limit]:
            # a cut that gives back the verified code character for character needs no new run
            if cut.prefix + cut.completion != code:
                try:
                    evaluates(cut.prefix + cut.completion, schema)
                except IbertError:
                    build.counts["reassembly_failed"] += 1
                    continue
            instruction = completion_instruction(template, pair, schema)
            key = task_input_key(
                "code_completion", {"prefix": cut.prefix, "instruction": instruction}
            )
            if taken.setdefault(key, cut.completion) != cut.completion:
                build.counts["dropped_second_target"] += 1  # the intent does not decide it
                continue
            build.keep(
                derived(
                    pair,
                    "code_completion",
                    {"prefix": cut.prefix, "instruction": instruction},
                    {"completion": cut.completion},
                    meta={"boundary": cut.boundary},
                ),
                f"kept_{cut.boundary}",
            )
    return build


def completion_instruction(
    template: dict[str, Any], pair: Record, schema: dict[str, dict[str, str]]
) -> str:
    """The instruction with the intent (the pair's description) where it has one."""
    tables = ", ".join(schema)
    description = str(pair.meta.description or "").strip().rstrip(".")
    if description and "instruction_with_intent" in template:
        intent = description[0].lower() + description[1:]
        return str(template["instruction_with_intent"]).format(intent=intent, tables=tables)
    return str(template["instruction"]).format(tables=tables)


def error_records(
    pairs: Iterable[Record], *, per_pair: int = 1, templates: TaskTemplates = SHIPPED
) -> Outcome:
    """Mutants that fail with a real error; the fix is the verified original.

    Each pair gives at most ``per_pair`` mutants (``per_pair`` in the task template overrides
    it). The operators are tried from a different one for each pair, so that every kind of
    mistake is represented and no pair yields five near-copies of one example.
    """
    from ibert_inference.errors import EvaluationError, IbertError
    from ibert_inference.safe_eval import evaluates

    template = templates["error_resolution"]
    wanted = set(template.get("operators", []))
    operators = [op for op in MUTATION_OPERATORS if not wanted or op.__name__ in wanted]
    limit = int(template.get("per_pair", per_pair))
    build = Outcome()
    for index, pair in enumerate(pairs):
        code = pair.target.get("ibis")
        if not code or not operators:
            continue
        schema = pair.table_schemas
        kept = 0
        start = index % len(operators)
        for operator in operators[start:] + operators[:start]:
            if kept == limit:
                break
            mutant = operator(code, schema)
            if mutant is None:
                build.counts[f"not_applicable_{operator.__name__}"] += 1
                continue
            try:
                evaluates(mutant.code, schema)
            except EvaluationError as exc:
                error = error_message(exc)
            except IbertError:
                build.counts[f"unsafe_{operator.__name__}"] += 1
                continue
            else:
                build.counts[f"still_evaluates_{operator.__name__}"] += 1
                continue
            kept += 1
            build.keep(
                derived(
                    pair,
                    "error_resolution",
                    {"code": mutant.code, "error": error},
                    {"code": code, "change": mutant.description},
                    meta={"mutation": mutant.operator},
                ),
                f"kept_{mutant.operator}",
            )
    return build


def error_message(exc: Exception) -> str:
    """The error as Python prints its last line (``AttributeError: ...``), its type named once."""
    message, error_type = str(exc), getattr(exc, "error_type", "")
    if not error_type or message.startswith(f"{error_type}:"):
        return message
    return f"{error_type}: {message}"


def qa_records(
    pairs: Iterable[Record], docs: Iterable[Record] = (), *, templates: TaskTemplates = SHIPPED
) -> Outcome:
    """Documentation Q&A as mined, plus text to Ibis: each template example's description asked
    as a question over its tables, answered with the verified Ibis code."""
    template = templates["qa"]
    build = Outcome()
    for record in docs:
        if record.task == "qa":
            build.keep(grouped(record), "kept_docs")
    for index, pair in enumerate(pairs):
        description = pair.meta.description
        code = pair.target.get("ibis")
        if not description or not code:
            build.counts["no_description"] += 1
            continue
        tables = ", ".join(pair.context.tables)
        schema = "; ".join(
            f"{name}({', '.join(columns)})" for name, columns in pair.table_schemas.items()
        )
        phrasing = template["questions"][index % len(template["questions"])]
        values = {
            "question": description,
            "question_lower": description[0].lower() + description[1:].rstrip("."),
            "tables": tables,
            "schema": schema,
            "ibis": code,
            "sql": pair.input.get("sql", ""),
        }
        question = phrasing.format(**values)
        answer = template["answer"].format(**values).strip()
        build.keep(
            derived(
                pair, "qa", {"question": question}, {"answer": answer},
                meta={"qa_kind": "text_to_ibis"},
            ),
            "kept_templates",
        )  # fmt: skip
    return build


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
        code = pair.target.get("ibis")
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
            derived(pair, "documentation", {"code": source}, {"docstring": docstring}),
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


def ibis_code_of(record: Record) -> str | None:
    code = record.target.get("ibis") or record.input.get("ibis")
    return None if code is None else str(code)


def as_pair(record: Record) -> Record | None:
    """A verified record with Ibis code, seen as a pair (mined ibis_to_sql records included)."""
    code = ibis_code_of(record)
    if code is None or record.status != VERIFIED:
        return None
    if record.task == "sql_to_ibis":
        return record
    return record.replace(target={**record.target, "ibis": code})


def build_task(
    task: str,
    *,
    template_pairs: Sequence[Record],
    augmented_pairs: Sequence[Record],
    mined: Sequence[Record],
    docs: Sequence[Record],
    dialects: Sequence[str] = DEFAULT_DIALECTS,
    templates: TaskTemplates = SHIPPED,
) -> Outcome:
    """The records of one task, from every verified upstream record, worded by ``templates``."""
    mined_pairs = [p for p in map(as_pair, mined) if p is not None]
    all_pairs = [*template_pairs, *augmented_pairs, *mined_pairs]
    if task == "sql_to_ibis":
        return sql_to_ibis_records([*template_pairs, *augmented_pairs, *mined])
    if task == "ibis_to_sql":
        # originals in every dialect; variants in DuckDB, whose SQL ran when they were verified
        build = ibis_to_sql_records([*template_pairs, *mined_pairs], dialects)
        build.extend(ibis_to_sql_records(augmented_pairs, ["duckdb"]))
        return build
    if task == "code_completion":
        # three cuts of each original, one of each variant: variants repeat their original's shape
        build = completion_records([*template_pairs, *mined_pairs], templates=templates)
        build.extend(completion_records(augmented_pairs, per_example=1, templates=templates))
        kept, dropped = one_target_per_input(build.records)
        build.records = kept
        build.counts["dropped_second_target"] += dropped
        return build
    if task == "error_resolution":
        return error_records(all_pairs, templates=templates)
    if task == "qa":
        return qa_records(template_pairs, docs, templates=templates)
    if task == "documentation":
        # one docstring per function: the same code from two families keeps the first one's
        build = documentation_records(template_pairs, docs, templates=templates)
        kept, dropped = one_target_per_input(build.records)
        build.records = kept
        build.counts["dropped_second_target"] += dropped
        return build
    raise ValueError(f"unknown task {task!r}: expected one of {', '.join(TASKS)}")
