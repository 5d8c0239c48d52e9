"""What every construct module shares: the relation being built, the translation context, naming.

The construct modules (relations, subqueries, decorrelate, grouping, select, setops) import this
module and never each other upward. Translation is mutually recursive - a subquery in a WHERE
clause is a query again - so the two entry points that recurse, "translate this query" and "bind
an expression translator to this relation", reach the construct modules through the
:class:`Context` that :mod:`ibert_inference.translate` assembles, not through imports.

>>> unique_name("total", {"Total", "n"})
'total_2'
>>> from sqlglot import parse_one
>>> conjuncts(parse_one("a = 1 AND (b = 2 AND c = 3)"))[2].sql()
'c = 3'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import ibis.expr.types as ir
from sqlglot import exp

from ibert_inference.translate.codegen import (
    Chain,
    Code,
    Program,
    is_identifier,
    safe_argument_parts,
)
from ibert_inference.translate.parse import unsupported
from ibert_inference.translate.values import values_table

# Resolves a column of an enclosing query (a correlated reference) to code.
Resolver = Callable[[exp.Column], Code]
Replacements = dict[exp.Expression, Code]


@dataclass
class Rel:
    """A table being built: its chain, live value, and SQL (alias, column) -> Ibis column name."""

    chain: Chain
    val: Any
    columns: dict[tuple[str, str], str]
    # Right after a join: the chain before its column-picking select, and each picked column's
    # source reference, so that a plain projection can pick its columns from the join directly.
    join_base: tuple[Chain, Any] | None = None
    join_refs: dict[str, tuple[str, Any]] | None = None

    def then(self, call: str, val: Any, columns: dict[tuple[str, str], str] | None = None) -> Rel:
        return Rel(self.chain.then(call), val, self.columns if columns is None else columns)

    def output(self, alias: str = "") -> dict[tuple[str, str], str]:
        return {(alias, name.lower()): name for name in self.val.columns}


def named_call(rel: Rel, method: str, columns: list[tuple[str, Code]]) -> Rel:
    """``rel.<method>(...)`` naming each output column (``select``, ``group_by``, ``agg``).

    The code text and the live value are both made from the one list of (name, code), so they
    cannot disagree. A name that is not a Python identifier is written ``expr.name("...")``;
    ``Table.agg`` (no group keys) takes its positional metrics as one list.

    >>> import ibis
    >>> t = ibis.table({"x": "int64"}, name="t")
    >>> rel = Rel(Chain("t"), t, {})
    >>> total = Code("_.x.sum()", t.x.sum())
    >>> rows = Code("_.count()", t.count())
    >>> grouped = named_call(rel, "agg", [("total x", total), ("row count", rows)])
    >>> grouped.chain.inline()
    't.agg([_.x.sum().name("total x"), _.count().name("row count")])'
    >>> grouped.val.columns
    ('total x', 'row count')
    """
    plain, keywords = safe_argument_parts([(name, code.src) for name, code in columns])
    if method == "agg" and len(plain) > 1 and isinstance(rel.val, ir.Table):
        plain = [f"[{', '.join(plain)}]"]
    val = getattr(rel.val, method)(**{name: code.val for name, code in columns})
    output = rel.output() if method == "group_by" else {("", n.lower()): n for n in val.columns}
    return Rel(rel.chain.then(f".{method}({', '.join(plain + keywords)})"), val, output)


class QueryTranslator(Protocol):
    """Translates any query node (SELECT, set operation, subquery) into a relation."""

    def __call__(
        self, node: exp.Expression, ctx: Context, outer: Resolver | None = None
    ) -> Rel: ...  # pragma: no cover


class BoundTranslator(Protocol):
    """An expression translator over one scope (what :class:`ScopeBinder` returns)."""

    resolve: Resolver
    table: Code
    replacements: Replacements

    def translate(self, node: exp.Expression) -> Code: ...


class ScopeBinder(Protocol):
    """Binds an expression translator to a relation (``_`` is that relation)."""

    def __call__(
        self,
        ctx: Context,
        rel: Rel,
        replacements: Replacements | None = None,
        outer: Resolver | None = None,
    ) -> BoundTranslator: ...


@dataclass
class Context:
    """What one translation shares: the program, schema tables and CTEs in scope."""

    program: Program
    tables: dict[str, Any]
    spelling: dict[str, str]
    dialect: str
    translate_query: QueryTranslator
    bind: ScopeBinder
    ctes: dict[str, tuple[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    used_vars: set[str] = field(default_factory=set)
    # correlated scalar subquery -> (column holding its value after the join, is a COUNT)
    scalar_columns: dict[exp.Expression, tuple[str, bool]] = field(default_factory=dict)
    # every column name of the schema, lower-cased: generated names must not collide with them
    schema_columns: set[str] = field(default_factory=set)


@dataclass
class Source:
    """One FROM item: its SQL alias, the variable holding it, its value and columns."""

    alias: str
    var: str
    val: Any
    columns: dict[str, str]  # lower -> spelling


def unique_name(name: str, taken: set[str] | list[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... : never equal to a taken name ignoring case.

    SQL engines compare column names case-insensitively, so ``clientip`` collides with
    ``ClientIP``.
    """
    lowered = {t.lower() for t in taken}
    candidate, n = name, 2
    while candidate.lower() in lowered:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def claim_name(name: str, taken: set[str]) -> str:
    """:func:`unique_name`, recorded in ``taken``."""
    candidate = unique_name(name, taken)
    taken.add(candidate)
    return candidate


def conjuncts(node: exp.Expression | None) -> list[exp.Expression]:
    """The AND-ed parts of a predicate, parentheses looked through."""
    if node is None:
        return []
    if isinstance(node, exp.Paren):
        return conjuncts(node.this)
    if isinstance(node, exp.And):
        return conjuncts(node.this) + conjuncts(node.expression)
    return [node]


def outer_aliases(query: exp.Expression) -> set[str]:
    """Table aliases a subquery reads that none of its own FROM items define (correlation)."""
    inner = {t.alias_or_name.lower() for t in query.find_all(exp.Table)}
    inner |= {s.alias.lower() for s in query.find_all(exp.Subquery) if s.alias}
    inner |= {c.alias_or_name.lower() for c in query.find_all(exp.CTE)}
    return {c.table.lower() for c in query.find_all(exp.Column) if c.table} - inner


def variable(rel: Rel, ctx: Context, hint: str) -> tuple[str, Any]:
    """The relation as a name: itself when it is a bare name, else a new assignment."""
    if not rel.chain.calls and is_identifier(rel.chain.base):
        return rel.chain.base, rel.val
    return ctx.program.assign(hint, rel.chain), rel.val


def source_of(node: exp.Expression, ctx: Context, seen: set[str]) -> Source:
    """A FROM item (table, CTE or derived table) as a named variable."""
    alias = node.alias_or_name.lower()
    if isinstance(node, exp.Table):
        name = node.name.lower()
        if name in ctx.ctes:
            var, val = ctx.ctes[name]
        else:
            var = ctx.spelling[name]
            val = ctx.tables[var]
    elif isinstance(node, exp.Subquery):
        rel = ctx.translate_query(node.this, ctx)
        var, val = variable(rel, ctx, alias or "derived")
    elif isinstance(node, exp.Values):
        table = values_table(node)
        var, val = ctx.program.assign(alias or "constants", Chain(table.src)), table.val
    else:
        raise unsupported(f"FROM item {node.key.upper()}", node)
    if var in seen:
        # The same table twice in one FROM (self-join) needs distinct Ibis table objects.
        view = ctx.program.assign(alias, Chain(var, [".view()"]))
        var, val = view, val.view()
    seen.add(var)
    return Source(alias, var, val, {c.lower(): c for c in val.columns})


__all__ = [
    "BoundTranslator",
    "Context",
    "QueryTranslator",
    "Rel",
    "Replacements",
    "Resolver",
    "ScopeBinder",
    "Source",
    "claim_name",
    "conjuncts",
    "named_call",
    "outer_aliases",
    "source_of",
    "unique_name",
    "variable",
]
