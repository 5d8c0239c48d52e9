"""The one place where the model-backed tasks' prompts are written, for serving and training alike.

Each task has a prompt builder that the task calls when it asks a model, and
:func:`record_conversation` turns a dataset record into that very prompt plus the reply the
record says is right. Fine-tuning trains on exactly what serving sends, so the two cannot drift.
Few-shot demonstrations (verified training records near the request) become earlier
user/assistant turns of the same shape.

>>> record = {"task": "sql_to_ibis", "context": {"tables": {"t": {"schema": {"a": "int64"}}}},
...           "input": {"sql": "SELECT a FROM t"}, "target": {"ibis": "result = t.select('a')"}}
>>> prompt, reply = record_conversation(record)
>>> [turn["role"] for turn in prompt], reply
(['system', 'user'], "```python\\nresult = t.select('a')\\n```")
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ibert_inference.errors import IbertError
from ibert_inference.schema.tables import Schema

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.retrieval import Hit

Conversation = list[dict[str, str]]
Demonstration = tuple[str, str]
"""A few-shot example: the user message a record would send, and the reply it should get."""

SYSTEM = (
    "You are an expert in Ibis, the Python dataframe library that compiles to SQL. "
    "Write idiomatic Ibis 12 code: use `_` deferred expressions, .select, .filter, .group_by, "
    ".agg, .order_by, .join and ibis.cases. Answer with code only, in one ```python block."
)
SQL_SYSTEM = (
    "You are an expert in SQL and in Ibis, the Python dataframe library that compiles to SQL. "
    "Answer with SQL only, in one ```sql block."
)
FIX_SYSTEM = (
    "You repair Python code written with the Ibis dataframe library. Answer with the whole "
    "corrected code in one ```python block and nothing else."
)
DOC_SYSTEM = "You write Python docstrings. Reply with the docstring text only, without quotes."
QA_SYSTEM = (
    "You answer questions about the Ibis dataframe library using only the numbered passages "
    "given. Cite the passages you use as [1], [2], ... Say so if the passages do not answer."
)
_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n(.*?)```", re.DOTALL)


def describe_schema(schema: Schema | None) -> str:
    if not schema:
        return "(no schema given)"
    return "\n".join(
        f"- {table}: " + ", ".join(f"{c} {d}" for c, d in columns.items())
        for table, columns in schema.items()
    )


def with_demonstrations(
    system: str, user: str, demonstrations: Sequence[Demonstration] = ()
) -> Conversation:
    """System message, each demonstration as a user/assistant exchange, then the request."""
    conversation = [{"role": "system", "content": system}]
    for shown, answered in demonstrations:
        conversation += [
            {"role": "user", "content": shown},
            {"role": "assistant", "content": answered},
        ]
    conversation.append({"role": "user", "content": user})
    return conversation


def completion_message(prefix: str, schema: Schema | None) -> str:
    return (
        f"Tables:\n{describe_schema(schema)}\n\nComplete this Ibis code; "
        f"reply with the missing rest only.\n```python\n{prefix}\n```"
    )


def completion_prompt(
    prefix: str, schema: Schema | None, demonstrations: Sequence[Demonstration] = ()
) -> Conversation:
    return with_demonstrations(SYSTEM, completion_message(prefix, schema), demonstrations)


def from_sql_message(sql: str, schema: Schema | None) -> str:
    return (
        f"Tables (each bound to a variable of the same name):\n{describe_schema(schema)}\n\n"
        f"Translate this SQL to Ibis and assign the final expression to `result`.\n"
        f"```sql\n{sql}\n```"
    )


def from_sql_prompt(
    sql: str,
    schema: Schema | None,
    feedback: str | None = None,
    demonstrations: Sequence[Demonstration] = (),
) -> Conversation:
    """Why the translator gave up is not part of the prompt: training records have no such
    reason, and the prompt must be the one the model was trained on."""
    conversation = with_demonstrations(SYSTEM, from_sql_message(sql, schema), demonstrations)
    if feedback:
        conversation.append({"role": "user", "content": f"That was wrong: {feedback}. Try again."})
    return conversation


def to_sql_message(code: str, schema: Schema | None, dialect: str = "duckdb") -> str:
    return (
        f"Tables:\n{describe_schema(schema)}\n\n"
        f"Write the {dialect} SQL this Ibis code computes:\n```python\n{code}\n```"
    )


def to_sql_prompt(
    code: str,
    schema: Schema | None,
    dialect: str = "duckdb",
    demonstrations: Sequence[Demonstration] = (),
) -> Conversation:
    return with_demonstrations(SQL_SYSTEM, to_sql_message(code, schema, dialect), demonstrations)


def fix_message(code: str, error: str, schema: Schema | None, context: str | None = None) -> str:
    """The user message asking the model for a repair."""
    parts = []
    if schema:
        parts.append(f"Tables:\n{describe_schema(schema)}")
    if context:
        parts.append(f"The code is meant to: {context}")
    parts.append(f"Code:\n```python\n{code.rstrip()}\n```")
    parts.append(f"Error:\n{error}")
    parts.append("Fix the code.")
    return "\n\n".join(parts)


def fix_prompt(
    code: str,
    error: str,
    schema: Schema | None,
    context: str | None = None,
    demonstrations: Sequence[Demonstration] = (),
) -> Conversation:
    return with_demonstrations(
        FIX_SYSTEM, fix_message(code, error, schema, context), demonstrations
    )


def docstring_message(source: str, style: str, examples: bool) -> str:
    sections = "Args, Returns" if style == "google" else "Parameters, Returns"
    extra = " and an Examples section" if examples else ""
    return (
        f"Write a {style}-style docstring with a one-line summary, {sections}"
        f"{extra} for:\n```python\n{source}\n```"
    )


def docstring_prompt(
    source: str, style: str, examples: bool, demonstrations: Sequence[Demonstration] = ()
) -> Conversation:
    return with_demonstrations(
        DOC_SYSTEM, docstring_message(source, style, examples), demonstrations
    )


def qa_message(question: str, hits: Sequence[Hit], context: str | None = None) -> str:
    """Numbered passages, the user's context if any, then the question."""
    passages = "\n\n".join(
        f"[{number}] {hit.passage.title}\n{hit.passage.text}"
        for number, hit in enumerate(hits, start=1)
    )
    given = f"Context from the user:\n{context.strip()}\n\n" if context else ""
    return f"Passages:\n\n{passages}\n\n{given}Question: {question}\nAnswer, citing passages:"


def qa_prompt(
    question: str,
    hits: Sequence[Hit],
    demonstrations: Sequence[Demonstration] = (),
    context: str | None = None,
) -> Conversation:
    return with_demonstrations(QA_SYSTEM, qa_message(question, hits, context), demonstrations)


def schema_of(record: dict[str, Any]) -> dict[str, dict[str, str]]:
    tables = (record.get("context") or {}).get("tables") or {}
    return {name: dict(table.get("schema") or {}) for name, table in tables.items()}


def _python(code: str) -> str:
    return f"```python\n{code.strip(chr(10))}\n```"


def record_conversation(
    record: dict[str, Any],
    demonstrations: Sequence[Demonstration] = (),
    *,
    store: StoreLayout | None = None,
) -> tuple[Conversation, str]:
    """The prompt a task sends for this record's input, and the reply its target says is right.

    Question answering retrieves its passages as the ``qa`` task does, over the shipped corpus
    and the mined documentation of ``store`` (default: ``data/``).
    """
    task, given, wanted = record.get("task"), record.get("input") or {}, record.get("target") or {}
    schema = schema_of(record)
    try:
        if task == "sql_to_ibis":
            prompt = from_sql_prompt(given["sql"], schema, demonstrations=demonstrations)
            return prompt, _python(wanted["ibis"])
        if task == "ibis_to_sql":
            dialect = given.get("dialect") or record.get("dialect") or "duckdb"
            prompt = to_sql_prompt(given["ibis"], schema, dialect, demonstrations)
            return prompt, f"```sql\n{wanted['sql'].strip()}\n```"
        if task == "code_completion":
            prompt = completion_prompt(given["prefix"], schema, demonstrations)
            return prompt, _python(wanted["completion"])
        if task == "error_resolution":
            prompt = fix_prompt(given["code"], given["error"], schema, None, demonstrations)
            return prompt, _python(wanted["code"])
        if task == "documentation":
            return docstring_prompt(given["code"], "google", False, demonstrations), wanted[
                "docstring"
            ].strip()
        if task == "qa":
            from ibert_inference.model.retrieval import default_corpus, passage_index

            hits = passage_index(default_corpus(store)).search(given["question"], k=3)
            prompt = qa_prompt(given["question"], hits, demonstrations)
            return prompt, wanted["answer"].strip()
    except KeyError as exc:
        raise IbertError(
            f"record {record.get('id', '?')} ({task}) has no {exc.args[0]!r} field: "
            "rebuild the dataset (train_complete) with this version"
        ) from None
    raise IbertError(f"record {record.get('id', '?')}: unknown task {task!r}")


def demonstration(record: dict[str, Any], *, store: StoreLayout | None = None) -> Demonstration:
    """A record as a few-shot example: the user message it would send, and its right reply."""
    prompt, reply = record_conversation(record, store=store)
    return prompt[-1]["content"], reply


def extract_code(reply: str) -> str:
    """The first fenced code block of a reply, or the reply itself without stray fences."""
    match = _FENCE.search(reply)
    if match:
        return match.group(1).strip("\n")
    return reply.replace("```python", "").replace("```", "").strip("\n")
