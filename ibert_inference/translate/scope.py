"""Expression translators bound to a scope: a relation (``_``) or the sources of a join.

:class:`Translator` gathers the construct handlers (strings, dates, aggregates and windows,
subqueries) on top of :class:`~ibert_inference.translate.expressions.ExpressionTranslator`;
:func:`rel_translator` resolves SQL columns to the relation's Ibis columns.

>>> import ibis
>>> from sqlglot import parse_one
>>> from ibert_inference.translate.codegen import Chain
>>> t = ibis.table({"a": "int64"}, name="t")
>>> rel = Rel(Chain("t"), t, {("t", "a"): "a"})
>>> from ibert_inference.translate.query import translate_query
>>> ctx = new_context({"t": t}, "duckdb", translate_query)
>>> rel_translator(ctx, rel).translate(parse_one("t.a + 1")).src
'_.a + 1'
"""

from __future__ import annotations

from sqlglot import exp

from ibert_inference.translate.aggregates import AggregateMixin
from ibert_inference.translate.arrays import ArrayMixin
from ibert_inference.translate.codegen import Code, Program, column_ref
from ibert_inference.translate.core import (
    Context,
    QueryTranslator,
    Rel,
    Replacements,
    Resolver,
    Source,
)
from ibert_inference.translate.dates import DateMixin
from ibert_inference.translate.expressions import function
from ibert_inference.translate.parse import unsupported
from ibert_inference.translate.strings import StringMixin
from ibert_inference.translate.subqueries import SubqueryMixin


class Translator(SubqueryMixin, AggregateMixin, StringMixin, DateMixin, ArrayMixin):
    """Expression translator bound to a relation (``_``) and a query context."""

    def __init__(
        self,
        ctx: Context,
        resolve: Resolver,
        table: Code,
        replacements: Replacements | None = None,
        outer: Resolver | None = None,
    ) -> None:
        super().__init__(resolve, replacements, ctx.dialect)
        self.ctx = ctx
        self.table = table
        self.outer = outer

    def warn(self, message: str) -> None:
        if message not in self.ctx.warnings:
            self.ctx.warnings.append(message)


def rel_translator(
    ctx: Context,
    rel: Rel,
    replacements: Replacements | None = None,
    outer: Resolver | None = None,
) -> Translator:
    """A translator whose columns are ``rel``'s; unknown ones go to ``outer`` (correlation)."""

    def resolve(col: exp.Column) -> Code:
        key = (col.table.lower(), col.name.lower())
        name = rel.columns.get(key)
        if name is None and not col.table:
            matches = [v for (t, c), v in rel.columns.items() if c == key[1]]
            name = matches[0] if len(matches) == 1 else None
        if name is None:
            if outer is not None:
                return outer(col)
            raise unsupported(f"column reference {col.sql()}", col, "not in scope here")
        return Code(column_ref("_", name), rel.val[name])

    if ctx.scalar_columns:
        replacements = dict(replacements or {})
        for node, (name, is_count) in ctx.scalar_columns.items():
            if name in rel.val.columns and node not in replacements:
                code = Code(column_ref("_", name), rel.val[name])
                if is_count:
                    code = function("coalesce", code, Code("0", 0, literal=True))
                replacements[node] = code
    return Translator(ctx, resolve, Code("_", rel.val), replacements, outer)


def source_translator(ctx: Context, sources: list[Source]) -> Translator:
    """A translator for join conditions: columns are ``source.column`` of the joined tables."""
    by_alias = {s.alias: s for s in sources}

    def resolve(col: exp.Column) -> Code:
        source = by_alias.get(col.table.lower())
        if source is None or col.name.lower() not in source.columns:
            raise unsupported(f"column reference {col.sql()} in a join condition", col)
        name = source.columns[col.name.lower()]
        return Code(column_ref(source.var, name), source.val[name])

    return Translator(ctx, resolve, Code("_", None))


def new_context(
    tables: dict[str, object], dialect: str, translate_query: QueryTranslator
) -> Context:
    """A fresh context over schema tables; ``translate_query`` is the query entry point."""
    program = Program()
    program.reserve(set(tables))
    schema_columns = {c.lower() for t in tables.values() for c in getattr(t, "columns", ())}
    return Context(
        program,
        dict(tables),
        {t.lower(): t for t in tables},
        dialect,
        translate_query=translate_query,
        bind=rel_translator,
        schema_columns=schema_columns,
    )
