"""Parse SQL with sqlglot, check it is one query over known names, and qualify every column.

>>> tree = parse_query("SELECT a FROM t WHERE a > 1", {"t": {"a": "int64"}})
>>> tree.sql()
'SELECT t.a AS a FROM t AS t WHERE t.a > 1'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from ibert_inference.errors import (
    SchemaError,
    SQLParseError,
    UnknownNameError,
    UnsupportedSQLError,
)
from ibert_inference.sandbox.bounds import check_sql_text, check_sql_tree
from ibert_inference.schema.table_names import unqualified_tables
from ibert_inference.schema.tables import Schema

_QUERY_TYPES = (exp.Select, exp.SetOperation, exp.Subquery)


def position(node: exp.Expression | None) -> str:
    """``line L, column C`` of the first token of a node, when sqlglot recorded it."""
    if node is None:
        return "unknown position"
    for sub in node.walk():
        meta = getattr(sub, "_meta", None) or {}
        if "line" in meta:
            return f"line {meta['line']}, column {meta.get('col', '?')}"
    return "unknown position"


def unsupported(construct: str, node: exp.Expression | None, hint: str = "") -> UnsupportedSQLError:
    """An error naming the construct, where it is, and (optionally) what to do instead."""
    text = node.sql()[:80] if node is not None else ""
    message = f"cannot translate {construct} at {position(node)}"
    if text:
        message += f": {text}"
    if hint:
        message += f" ({hint})"
    return UnsupportedSQLError(message)


def parse_statement(sql: str, dialect: str) -> exp.Expression:
    """Parse exactly one query statement; SQLParseError quotes sqlglot with line and column."""
    check_sql_text(sql)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as exc:
        details = exc.errors[0] if exc.errors else {}
        where = f"line {details.get('line', '?')}, column {details.get('col', '?')}"
        message = details.get("description") or str(exc)
        raise SQLParseError(
            f"invalid SQL at {where}: {message} ({str(exc).splitlines()[0]})"
        ) from None
    except TokenError as exc:
        raise SQLParseError(f"invalid SQL: {exc}") from None
    except ValueError as exc:  # unknown dialect name
        raise SQLParseError(f"cannot parse SQL as dialect {dialect!r}: {exc}") from None
    except RecursionError:
        raise SQLParseError(
            "SQL is nested too deeply to parse: split it into CTEs or simplify the expression"
        ) from None
    if not statements:
        raise SQLParseError("empty SQL: give one SELECT, WITH or set-operation query")
    if len(statements) > 1:
        raise UnsupportedSQLError(
            f"got {len(statements)} statements; give exactly one query (SELECT/WITH/set operation)"
        )
    statement = statements[0]
    assert isinstance(statement, exp.Expression)
    check_sql_tree(statement)
    if not isinstance(statement, _QUERY_TYPES):
        kind = statement.key.upper()
        raise UnsupportedSQLError(
            f"{kind} statement at {position(statement)}: only queries (SELECT/WITH/set "
            "operations) translate to Ibis"
        )
    return statement


@lru_cache(maxsize=256)
def _sqlglot_schema(frozen: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> dict:
    from ibis.backends.sql.datatypes import DuckDBType

    from ibert_inference.schema.tables import parse_dtype

    def duckdb_type(table: str, column: str, dtype: str) -> str:
        try:
            return DuckDBType.from_ibis(parse_dtype(dtype)).sql("duckdb")
        except Exception:  # ibis asserts, or raises its own types, for what DuckDB lacks
            raise SchemaError(
                f"schema: {table}.{column} has dtype {dtype!r}, which DuckDB has no type for (the "
                "translator reads the schema as DuckDB would): give the column a type DuckDB has"
            ) from None

    return {
        table: {col: duckdb_type(table, col, dtype) for col, dtype in cols}
        for table, cols in frozen
    }


@lru_cache(maxsize=256)
def _mapping_schema(
    frozen: tuple[tuple[str, tuple[tuple[str, str], ...]], ...], dialect: str
) -> MappingSchema:
    """sqlglot's schema object, built once per schema and dialect (qualify only reads it)."""
    return MappingSchema(_sqlglot_schema(frozen), dialect=dialect)


def freeze(schema: Schema) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple((t, tuple(cols.items())) for t, cols in schema.items())


def closest(name: str, candidates: list[str]) -> str:
    found = difflib.get_close_matches(name, candidates, n=1, cutoff=0.0)
    return found[0] if found else ""


def check_tables(tree: exp.Expression, schema: Schema) -> None:
    """Every table the query reads must be a schema table or a CTE defined in the query."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    known = {name.lower() for name in schema}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise unsupported(f"table expression {table.this.key.upper()}", table)
        name = table.name
        if name.lower() in ctes or name.lower() in known:
            continue
        suggestion = closest(name, list(schema))
        raise UnknownNameError(
            f"unknown table {name!r} at {position(table)}; closest known table: {suggestion!r}"
        )


def name_projections(tree: exp.Expression, schema: Schema) -> None:
    """Give unnamed computed projections aliases before qualify names them ``_col_N``: in the
    result, the name DuckDB gives them where it can be told (:func:`engine_name`); elsewhere
    readable ones.

    A generated name differs, ignoring case, from the query's other output names and from every
    column of the schema: SQL engines compare names case-insensitively, so ``clientip`` (for
    ``ClientIP - 1``) would collide with ``ClientIP``.
    """
    columns = {c.lower() for cols in schema.values() for c in cols}
    top = tree.this if isinstance(tree, exp.Subquery) else tree
    while isinstance(top, exp.SetOperation):
        top = top.this
    for select in tree.find_all(exp.Select):
        for projection in select.expressions:
            # `DISTINCT(col)` and `(col)` are the column itself, named after it by every engine
            if isinstance(projection, exp.Paren) and isinstance(projection.unnest(), exp.Column):
                projection.replace(projection.unnest().copy())
        named = [
            p
            for p in select.expressions
            if isinstance(p, exp.Alias | exp.Column | exp.Star) or p.alias
        ]
        taken = {p.alias_or_name.lower() for p in named} | columns
        for i, projection in enumerate(select.expressions):
            if isinstance(projection, exp.Alias | exp.Column | exp.Star) or projection.alias:
                continue
            # the result's names are the engine's; inner names only have to read well
            engine = engine_name(projection) if select is top else None
            if engine is not None and engine.lower() not in taken:
                # the engine's own name, even where it is a column's: DuckDB names it so
                taken.add(engine.lower())
                select.expressions[i].replace(exp.alias_(projection.copy(), engine))
                continue
            name = readable_name(projection)
            candidate, n = name, 2
            while candidate.lower() in taken:
                candidate = f"{name}_{n}"
                n += 1
            taken.add(candidate.lower())
            select.expressions[i].replace(exp.alias_(projection.copy(), candidate))


def engine_name(node: exp.Expression) -> str | None:
    """The name DuckDB, where translations are verified, gives an unaliased projection, where
    sqlglot can tell it: a literal's text (``1``, ``'x'``), ``count_star()``, ``f(a, 'x')`` for
    a function of columns and literals; None for anything else.

    >>> engine_name(sqlglot.parse_one("SELECT 1").selects[0])
    '1'
    >>> engine_name(sqlglot.parse_one("SELECT COUNT(*)").selects[0])
    'count_star()'
    """
    if isinstance(node, exp.Literal | exp.Null | exp.Boolean):
        return node.sql("duckdb")
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Star):
        return "count_star()"
    simple = all(
        isinstance(arg, exp.Column | exp.Literal) and not isinstance(arg.this, exp.Star)
        for arg in node.iter_expressions()
    )
    if isinstance(node, exp.Func) and not isinstance(node, exp.Cast) and simple:
        text = node.sql("duckdb")
        return text if len(text) <= 60 else None
    return None


def readable_name(node: exp.Expression) -> str:
    """``count_star``, ``sum_l_quantity``, ``upper_name``: a name a person would give."""
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Star):
        return "count_star"
    if isinstance(node, exp.Literal):
        return "literal"
    if isinstance(node, exp.Filter):
        return readable_name(node.this) + "_filtered"
    words: list[str] = []
    if not isinstance(node, exp.Func):
        for first_aggregate in node.find_all(exp.AggFunc):
            node = cast(exp.Expression, first_aggregate)
            break
    if isinstance(node, exp.Func):
        words.append(node.sql_name().lower() if not isinstance(node, exp.Anonymous) else node.name)
    columns = [c.name for c in node.find_all(exp.Column)]
    words.extend(dict.fromkeys(columns))
    name = "_".join(w for w in words if w)[:40]
    name = re.sub(r"\W+", "_", name).strip("_").lower()
    return name or "expr"


_UNRESOLVED = re.compile(r"Column '([^']+)' could not be resolved")


def parse_query(sql: str, schema: Schema, dialect: str = "duckdb") -> exp.Expression:
    """Parse, check names and qualify: every column ``table.column``, every projection named."""
    tree = unqualified_tables(parse_statement(sql, dialect), schema)
    check_tables(tree, schema)
    name_projections(tree, schema)
    spellings = [_alias_spellings(select, dialect) for select in tree.find_all(exp.Select)]
    try:
        qualified = qualify(
            tree,
            schema=_mapping_schema(freeze(schema), dialect),
            dialect=dialect,
            quote_identifiers=False,
            identify=False,
            validate_qualify_columns=True,
        )
    except OptimizeError as exc:
        raise _name_error(exc, schema) from None
    selects = list(qualified.find_all(exp.Select))
    if len(selects) == len(spellings):
        # Case-insensitive dialects lower-case every identifier, but result columns keep the
        # alias as written (AS "User Id"): put the written spelling back.
        for select, written in zip(selects, spellings, strict=True):
            for projection in select.expressions:
                if isinstance(projection, exp.Alias) and projection.alias.lower() in written:
                    original = written[projection.alias.lower()]
                    projection.set("alias", exp.to_identifier(original))
    return qualified


def _alias_spellings(select: exp.Select, dialect: str) -> dict[str, str]:
    """Aliases as written: DuckDB keeps every alias's spelling, other dialects quoted ones."""
    return {
        p.alias.lower(): p.alias
        for p in select.expressions
        if isinstance(p, exp.Alias) and (p.args["alias"].quoted or dialect == "duckdb")
    }


def _name_error(exc: OptimizeError, schema: Schema) -> Exception:
    """UnknownNameError with the closest known column, or UnsupportedSQLError quoting sqlglot."""
    match = _UNRESOLVED.search(str(exc))
    if not match:
        return UnsupportedSQLError(f"cannot resolve names in the query: {exc}")
    name = match.group(1).split(".")[-1]
    columns = sorted({c for cols in schema.values() for c in cols})
    where = str(exc).split(". ", 1)[-1] if "Line" in str(exc) else "unknown position"
    return UnknownNameError(
        f"unknown column {match.group(1)!r} ({where}); closest known column: "
        f"{closest(name, columns)!r}"
    )


def table_columns(schema: Schema) -> Mapping[str, Mapping[str, str]]:
    """Lower-cased table -> lower-cased column -> the schema's own spelling."""
    return {t.lower(): {c.lower(): c for c in cols} for t, cols in schema.items()}
