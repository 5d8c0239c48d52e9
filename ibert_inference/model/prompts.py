"""The one place where the model-backed tasks' prompts are written, for serving and training alike.

Each task has a prompt builder that the task calls when it asks a model, and
:func:`record_conversation` turns a dataset record into that very prompt plus the reply the
record says is right. Fine-tuning trains on exactly what serving sends, so the two cannot drift.
Few-shot demonstrations (verified training records near the request) become earlier
user/assistant turns of the same shape.

>>> from ibert_inference.dataset.record import make_id
>>> record = Record(
...     id=make_id("sql_to_ibis", {"sql": "SELECT a FROM t"}, {"ibis": "result = t.select('a')"}),
...     task="sql_to_ibis", context={"tables": {"t": {"schema": {"a": "int64"}}}},
...     input={"sql": "SELECT a FROM t"}, target={"ibis": "result = t.select('a')"},
...     meta={"source": "template"})
>>> prompt, reply = record_conversation(record)
>>> [turn["role"] for turn in prompt], reply
(['system', 'user'], "```python\\nresult = t.select('a')\\n```")
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ibert_inference.dataset.record import (
    CodeCompletionInput,
    CodeCompletionTarget,
    DocumentationInput,
    DocumentationTarget,
    ErrorResolutionInput,
    ErrorResolutionTarget,
    IbisToSqlInput,
    IbisToSqlTarget,
    QaInput,
    QaTarget,
    Record,
    SqlToIbisInput,
    SqlToIbisTarget,
    TaskInput,
)
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


def completion_message(prefix: str, schema: Schema | None, instruction: str | None = None) -> str:
    """The request to continue ``prefix``; the reply repeats it and goes on (serving opens the
    reply with it, so the model only writes the rest)."""
    wanted = f"{instruction.strip()}\n" if instruction and instruction.strip() else ""
    return (
        f"Tables:\n{describe_schema(schema)}\n\n{wanted}Continue this Ibis code; "
        f"reply with the whole code, the start unchanged.\n```python\n{prefix}\n```"
    )


def completion_prompt(
    prefix: str,
    schema: Schema | None,
    demonstrations: Sequence[Demonstration] = (),
    instruction: str | None = None,
) -> Conversation:
    return with_demonstrations(
        SYSTEM, completion_message(prefix, schema, instruction), demonstrations
    )


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


def _python(code: str) -> str:
    return f"```python\n{code.strip(chr(10))}\n```"


RecordConversation = tuple[Conversation, str]


def sql_to_ibis_conversation(
    record: Record, demonstrations: Sequence[Demonstration] = (), store: StoreLayout | None = None
) -> RecordConversation:
    given, wanted = record.input_as(SqlToIbisInput), record.target_as(SqlToIbisTarget)
    prompt = from_sql_prompt(given.sql, record.table_schemas, demonstrations=demonstrations)
    return prompt, _python(wanted.ibis)


def ibis_to_sql_conversation(
    record: Record, demonstrations: Sequence[Demonstration] = (), store: StoreLayout | None = None
) -> RecordConversation:
    given, wanted = record.input_as(IbisToSqlInput), record.target_as(IbisToSqlTarget)
    dialect = given.dialect or record.dialect or "duckdb"
    prompt = to_sql_prompt(given.ibis, record.table_schemas, dialect, demonstrations)
    return prompt, f"```sql\n{wanted.sql.strip()}\n```"


def code_completion_conversation(
    record: Record, demonstrations: Sequence[Demonstration] = (), store: StoreLayout | None = None
) -> RecordConversation:
    """The reply is the whole code: the prefix it was given, then the completion."""
    given, wanted = record.input_as(CodeCompletionInput), record.target_as(CodeCompletionTarget)
    prompt = completion_prompt(
        given.prefix, record.table_schemas, demonstrations, given.instruction
    )
    return prompt, _python(given.prefix + wanted.completion)


def error_resolution_conversation(
    record: Record, demonstrations: Sequence[Demonstration] = (), store: StoreLayout | None = None
) -> RecordConversation:
    given = record.input_as(ErrorResolutionInput)
    wanted = record.target_as(ErrorResolutionTarget)
    prompt = fix_prompt(given.code, given.error, record.table_schemas, None, demonstrations)
    return prompt, _python(wanted.code)


def documentation_conversation(
    record: Record, demonstrations: Sequence[Demonstration] = (), store: StoreLayout | None = None
) -> RecordConversation:
    given, wanted = record.input_as(DocumentationInput), record.target_as(DocumentationTarget)
    return docstring_prompt(given.code, "google", False, demonstrations), wanted.docstring.strip()


def qa_conversation(
    record: Record, demonstrations: Sequence[Demonstration] = (), store: StoreLayout | None = None
) -> RecordConversation:
    """Retrieves its passages as the ``qa`` task does, over the shipped corpus and the mined
    documentation of ``store`` (default: ``data/``)."""
    from ibert_inference.model.retrieval import default_corpus, passage_index

    given, wanted = record.input_as(QaInput), record.target_as(QaTarget)
    hits = passage_index(default_corpus(store)).search(given.question, k=3)
    return qa_prompt(given.question, hits, demonstrations), wanted.answer.strip()


RECORD_CONVERSATIONS: dict[
    type[TaskInput],
    Callable[[Record, Sequence[Demonstration], StoreLayout | None], RecordConversation],
] = {
    SqlToIbisInput: sql_to_ibis_conversation,
    IbisToSqlInput: ibis_to_sql_conversation,
    CodeCompletionInput: code_completion_conversation,
    ErrorResolutionInput: error_resolution_conversation,
    DocumentationInput: documentation_conversation,
    QaInput: qa_conversation,
}
"""The conversation of a record, by the type of its input (the task registry names the same)."""


def record_conversation(
    record: Record,
    demonstrations: Sequence[Demonstration] = (),
    *,
    store: StoreLayout | None = None,
) -> RecordConversation:
    """The prompt a task sends for this record's input, and the reply its target says is right.

    Question answering retrieves its passages as the ``qa`` task does, over the shipped corpus
    and the mined documentation of ``store`` (default: ``data/``).
    """
    return RECORD_CONVERSATIONS[type(record.input)](record, demonstrations, store)


def demonstration(record: Record, *, store: StoreLayout | None = None) -> Demonstration:
    """A record as a few-shot example: the user message it would send, and its right reply."""
    prompt, reply = record_conversation(record, store=store)
    return prompt[-1]["content"], reply


def extract_code(reply: str) -> str:
    """The first fenced code block of a reply, or the reply itself without stray fences."""
    match = _FENCE.search(reply)
    if match:
        return match.group(1).strip("\n")
    return reply.replace("```python", "").replace("```", "").strip("\n")
