"""Whether a pair reads as one database and one question: the tests renaming applies before it
keeps a renamed pair, and the ``coherent_records`` check applies to every stored record.

* :func:`schema_domain`: the domain whose vocabulary holds every table of a schema, each table an
  entity of it with columns of that entity's own vocabulary (None: the schema mixes domains).
* :func:`foreign_words`: the words of a question that are neither general words, nor the
  schema's nouns, nor the query's literals (a renamed question that still says "delayed" of a
  column now called ``stock_level`` has one).
* :func:`negative_comparisons`: comparisons of a column that cannot be negative (a year, a
  count, a price) with a negative number.
* :func:`vacuous_bounds`: ``>= 0`` of such a column, a filter that keeps every row ("cars with at
  least 0 seats").
* :func:`awkward_wording`: phrasings no person writes ("at least or above").
* :func:`placeholder_values`: values nobody asks for, the random databases' filler words
  (``priority IN ('alpha', 'beta')``) or their ``<column>_<n>`` strings (``tier = 'tier_2'``).
* :func:`record_problems`: all of these for one stored record.

>>> negative_comparisons("SELECT id FROM cars WHERE seats > -5 AND model_year >= 2000")
['seats > -5']
>>> schema_domain({"stores": {"id": "int64", "city": "string"}})
'retail'
>>> schema_domain({"stores": {"id": "int64", "city": "string"}, "patients": {"id": "int64"}})
>>> placeholder_values("SELECT id FROM t WHERE tier IN ('gold', 'omega', 'tier_2')", {"tier"})
['omega', 'tier_2']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import sqlglot
from sqlglot import exp

from ibert_assets.templates.vocabulary import (
    GENERAL_WORDS,
    POOLS,
    column_role,
    entities_named,
    entity_columns,
    entity_keys,
    vocabulary_words,
)
from ibert_inference.dataset.record import Record, SqlToIbisInput
from ibert_inference.verify.table_rows import WORDS

Query = str | exp.Expr
"""SQL text, or its tree already parsed (the functions here only read it)."""

# a column name that announces a value that cannot be negative, whatever the schema's dtype
_NON_NEGATIVE = re.compile(
    r"(^|_)(year|years|age|capacity|duration|minutes|seconds|count|qty|quantity|units|seats"
    r"|price|cost|fee|fare|stock|visitors|votes|refills|credits|stars|likes|guests|bedrooms"
    r"|sold|registered|additions|deletions|level|weight|distance|km|kg|hectares|tonnes"
    r"|released|founded|nights|rooms|floors|pallets|docks|covers|trophies|caps)($|_)"
    r"|_(s|ms|mm|kmh|kwh|m2|pct|kg|km|cm|mw|mwh|ml)$"
)
# the words random databases fill string columns with: a question about them means nothing
_FILLER = frozenset(word.strip().lower() for word in WORDS if word.strip())
_AWKWARD = re.compile(r"\b(at least or above|at most or below|at least or more|more than or)\b")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def cannot_be_negative(column: str, dtype: str = "") -> bool:
    """Whether a column's name (or its vocabulary role) says its values are never negative."""
    lowered = column.lower()
    role = column_role(lowered, dtype) if dtype else None
    return bool(_NON_NEGATIVE.search(lowered)) or role in {"count", "year", "pct", "minutes"}


def schema_domain(schema: Mapping[str, Mapping[str, str]]) -> str | None:
    """The one domain whose entities are the schema's tables, each with columns of its own
    vocabulary and keys (``id``, its own, those of the entities it references); None when no
    single domain holds them all."""
    candidates: set[str] | None = None
    for table, columns in schema.items():
        fits = {
            domain
            for domain, entity in entities_named(table)
            if set(columns) <= set(entity_columns(domain, entity)) | entity_keys(domain, entity)
        }
        candidates = fits if candidates is None else candidates & fits
        if not candidates:
            return None
    return min(candidates) if candidates else None


def schema_words(schema: Mapping[str, Mapping[str, str]]) -> set[str]:
    """Every word a question about ``schema`` may use for its tables and columns."""
    words: set[str] = set()
    for table, columns in schema.items():
        words |= vocabulary_words(table)
        for column in columns:
            words |= vocabulary_words(column.removesuffix("_id"))
    return words


def foreign_words(description: str, allowed: Iterable[str]) -> list[str]:
    """The words of ``description`` outside the general words and ``allowed`` (lowercased)."""
    known = GENERAL_WORDS | {word.lower() for word in allowed}
    return [w for w in _WORD.findall(description) if w.lower() not in known and not w.isdigit()]


def literal_words(sql: Query, dialect: str = "duckdb") -> set[str]:
    """The words of the SQL's string literals (a question names the values it compares with)."""
    tree = _parse(sql, dialect)
    if tree is None:
        return set()
    words: set[str] = set()
    for literal in tree.find_all(exp.Literal):
        if literal.is_string:
            words |= {w.lower() for w in _WORD.findall(literal.this)}
    return words


def value_words(schema: Mapping[str, Mapping[str, str]]) -> set[str]:
    """The words of the values the schema's columns hold (:data:`POOLS`)."""
    return {
        word.lower()
        for columns in schema.values()
        for column in columns
        for value in POOLS.get(column, ())
        for word in _WORD.findall(value)
    }


def foreign_literals(sql: Query, allowed: Iterable[str], dialect: str = "duckdb") -> list[str]:
    """The SQL's string literals with a word (three letters or more) outside the general words,
    ``allowed`` and general labels: a default or a pattern of another schema (``COALESCE(cuisine,
    'self-pay')``)."""
    tree = _parse(sql, dialect)
    if tree is None:
        return []
    known = GENERAL_WORDS | _LABELS | {word.lower() for word in allowed}
    return [
        literal.this
        for literal in tree.find_all(exp.Literal)
        if literal.is_string
        and any(w.lower() not in known for w in re.findall(r"[A-Za-z]{3,}", literal.this))
    ]


# values a query may give any column (a default, a bucket's label)
_LABELS = frozenset(
    {"unknown", "missing", "none", "other", "small", "medium", "large", "low", "high", "yes"}
)


def negative_comparisons(sql: Query, dialect: str = "duckdb") -> list[str]:
    """Each comparison (or BETWEEN) of a never-negative column, or a COUNT, with a negative
    number, as SQL text."""
    tree = _parse(sql, dialect)
    if tree is None:
        return []
    found = []
    for node in tree.find_all(exp.GT, exp.GTE, exp.LT, exp.LTE, exp.EQ, exp.NEQ, exp.Between):
        if isinstance(node, exp.Between):
            subject, values = node.this, [node.args.get("low"), node.args.get("high")]
        else:
            left, right = node.this, node.expression
            subject, values = (right, [left]) if _negative(left) else (left, [right])
        if any(_negative(v) for v in values) and _never_negative(subject):
            found.append(node.sql(dialect="duckdb"))
    return found


def vacuous_bounds(sql: Query, dialect: str = "duckdb") -> list[str]:
    """Each ``>= 0`` (or ``0 <=``) of a never-negative column or a COUNT that no upper bound of the
    same column makes a range, as SQL text: true of every row, so the question asks for nothing
    ("aged 0 to 40" is a range, "at least 0 seats" is not).

    >>> vacuous_bounds("SELECT id FROM cars WHERE seats >= 0 AND price >= 10")
    ['seats >= 0']
    >>> vacuous_bounds("SELECT id FROM people WHERE age >= 0 AND age <= 40")
    []
    """
    tree = _parse(sql, dialect)
    if tree is None:
        return []
    lower, upper = [], set()
    for node in tree.find_all(exp.GTE, exp.LTE, exp.GT, exp.LT):
        below = isinstance(node, exp.GTE | exp.GT)
        subject, bound = node.this, node.expression
        if isinstance(subject, exp.Literal):  # 0 <= x reads as x >= 0
            subject, bound, below = bound, subject, not below
        if not below:
            upper.add(subject.sql())
        elif isinstance(node, exp.GTE | exp.LTE) and _is_zero(bound) and _never_negative(subject):
            lower.append((subject.sql(), node.sql(dialect="duckdb")))
    return [text for subject, text in lower if subject not in upper]


def _is_zero(node: exp.Expr) -> bool:
    return isinstance(node, exp.Literal) and not node.is_string and _number(node.this) == 0


def awkward_wording(description: str) -> list[str]:
    """Phrasings no person writes, found in ``description``."""
    return [m.group(0) for m in _AWKWARD.finditer(description)]


def placeholder_values(sql: Query, columns: Iterable[str], dialect: str = "duckdb") -> list[str]:
    """The SQL's string literals that are filler of the random databases: one of their words,
    or ``<column>_<n>`` for one of ``columns``."""
    tree = _parse(sql, dialect)
    if tree is None:
        return []
    generated = re.compile(
        "(" + "|".join(re.escape(c.lower()) for c in columns) + r")_\d+" if columns else "(?!)"
    )
    return [
        literal.this
        for literal in tree.find_all(exp.Literal)
        if literal.is_string
        and (
            literal.this.strip().lower() in _FILLER
            or generated.fullmatch(literal.this.lower()) is not None
        )
    ]


def _never_negative(node: exp.Expr | None) -> bool:
    if isinstance(node, exp.Column):
        return cannot_be_negative(node.name)
    return isinstance(node, exp.Count)


def _negative(node: exp.Expr | None) -> bool:
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return not node.this.is_string and _number(node.this.this) > 0
    if isinstance(node, exp.Literal) and not node.is_string:
        return _number(node.this) < 0
    return False


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def _parse(sql: Query, dialect: str) -> exp.Expr | None:
    if isinstance(sql, exp.Expr):
        return sql
    try:
        return sqlglot.parse_one(sql, read=dialect)
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError):
        return None


def record_problems(
    record: Record, template_tables: Mapping[str, Mapping[str, str]] | None
) -> list[str]:
    """What makes a stored pair incoherent, as sentences. A renamed pair's schema must be one
    domain's vocabulary and its question must use only the schema's nouns, its literals and
    general words; any other pair's tables must be its template's (``template_tables``, None
    when the template is unknown). No pair compares a never-negative column with a negative
    number, words a comparison as no person would or asks for a placeholder value, and a
    question names the schema."""
    schema = record.table_schemas
    given = record.input
    sql = given.sql if isinstance(given, SqlToIbisInput) else ""
    dialect = record.dialect or "duckdb"
    description = record.meta.description or ""
    # parsed once for every function below, not once each
    query: Query = _parse(sql, dialect) or sql
    problems = []
    if "rename" in str(record.meta.extra("augmentation", "")):
        if schema_domain(schema) is None:
            problems.append(f"renamed schema mixes domains: {_tables_text(schema)}")
        foreign = foreign_words(description, schema_words(schema) | literal_words(query, dialect))
        if foreign:
            problems.append(f"question words outside the schema: {', '.join(foreign[:5])}")
        literals = foreign_literals(query, schema_words(schema) | value_words(schema), dialect)
        if literals:
            problems.append(f"values of another schema: {', '.join(literals[:5])}")
    elif template_tables is None:
        problems.append(f"unknown template {record.meta.template!r}")
    else:
        for table, columns in schema.items():
            own = template_tables.get(table)
            if own is None or not set(columns) <= set(own):
                problems.append(f"table {table} is not the template's: {_tables_text(schema)}")
    said = {word.lower() for word in _WORD.findall(description)}
    if description and not said & schema_words(schema):
        problems.append("the question names no table or column of the schema")
    negative = negative_comparisons(query, dialect)
    problems += [f"compares with a negative number: {c}" for c in negative]
    problems += [f"filters nothing out: {c}" for c in vacuous_bounds(query, dialect)]
    column_names = {column for table in schema.values() for column in table}
    placeholders = placeholder_values(query, column_names, dialect)
    if placeholders:
        problems.append(f"asks for placeholder values: {', '.join(placeholders[:5])}")
    problems += [f"question says {w!r}" for w in awkward_wording(description)]
    return problems


def _tables_text(schema: Mapping[str, Mapping[str, str]]) -> str:
    return "; ".join(f"{t}({', '.join(cols)})" for t, cols in schema.items())
