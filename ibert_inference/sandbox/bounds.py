"""Sizes checked before any work: inputs refused at once, outputs refused before they are shown.

Every limit is a field of :class:`~ibert_inference.sandbox.pool.SandboxSettings` (the README's
sandbox section lists them); a refusal is an :class:`~ibert_inference.errors.InputTooLargeError`
whose one line says what, how big, and the limit.

>>> check_sql_text("SELECT 1")
>>> check_sql_text("SELECT 1" + " OR a = 'x'" * 20_000)
Traceback (most recent call last):
...
ibert_inference.errors.InputTooLargeError: the SQL is 220,008 characters long; the limit is 100,000 (max_sql_chars)
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ibert_inference.errors import InputTooLargeError
from ibert_inference.sandbox.pool import current_settings


def _too_large(what: str, size: int, unit: str, limit: int, setting: str) -> InputTooLargeError:
    return InputTooLargeError(
        f"{what} is {size:,} {unit}; the limit is {limit:,} ({setting})"
        if unit
        else f"{what} has {size:,}; the limit is {limit:,} ({setting})"
    )


def check_sql_text(sql: str) -> None:
    """SQL text from outside, before it is parsed."""
    limit = current_settings().max_sql_chars
    if len(sql) > limit:
        raise _too_large("the SQL", len(sql), "characters long", limit, "max_sql_chars")


def check_sql_tree(tree: Any) -> None:
    """A parsed SQL tree (sqlglot), before it is translated or rewritten."""
    limit = current_settings().max_sql_nodes
    for count, _node in enumerate(tree.walk(bfs=False), start=1):
        if count > limit:
            raise InputTooLargeError(
                f"the SQL has more than {limit:,} syntax nodes (max_sql_nodes): split the query"
            )


def check_schema_size(schema: Mapping[str, Any]) -> None:
    """A schema from outside (``--schema``, inferred, a record), before tables are built."""
    settings = current_settings()
    if len(schema) > settings.max_tables:
        raise InputTooLargeError(
            f"the schema has {len(schema):,} tables; the limit is {settings.max_tables:,} "
            "(max_tables)"
        )
    for table, columns in schema.items():
        if isinstance(columns, Mapping) and len(columns) > settings.max_columns:
            raise InputTooLargeError(
                f"table {str(table)[:60]!r} has {len(columns):,} columns; the limit is "
                f"{settings.max_columns:,} (max_columns)"
            )


def check_output(sql: str) -> str:
    """Compiled SQL, before it is returned or shown."""
    limit = current_settings().max_output_chars
    if len(sql) > limit:
        raise InputTooLargeError(
            f"the compiled SQL is {len(sql):,} characters long; the limit is {limit:,} "
            "(max_output_chars): the code builds too large a query"
        )
    return sql


def check_file_size(size: int, where: str, limit: int, setting: str) -> None:
    """A file from outside (settings, template), by its size on disk, before it is read."""
    if size > limit:
        raise InputTooLargeError(
            f"{where}: the file is {size:,} bytes; the limit is {limit:,} ({setting})"
        )
