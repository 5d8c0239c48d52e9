"""Variants of a verified SQL<->Ibis pair. Each operator rewrites SQL (through sqlglot) and Ibis
(through ``ast``) consistently and returns None when it does not apply; every variant is verified
again by the caller before it is kept.

>>> pair = Pair("SELECT a FROM t WHERE a > 5", 'result = t.filter(_.a > 5).select("a")', {"t": {"a": "int64"}})
>>> rename_identifiers(pair, seed=1).sql
'SELECT label FROM accounts WHERE label > 5'
"""  # noqa: E501

from __future__ import annotations

import ast
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache

import sqlglot
from sqlglot import exp

TABLE_NAMES = ("orders", "events", "accounts", "items", "visits", "trips", "readings", "loans")
COLUMN_NAMES = (
    "amount", "quantity", "label", "category", "score", "region", "price", "level", "city",
    "weight", "rank_value", "total", "note", "rating", "flag", "station", "tier", "budget",
)  # fmt: skip


@dataclass(frozen=True)
class Pair:
    """A verified SQL<->Ibis pair and its schema."""

    sql: str
    ibis: str
    schema: dict[str, dict[str, str]]
    operator: str = ""


Operator = Callable[[Pair, int], Pair | None]


def rename_identifiers(pair: Pair, seed: int) -> Pair | None:
    """Rename every table and column consistently in schema, SQL and Ibis."""
    rng = random.Random(seed)
    tables = list(pair.schema)
    columns = sorted({c for cols in pair.schema.values() for c in cols})
    taken = _identifiers(pair) | set(columns) | set(tables)
    free_tables = [n for n in TABLE_NAMES if n not in taken]
    free_columns = [n for n in COLUMN_NAMES if n not in taken and n not in _ibis_attributes()]
    if len(free_tables) < len(tables) or len(free_columns) < len(columns):
        return None
    table_map = dict(zip(tables, rng.sample(free_tables, len(tables)), strict=True))
    column_map = dict(zip(columns, rng.sample(free_columns, len(columns)), strict=True))
    tree = _parse(pair.sql)
    if tree is None:
        return None

    def rename_sql(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name in table_map and not node.args.get("db"):
            node.set("this", exp.to_identifier(table_map[node.name]))
        elif isinstance(node, exp.Column) and node.name in column_map:
            node.set("this", exp.to_identifier(column_map[node.name]))
        return node

    code = _rename_ibis(pair.ibis, table_map, column_map)
    if code is None:
        return None
    schema = {
        table_map[t]: {column_map[c]: d for c, d in cols.items()} for t, cols in pair.schema.items()
    }
    sql = tree.transform(rename_sql).sql(dialect="duckdb")
    return Pair(sql, code, schema, "rename_identifiers")


def _identifiers(pair: Pair) -> set[str]:
    """Every name either side already uses: aliases, variables, keywords, strings."""
    names: set[str] = set()
    tree = _parse(pair.sql)
    if tree is not None:
        names |= {node.name for node in tree.find_all(exp.Identifier, exp.TableAlias)}
        names |= {node.alias for node in tree.find_all(exp.Alias)}
    code = _parse_python(pair.ibis)
    if code is not None:
        for node in ast.walk(code):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.keyword) and node.arg:
                names.add(node.arg)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names.add(node.value)
    return names


@cache
def _ibis_attributes() -> frozenset[str]:
    """Names of Ibis table and column members: a column named like one cannot be ``t.name``."""
    import ibis

    table = ibis.table({"x": "int64", "y": "string", "z": "float64"}, name="t")
    return frozenset(dir(table) + dir(table.x) + dir(table.y) + dir(table.z))


def _rename_ibis(code: str, tables: dict[str, str], columns: dict[str, str]) -> str | None:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    bound = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    if bound & set(tables.values()) or bound & set(tables):
        return None  # a variable shadows a table name: renaming would be ambiguous

    class Renamer(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            if node.id in tables:
                node.id = tables[node.id]
            return node

        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            self.generic_visit(node)
            if node.attr in columns:
                node.attr = columns[node.attr]
            return node

        def visit_Constant(self, node: ast.Constant) -> ast.AST:
            if isinstance(node.value, str) and node.value in columns:
                node.value = columns[node.value]
            return node

        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            # name= of ibis.table(...) declarations follows the table rename
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg == "name"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    value.value = tables.get(value.value, value.value)
            return node

    return ast.unparse(Renamer().visit(tree))


def change_literals(pair: Pair, seed: int) -> Pair | None:
    """Change an integer literal that SQL and Ibis both contain exactly once, in both."""
    rng = random.Random(seed)
    tree = _parse(pair.sql)
    code_tree = _parse_python(pair.ibis)
    if tree is None or code_tree is None:
        return None
    sql_numbers = [
        lit for lit in tree.find_all(exp.Literal) if not lit.is_string and lit.this.isdigit()
    ]
    py_numbers = [
        n
        for n in ast.walk(code_tree)
        if isinstance(n, ast.Constant) and type(n.value) is int and not _inside_limit(n, code_tree)
    ]
    candidates = sorted(
        {int(lit.this) for lit in sql_numbers} & {n.value for n in py_numbers} - {0, 1}
    )
    candidates = [
        v
        for v in candidates
        if sum(int(lit.this) == v for lit in sql_numbers) == 1
        and sum(n.value == v for n in py_numbers) == 1
        and not _in_limit_clause(tree, v)
    ]
    if not candidates:
        return None
    old = rng.choice(candidates)
    new = old + rng.choice([-3, -2, -1, 1, 2, 3]) * max(1, old // 10)
    if new <= 1:
        return None
    for lit in sql_numbers:
        if int(lit.this) == old:
            lit.set("this", str(new))
    for node in py_numbers:
        if node.value == old:
            node.value = new
    return Pair(tree.sql(dialect="duckdb"), ast.unparse(code_tree), pair.schema, "change_literals")


def _in_limit_clause(tree: exp.Expr, value: int) -> bool:
    return any(
        isinstance(lit.parent, exp.Limit | exp.Offset) and int(lit.this) == value
        for lit in tree.find_all(exp.Literal)
        if lit.this.isdigit()
    )


def _inside_limit(node: ast.AST, tree: ast.AST) -> bool:
    for call in ast.walk(tree):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in {"limit", "head"}
            and any(arg is node for arg in [*call.args, *(k.value for k in call.keywords)])
        ):
            return True
    return False


_FLIPS_SQL = {exp.GT: exp.GTE, exp.GTE: exp.GT, exp.LT: exp.LTE, exp.LTE: exp.LT}
_FLIPS_PY = {ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Lt: ast.LtE, ast.LtE: ast.Lt}
_SQL_OF_PY = {ast.Gt: exp.GT, ast.GtE: exp.GTE, ast.Lt: exp.LT, ast.LtE: exp.LTE}


def flip_comparison(pair: Pair, seed: int) -> Pair | None:
    """Turn the one strict/non-strict comparison of SQL and Ibis into its counterpart in both."""
    tree = _parse(pair.sql)
    code_tree = _parse_python(pair.ibis)
    if tree is None or code_tree is None:
        return None
    sql_cmps = [n for n in tree.find_all(*_FLIPS_SQL) if type(n) in _FLIPS_SQL]
    py_cmps = [
        n
        for n in ast.walk(code_tree)
        if isinstance(n, ast.Compare) and len(n.ops) == 1 and type(n.ops[0]) in _FLIPS_PY
    ]
    if len(sql_cmps) != 1 or len(py_cmps) != 1:
        return None
    sql_cmp, py_cmp = sql_cmps[0], py_cmps[0]
    if _SQL_OF_PY[type(py_cmp.ops[0])] is not type(sql_cmp):
        return None
    flipped = _FLIPS_SQL[type(sql_cmp)](this=sql_cmp.this, expression=sql_cmp.expression)
    sql_cmp.replace(flipped)
    py_cmp.ops = [_FLIPS_PY[type(py_cmp.ops[0])]()]
    return Pair(tree.sql(dialect="duckdb"), ast.unparse(code_tree), pair.schema, "flip_comparison")


def commute_operands(pair: Pair, seed: int) -> Pair | None:
    """Swap the sides of equality predicates and of ``+``/``*`` in the Ibis code."""
    code_tree = _parse_python(pair.ibis)
    if code_tree is None:
        return None
    changed = False
    for node in ast.walk(code_tree):
        if (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], ast.Eq)
            and not isinstance(node.comparators[0], ast.Constant)
        ):
            node.left, node.comparators[0] = node.comparators[0], node.left
            changed = True
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Add | ast.Mult)
            and not any(  # string concatenation does not commute
                isinstance(side, ast.Constant) and isinstance(side.value, str)
                for side in (node.left, node.right)
            )
        ):
            node.left, node.right = node.right, node.left
            changed = True
    if not changed:
        return None
    return replace(pair, ibis=ast.unparse(code_tree), operator="commute_operands")


def subscript_columns(pair: Pair, seed: int) -> Pair | None:
    """Spell deferred column references ``_.x`` as ``_["x"]`` (an equivalent Ibis spelling)."""
    code_tree = _parse_python(pair.ibis)
    if code_tree is None:
        return None

    class Subscripts(ast.NodeTransformer):
        count = 0

        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            self.generic_visit(node)
            columns = {c for cols in pair.schema.values() for c in cols}
            if isinstance(node.value, ast.Name) and node.value.id == "_" and node.attr in columns:
                self.count += 1
                return ast.Subscript(value=node.value, slice=ast.Constant(node.attr), ctx=node.ctx)
            return node

    transformer = Subscripts()
    new_tree = transformer.visit(code_tree)
    if not transformer.count:
        return None
    return replace(pair, ibis=ast.unparse(new_tree), operator="subscript_columns")


OPERATORS: tuple[Operator, ...] = (
    rename_identifiers,
    change_literals,
    flip_comparison,
    commute_operands,
    subscript_columns,
)


def variants(pair: Pair, *, seed: int = 0, renames: int = 1) -> Iterator[Pair]:
    """Every variant the operators make of one pair, plus renamed copies of each.

    The k-th renamed copy of every variant uses one renaming, so the copies share a schema and
    (but for changed literals) the databases that verify them: generating those databases is
    most of the cost of verifying a variant.
    """
    produced = []
    for operator in OPERATORS:
        if operator is rename_identifiers:
            continue
        variant = operator(pair, seed)
        if variant is not None:
            produced.append(variant)
    for base in [pair, *produced]:
        if base is not pair:
            yield base
        for copy in range(renames):
            renamed = rename_identifiers(base, seed * 1000 + copy)
            if renamed is not None:
                yield replace(renamed, operator="+".join(filter(None, [base.operator, "rename"])))


def _parse(sql: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return None


def _parse_python(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None
