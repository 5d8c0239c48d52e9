"""Chat prompts for the model-backed tasks, and pulling code out of what the model wrote."""

from __future__ import annotations

import re

from ibert_inference.schema import Schema

SYSTEM = (
    "You are an expert in Ibis, the Python dataframe library that compiles to SQL. "
    "Write idiomatic Ibis 12 code: use `_` deferred expressions, .select, .filter, .group_by, "
    ".agg, .order_by, .join and ibis.cases. Answer with code only, in one ```python block."
)
_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n(.*?)```", re.DOTALL)


def describe_schema(schema: Schema | None) -> str:
    if not schema:
        return "(no schema given)"
    return "\n".join(
        f"- {table}: " + ", ".join(f"{c} {d}" for c, d in columns.items())
        for table, columns in schema.items()
    )


def completion_prompt(prefix: str, schema: Schema | None) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"Tables:\n{describe_schema(schema)}\n\nComplete this Ibis code; "
            f"reply with the missing rest only.\n```python\n{prefix}\n```",
        },
    ]


def from_sql_prompt(
    sql: str, schema: Schema, reason: str, feedback: str | None = None
) -> list[dict[str, str]]:
    content = (
        f"Tables (each bound to a variable of the same name):\n{describe_schema(schema)}\n\n"
        f"Translate this SQL to Ibis and assign the final expression to `result`.\n"
        f"```sql\n{sql}\n```\nA deterministic translator could not: {reason}"
    )
    conversation = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}]
    if feedback:
        conversation.append({"role": "user", "content": f"That was wrong: {feedback}. Try again."})
    return conversation


def docstring_prompt(source: str, style: str, examples: bool) -> list[dict[str, str]]:
    sections = "Args, Returns" if style == "google" else "Parameters, Returns"
    extra = " and an Examples section" if examples else ""
    return [
        {
            "role": "system",
            "content": "You write Python docstrings. Reply with the docstring text only, without "
            "quotes.",
        },
        {
            "role": "user",
            "content": f"Write a {style}-style docstring with a one-line summary, {sections}"
            f"{extra} for:\n```python\n{source}\n```",
        },
    ]


def extract_code(reply: str) -> str:
    """The first fenced code block of a reply, or the reply itself without stray fences."""
    match = _FENCE.search(reply)
    if match:
        return match.group(1).strip("\n")
    return reply.replace("```python", "").replace("```", "").strip("\n")
