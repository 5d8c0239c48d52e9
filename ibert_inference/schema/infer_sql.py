"""A schema inferred from one query: the base tables it reads, the columns it uses, their types.

Mined SQL and dbt models come without their database. The query itself says which columns exist
and hints at their types; that schema is enough to run the query on generated databases.

The analysis follows the query's scopes (sqlglot's :mod:`~sqlglot.optimizer.scope`): a column
used through a CTE, a derived table or a ``select *`` is credited to the base table it comes
from; an unqualified column over several sources goes to the one source that can hold it (a CTE
or derived table holds only the columns it selects, a base table any), and where several base
tables could, to the first one, said in the notes; an output alias never hides a source column
(``select user_id as server_id, coalesce(a, b) as user_id from t`` reads ``t.user_id``). Types
come from usage (:mod:`.type_hints`), shared by columns that are compared, joined, COALESCE-d or
unioned with each other.

>>> infer_schema("SELECT name FROM users WHERE age > 30 AND active")
{'users': {'active': 'boolean', 'age': 'int64', 'name': 'string'}}
>>> infer_schema("WITH o AS (SELECT * FROM orders) SELECT id, COUNT(*) AS n FROM o GROUP BY 1")
{'orders': {'id': 'int64'}}
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.scope import Scope, build_scope

from ibert_inference.sandbox.bounds import check_sql_text
from ibert_inference.schema.sql_scopes import (
    ambiguous_outer_table,
    find_source,
    leftmost_scope,
    leftmost_select,
    name_at,
    names_output_alias,
    output_position,
    source_name,
    star_sources,
    type_preserved,
)
from ibert_inference.schema.type_hints import (
    UNIFYING,
    SchemaInferenceError,
    dtype_from_votes,
    schema_from_votes,
    usage_hints,
)

__all__ = [
    "InferredSchema",
    "SchemaInferenceError",
    "dtype_from_votes",
    "infer_schema",
    "infer_schema_with_notes",
    "schema_from_votes",
]

LATERAL_ALIAS_DIALECTS = frozenset(
    {"snowflake", "duckdb", "redshift", "databricks", "spark", "clickhouse", "teradata"}
)
"""Dialects where a SELECT list may use an alias defined earlier in it."""

STAND_IN_COLUMN = "unknown_columns"
"""The one column given to a table the query reads only as a whole (``select * from t``)."""

BaseColumn = tuple[str, str]
"""(base table, column) as the query spells them."""


@dataclass(frozen=True)
class InferredSchema:
    """The tables -> columns -> dtypes a query implies, and what was assumed to get there."""

    tables: dict[str, dict[str, str]]
    notes: tuple[str, ...] = ()


def infer_schema(sql: str | exp.Expr, dialect: str = "duckdb") -> dict[str, dict[str, str]]:
    """Tables -> columns -> Ibis dtype strings, from the query alone; sorted for stable ids."""
    return infer_schema_with_notes(sql, dialect).tables


def infer_schema_with_notes(sql: str | exp.Expr, dialect: str = "duckdb") -> InferredSchema:
    """:func:`infer_schema` with the assumptions it made (ambiguous columns it assigned)."""
    if isinstance(sql, str):
        check_sql_text(sql)
    try:
        tree = sqlglot.parse_one(sql, read=dialect) if isinstance(sql, str) else sql
        root = build_scope(tree)
    except (SqlglotError, OptimizeError) as exc:
        raise SchemaInferenceError(f"the query cannot be analysed: {exc}") from None
    if root is None:
        raise SchemaInferenceError("the query reads no base table")
    analysis = _Analysis(lateral_aliases=str(dialect).lower() in LATERAL_ALIAS_DIALECTS)
    for scope in root.traverse():
        analysis.read_scope(scope)
    if not analysis.tables:
        raise SchemaInferenceError("the query reads no base table")
    analysis.unify(tree)
    for table in sorted(analysis.tables):
        if not analysis.columns.get(table):
            # read whole through ``*`` and nothing else: the query is the same whatever its
            # columns, so one stand-in column stands for them (the translation names none)
            analysis.columns[table].add(STAND_IN_COLUMN)
            analysis.notes.append(
                f"table {table!r} is read only through *: its columns are unknown; one "
                f"stand-in column {STAND_IN_COLUMN!r} stands for them"
            )
    tables = schema_from_votes(analysis.tables, analysis.columns, analysis.votes(), "the query")
    return InferredSchema(tables, tuple(dict.fromkeys(analysis.notes)))


@dataclass
class _Analysis:
    lateral_aliases: bool = False
    tables: set[str] = field(default_factory=set)
    columns: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    hints: dict[BaseColumn, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    notes: list[str] = field(default_factory=list)
    # each column node of the query -> the base column it reads (None: computed, or unknown)
    targets: dict[int, BaseColumn | None] = field(default_factory=dict)
    parent: dict[BaseColumn, BaseColumn] = field(default_factory=dict)
    _demanded: dict[tuple[int, str], BaseColumn | None] = field(default_factory=dict)
    _spelling: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))

    # --- reading the columns of one scope ----------------------------------------------------
    def read_scope(self, scope: Scope) -> None:
        for _, source in scope.selected_sources.values():
            if isinstance(source, exp.Table) and source.name:
                self.tables.add(source.name)
        select = scope.expression if isinstance(scope.expression, exp.Select) else None
        for column in scope.columns:
            if isinstance(column.this, exp.Star) or not column.name:
                continue
            if select is not None and column.find_ancestor(exp.Select) is not select:
                continue  # sqlglot lists a subquery's unqualified columns in the outer scope too
            target = self.resolve(scope, column, select)
            self.targets[id(column)] = target
            if target is not None:
                self.hints[target].update(usage_hints(column))

    def resolve(self, scope: Scope, column: exp.Column, select: exp.Select | None) -> Any:
        name = column.name
        if column.table:
            found = find_source(scope, column.table)
            if found is None:
                return None  # a qualifier that names no source (a struct field, a typo)
            return self.credit(found, name, scope)
        if select is not None and names_output_alias(column, select, self.lateral_aliases):
            return None
        candidates = [source for _, source in scope.selected_sources.values()]
        source = self.choose(scope, name, candidates, select)
        outer = ambiguous_outer_table(scope, column, candidates)
        if outer is not None:
            raise SchemaInferenceError(
                f"column {name!r} is unqualified in a subquery over {outer[1]!r} that may "
                f"refer to the enclosing query's {outer[0]!r}: its table cannot be "
                "inferred — the query must qualify it"
            )
        if source is None:
            return None
        return self.credit(source, name, scope)

    def choose(
        self, scope: Scope, name: str, candidates: list[Any], select: exp.Select | None
    ) -> Any:
        """The one source among ``candidates`` that holds ``name``: a CTE or derived table that
        selects it beats a base table (which could hold anything); several base tables: the
        first, said in the notes."""
        if len(candidates) == 1:
            only = candidates[0]
            return only if isinstance(only, exp.Table) or self.provides(only, name) else None
        certain = [c for c in candidates if isinstance(c, Scope) and self.provides(c, name) == 2]
        if certain:
            return certain[0]
        possible = [
            c for c in candidates if isinstance(c, exp.Table) or self.provides(c, name) == 1
        ]
        if not possible:
            return None
        if len(possible) > 1:
            where = ", ".join(repr(source_name(c)) for c in possible)
            self.notes.append(
                f"column {name!r} could belong to any of {where}; assigned to "
                f"{source_name(possible[0])!r}"
            )
        return possible[0]

    def provides(self, scope: Scope, name: str) -> int:
        """2 when ``scope`` selects ``name`` by name, 1 when through a ``*`` over a base table,
        0 when it cannot output it."""
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            expression = leftmost_select(expression)
        if not isinstance(expression, exp.Select):
            return 0
        lowered = name.lower()
        if any(p.alias_or_name.lower() == lowered for p in expression.selects):
            return 2
        star_scope = scope if not scope.union_scopes else leftmost_scope(scope)
        for source in star_sources(star_scope, expression):
            held = 1 if isinstance(source, exp.Table) else self.provides(source, name)
            if held:
                return held
        return 0

    # --- crediting a column to the base table it comes from ----------------------------------
    def credit(self, source: Any, name: str, scope: Scope) -> BaseColumn | None:
        if isinstance(source, exp.Table):
            if not source.name:
                return None
            return self._base(source.name, name)
        if isinstance(source, Scope):
            return self.demand(source, name)
        return None

    def _base(self, table: str, name: str) -> BaseColumn:
        self.tables.add(table)
        spelled = self._spelling[table].setdefault(name.lower(), name)
        self.columns[table].add(spelled)
        return (table, spelled)

    def demand(self, scope: Scope, name: str) -> BaseColumn | None:
        """The base column behind output ``name`` of a CTE, derived table or set operation."""
        key = (id(scope), name.lower())
        if key in self._demanded:
            return self._demanded[key]
        self._demanded[key] = None  # a recursive CTE reaching itself stops here
        if scope.union_scopes:
            position = output_position(scope.expression, name)
            targets = [
                self.demand(branch, name_at(branch, position, name))
                for branch in scope.union_scopes
            ]
            found = [t for t in targets if t is not None]
            for other in found[1:]:
                self.join(found[0], other)
            result = found[0] if found else None
        else:
            result = self._demand_select(scope, name)
        self._demanded[key] = result
        return result

    def _demand_select(self, scope: Scope, name: str) -> BaseColumn | None:
        select = scope.expression
        if not isinstance(select, exp.Select):
            return None
        lowered = name.lower()
        for projection in select.selects:
            if projection.alias_or_name.lower() == lowered and not isinstance(projection, exp.Star):
                inner = type_preserved(projection.unalias())
                if isinstance(inner, exp.Column) and not isinstance(inner.this, exp.Star):
                    return self.resolve(scope, inner, select)
                return None  # computed here: its own columns are read with this scope
        sources = star_sources(scope, select)
        source = self.choose(scope, name, sources, select) if sources else None
        return None if source is None else self.credit(source, name, scope)

    # --- types shared by columns that meet -----------------------------------------------------
    def find(self, key: BaseColumn) -> BaseColumn:
        while self.parent.get(key, key) != key:
            key = self.parent[key]
        return key

    def join(self, a: BaseColumn, b: BaseColumn) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[root_b] = root_a

    def unify(self, tree: exp.Expr) -> None:
        """Columns compared, joined, COALESCE-d or in one CASE's branches get one type."""
        for node in tree.find_all(*UNIFYING, exp.Case, exp.If, exp.In):
            if isinstance(node, exp.Case):
                operands = [i.args.get("true") for i in node.args.get("ifs") or []]
                operands.append(node.args.get("default"))
            elif isinstance(node, exp.If):
                operands = [node.args.get("true"), node.args.get("false")]
            elif isinstance(node, exp.In):
                operands = [node.this, *node.expressions]
            else:
                operands = [node.this, node.args.get("expression"), *node.expressions]
            keys = [self._target_of(operand) for operand in operands]
            found = [k for k in keys if k is not None]
            for other in found[1:]:
                self.join(found[0], other)

    def _target_of(self, node: exp.Expr | None) -> BaseColumn | None:
        while isinstance(node, exp.Paren):
            node = node.this
        if isinstance(node, exp.Column):
            return self.targets.get(id(node))
        return None

    def votes(self) -> dict[BaseColumn, Counter[str]]:
        pooled: dict[BaseColumn, Counter[str]] = defaultdict(Counter)
        for key, hints in self.hints.items():
            pooled[self.find(key)].update(hints)
        keys = sorted({(t, c) for t, names in self.columns.items() for c in names})
        groups: dict[BaseColumn, list[BaseColumn]] = defaultdict(list)
        for key in keys:
            groups[self.find(key)].append(key)
        for root, members in groups.items():
            if not pooled[root] and len(members) > 1:
                # nothing says: the members' names do (``a.created`` meets ``b.updated_at``),
                # the most telling guess for all, so that the query stays well typed
                guesses = Counter(dtype_from_votes(c, Counter()) for _, c in members)
                guesses.pop("string", None) if len(guesses) > 1 else None
                pooled[root] = Counter({guesses.most_common(1)[0][0]: 1})
        return {key: pooled[self.find(key)] for key in keys}
