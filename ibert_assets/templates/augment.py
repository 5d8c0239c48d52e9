"""Variants of a verified SQL<->Ibis pair, each verified again by the caller before it is kept.

Every input has one target. Operators that change the question change both sides consistently
(SQL through sqlglot, Ibis through ``ast``): identifiers renamed coherently, literals changed,
comparisons flipped, the description retold to match. Operators that only change how the SQL is
written (another dialect, a CTE for a derived table, ``BETWEEN`` spelled out) leave the Ibis
target as it is: a model sees one question in several spellings, always with the one answer.
An operator returns None where it does not apply.

>>> pair = Pair("SELECT a FROM t WHERE a BETWEEN 1 AND 5", 'result = t.filter(_.a.between(1, 5)).select("a")', {"t": {"a": "int64"}})
>>> sql_rewritten(pair, seed=0).sql
'SELECT a FROM t WHERE a >= 1 AND a <= 5'
"""  # noqa: E501

from __future__ import annotations

import ast
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache

import sqlglot
from sqlglot import exp

from ibert_assets.templates.coherence import vacuous_bounds
from ibert_assets.templates.rename import compared_column, retarget, retell

INPUT_DIALECTS = ("postgres", "snowflake", "trino", "bigquery")


@dataclass(frozen=True)
class Pair:
    """A verified SQL<->Ibis pair and its schema."""

    sql: str
    ibis: str
    schema: dict[str, dict[str, str]]
    operator: str = ""
    dialect: str = "duckdb"  # the dialect ``sql`` is written in
    description: str = ""  # the question in words; "" when a change made it untrue
    # column -> values it may hold (the template's domains), for new string literals
    domains: dict[str, list[str]] = field(default_factory=dict, compare=False, hash=False)


Operator = Callable[[Pair, int], Pair | None]


def rename_identifiers(pair: Pair, seed: int) -> Pair | None:
    """Re-target the pair onto one domain's vocabulary (:func:`rename.retarget`): tables,
    columns and keys (types and roles kept, keys still join), aliases and output names, string
    literals and the description all follow; None where one of them cannot (not renamed)."""
    tree, code_tree = _parse(pair.sql), _parse_python(pair.ibis)
    if pair.dialect != "duckdb" or tree is None or code_tree is None:
        return None
    renamed = retarget(tree, code_tree, pair.schema, pair.description, seed)
    if renamed is None:
        return None
    sql, code, schema, description = renamed
    return Pair(sql, code, schema, "rename_identifiers", description=description)


def change_literals(pair: Pair, seed: int) -> Pair | None:
    """Change an integer literal that SQL and Ibis both contain exactly once, in both."""
    rng = random.Random(seed)
    tree = _parse(pair.sql)
    code_tree = _parse_python(pair.ibis)
    if tree is None or code_tree is None or pair.dialect != "duckdb":
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
    new = _changed_value(old, _numbers_column(tree, old), rng)
    if new is None:
        return None
    for lit in sql_numbers:
        if int(lit.this) == old:
            lit.set("this", str(new))
    for node in py_numbers:
        if node.value == old:
            node.value = new
    # the description stays true only where it names the old value exactly once
    said = re.findall(rf"(?<![\w.]){old}(?![\w.])", pair.description)
    description = retell(pair.description, {str(old): str(new)}) if len(said) == 1 else ""
    return Pair(
        tree.sql(dialect="duckdb"), ast.unparse(code_tree), pair.schema, "change_literals",
        description=description,
    )  # fmt: skip


def _numbers_column(tree: exp.Expr, value: int) -> str:
    """The name of the column the literal ``value`` is compared with; "" if none."""
    for literal in tree.find_all(exp.Literal):
        if literal.is_string or literal.this != str(value):
            continue
        parent = literal.parent
        if isinstance(parent, exp.Between):
            other = parent.this
        elif isinstance(parent, exp.Binary) and not isinstance(parent, exp.Connector):
            other = parent.left if parent.right is literal else parent.right
        else:
            continue
        if isinstance(other, exp.Column):
            return other.name
    return ""


def _changed_value(old: int, column: str, rng: random.Random) -> int | None:
    """Another value inside the column's domain: a year moves by a few years, a percentage
    stays at most 100, nothing goes below 2 (no negative count, price or duration)."""
    step = rng.choice([-3, -2, -1, 1, 2, 3])
    if re.search(r"(^|_)(year|founded|season)$", column.lower()) and 1800 <= old <= 2200:
        return old + step
    new = old + step * max(1, old // 10)
    if new <= 1 or (re.search(r"(_pct|percent)$", column.lower()) and new > 100):
        return None
    return new


def change_string_literal(pair: Pair, seed: int) -> Pair | None:
    """Compare a column with another value of its domain (``status = 'shipped'`` ->
    ``status = 'returned'``) in SQL, Ibis and description."""
    tree = _parse(pair.sql)
    code_tree = _parse_python(pair.ibis)
    if tree is None or code_tree is None or pair.dialect != "duckdb" or not pair.domains:
        return None
    strings = [
        n for n in ast.walk(code_tree) if isinstance(n, ast.Constant) and type(n.value) is str
    ]
    for literal in tree.find_all(exp.Literal):
        column = compared_column(literal)
        values = pair.domains.get(column or "", [])
        old = literal.this
        if not literal.is_string or old not in values:
            continue
        if sum(lit.is_string and lit.this == old for lit in tree.find_all(exp.Literal)) != 1:
            continue
        matching = [n for n in strings if n.value == old]
        if len(matching) != 1:
            continue
        used = {lit.this for lit in tree.find_all(exp.Literal) if lit.is_string}
        others = [v for v in values if v not in used]  # never the value of another literal
        if not others:
            continue
        new = others[random.Random(f"{seed}:{old}").randrange(len(others))]
        literal.set("this", new)
        matching[0].value = new
        said = re.findall(rf"(?<!\w){re.escape(old)}(?!\w)", pair.description)
        description = retell(pair.description, {old: new}) if len(said) == 1 else ""
        return Pair(
            tree.sql(dialect="duckdb"), ast.unparse(code_tree), pair.schema,
            "change_string_literal", description=description, domains=pair.domains,
        )  # fmt: skip
    return None


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


_FLIPPED_WORDING = {
    "greater than": "at least", "more than": "at least", "above": "at or above",
    "less than": "at most", "below": "at or below", "at least": "more than",
    "at most": "less than",
}  # fmt: skip


def flip_comparison(pair: Pair, seed: int) -> Pair | None:
    """Turn the one strict/non-strict comparison of SQL and Ibis into its counterpart in both."""
    tree = _parse(pair.sql)
    code_tree = _parse_python(pair.ibis)
    if tree is None or code_tree is None or pair.dialect != "duckdb":
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
    if vacuous_bounds(flipped.sql(dialect="duckdb")):
        return None  # "km above 0" made "km at or above 0": a filter that keeps every row
    sql_cmp.replace(flipped)
    py_cmp.ops = [_FLIPS_PY[type(py_cmp.ops[0])]()]
    wording = [w for w in _FLIPPED_WORDING if re.search(rf"\b{w}\b", pair.description)]
    description = (
        re.sub(rf"\b{wording[0]}\b", _FLIPPED_WORDING[wording[0]], pair.description)
        if len(wording) == 1
        else ""
    )
    return Pair(
        tree.sql(dialect="duckdb"), ast.unparse(code_tree), pair.schema, "flip_comparison",
        description=description,
    )  # fmt: skip


def sql_in_dialect(pair: Pair, seed: int) -> Pair | None:
    """The same question with its SQL written in another dialect (sqlglot transpiles it); the
    caller verifies it as written, read in its dialect."""
    if pair.dialect != "duckdb":
        return None
    dialect = INPUT_DIALECTS[seed % len(INPUT_DIALECTS)]
    try:
        sql = sqlglot.transpile(
            pair.sql, read="duckdb", write=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE
        )[0]
    except (sqlglot.errors.SqlglotError, AttributeError):
        # AttributeError: sqlglot 30.17 fails so while reporting an unsupported NULLS FIRST in
        # a window of a dialect that has none; either way this dialect cannot say the query
        return None
    if sql == pair.sql:
        return None
    return replace(pair, sql=sql, dialect=dialect, operator=f"sql_in_{dialect}")


def sql_rewritten(pair: Pair, seed: int) -> Pair | None:
    """The same question with its SQL written another way people write it: a derived table as a
    CTE or a CTE inlined, ``BETWEEN`` spelled as two comparisons, a short ``IN`` list as ORs."""
    if pair.dialect != "duckdb":
        return None
    rewrites = (
        _SQL_REWRITES[seed % len(_SQL_REWRITES) :] + _SQL_REWRITES[: seed % len(_SQL_REWRITES)]
    )
    for rewrite in rewrites:
        tree = _parse(pair.sql)
        if tree is None:
            return None
        new = rewrite(tree)
        if new is not None and new.sql(dialect="duckdb") != pair.sql:
            return replace(pair, sql=new.sql(dialect="duckdb"), operator="sql_rewritten")
    return None


def _derived_tables_as_ctes(tree: exp.Expr) -> exp.Expr | None:
    from sqlglot.optimizer.eliminate_subqueries import eliminate_subqueries

    if not any(isinstance(s.parent, exp.From | exp.Join) for s in tree.find_all(exp.Subquery)):
        return None
    return eliminate_subqueries(tree)


def _ctes_inlined(tree: exp.Expr) -> exp.Expr | None:
    with_ = tree.args.get("with_") or tree.args.get("with")
    if not isinstance(tree, exp.Select) or with_ is None or len(with_.expressions) != 1:
        return None
    cte = with_.expressions[0]
    uses = [t for t in tree.find_all(exp.Table) if t.name == cte.alias and not t.args.get("db")]
    if len(uses) != 1:
        return None
    alias = uses[0].alias or cte.alias
    uses[0].replace(
        exp.Subquery(this=cte.this.copy(), alias=exp.TableAlias(this=exp.to_identifier(alias)))
    )
    tree.set("with_" if "with_" in tree.args else "with", None)
    return tree


def _between_spelled_out(tree: exp.Expr) -> exp.Expr | None:
    found = list(tree.find_all(exp.Between))
    for node in found:
        low = exp.GTE(this=node.this.copy(), expression=node.args["low"].copy())
        high = exp.LTE(this=node.this.copy(), expression=node.args["high"].copy())
        node.replace(_grouped(node, exp.and_(low, high)))
    return tree if found else None


def _in_list_as_ors(tree: exp.Expr) -> exp.Expr | None:
    found = [
        n for n in tree.find_all(exp.In)
        if n.expressions and len(n.expressions) <= 4 and not n.args.get("query")
    ]  # fmt: skip
    for node in found:
        ors = exp.or_(
            *(exp.EQ(this=node.this.copy(), expression=v.copy()) for v in node.expressions)
        )
        node.replace(_grouped(node, ors))
    return tree if found else None


def _grouped(node: exp.Expr, replacement: exp.Expr) -> exp.Expr:
    """``replacement`` in parentheses unless it stands alone as a WHERE or HAVING condition."""
    if isinstance(node.parent, exp.Where | exp.Having):
        return replacement
    return exp.paren(replacement, copy=False)


_SQL_REWRITES = (_derived_tables_as_ctes, _ctes_inlined, _between_spelled_out, _in_list_as_ors)
# operators that change the question: both sides change, and the description with them
QUESTION_OPERATORS: tuple[Operator, ...] = (change_literals, change_string_literal, flip_comparison)
# operators that change only how the SQL input is written: the Ibis target stays the same
INPUT_OPERATORS: tuple[Operator, ...] = (sql_rewritten, sql_in_dialect)
OPERATORS: tuple[Operator, ...] = (rename_identifiers, *QUESTION_OPERATORS, *INPUT_OPERATORS)


def variants(pair: Pair, *, seed: int = 0, renames: int = 1) -> Iterator[Pair]:
    """Every variant the operators make of one pair: new questions (changed literals, flipped
    comparisons) and renamed copies of each, then other spellings of the original's SQL input.

    The k-th renamed copy of every variant uses one renaming, so the copies share a schema and
    (but for changed literals) the databases that verify them: generating those databases is
    most of the cost of verifying a variant.
    """
    produced = [v for v in (op(pair, seed) for op in QUESTION_OPERATORS) if v is not None]
    for base in [pair, *produced]:
        if base is not pair:
            yield base
        for copy in range(renames):
            renamed = rename_identifiers(base, seed * 1000 + copy)
            # 'balance >= 0' renamed onto a never-negative column ('freight_cost >= 0') keeps
            # every row: no question a person asks
            if renamed is not None and not vacuous_bounds(renamed.sql):
                yield replace(renamed, operator="+".join(filter(None, [base.operator, "rename"])))
    for operator in INPUT_OPERATORS:
        respelled = operator(pair, seed)
        if respelled is not None:
            yield respelled


def _parse(sql: str) -> exp.Expr | None:
    """A tree of ``sql`` the caller may change: every operator reads the same pair's SQL (and
    renaming reads each new question's twice), so each text is parsed once and copied."""
    tree = _parsed(sql)
    return tree.copy() if tree is not None else None


@lru_cache(maxsize=64)
def _parsed(sql: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return None


def _parse_python(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        return None
