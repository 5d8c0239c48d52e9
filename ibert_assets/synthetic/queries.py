"""A typed SQL generator over a world: what an analyst would ask of its tables.

Each query is built from the world's roles, so it means something by construction: sums and
averages only over measures, counts and money, never a key; joins only along foreign keys;
dates compared with dates; categories with values from their pools. A query records its
constructs (``join_left``, ``window_rank``, ``cte``, ...) and a complexity level (simple,
moderate, complex, highly complex) from how many and which constructs it combines, and it
carries its question, rendered from the same choices, and what the question must name (every
filter, grouping, aggregate and ordering): :attr:`Query.mentions`.

>>> from ibert_assets.synthetic.worlds import generate_world
>>> queries = generate_queries(generate_world("world-0000"), 5, seed=0)
>>> len(queries), sorted({q.level for q in queries}) <= list(LEVELS)
(5, True)
"""

from __future__ import annotations

import datetime
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlglot.dialects.duckdb import DuckDB

from ibert_assets.quality import sql_shape
from ibert_assets.synthetic.phrasing import dated, happened, listed, part_of, plural, when, words
from ibert_assets.synthetic.vocabularies import plausible_range
from ibert_assets.synthetic.worlds import NUMERIC_ROLES, Column, Relationship, Table, World

LEVELS = ("simple", "moderate", "complex", "highly complex")
# each query is the best of this many candidates (:func:`generate_queries`), and a world gets
# this many tries per query to find queries of new shapes
CHOICES = 3
TRIES = 10
# what reading tables no earlier query of the world read is worth, in characters of SQL shape
# (:func:`novelty`): most such candidates win over a longer shape, not all
NEW_TABLES_BONUS = 60
# what each construct adds to a query's complexity score
WEIGHTS = {
    "filter": 0, "filter_in": 0, "filter_between": 0, "filter_like": 0, "filter_null": 0,
    "filter_date_range": 0, "filter_flag": 0, "order_limit": 0, "order_by": 0, "function": 1,
    "case": 1, "join_inner": 1, "join_left": 2, "semi_join": 2, "anti_join": 2, "aggregate": 1,
    "group_by": 1, "having": 1, "window_rank": 2, "window_running": 2, "window_lag": 2,
    "window_framed": 2, "window_partition": 2, "cte": 2, "scalar_subquery": 2,
    "correlated_subquery": 4, "exists": 2, "set_union": 1, "set_intersect": 1, "set_except": 1,
    "count_distinct": 1, "filter_or": 1, "distinct": 0,
}  # fmt: skip
_ROUND = (
    1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 75, 100, 150, 200, 250, 300, 400,
    500, 600, 700, 750, 800, 1000, 2000, 2500, 5000,
)  # fmt: skip
"""Bounds for a column whose word bounds its values where the role's bounds fall outside."""

_RESERVED = {
    "order", "group", "date", "user", "select", "from", "where", "table", "value", "values",
    "level", "position", "rank", "year", "month", "day", "time", "timestamp", "type", "to",
    "at", "as", "by", "do", "if", "in", "is", "of", "on", "or", "end", "case", "limit", "all",
}  # fmt: skip
_KEYWORDS = {k.lower() for k in DuckDB.Tokenizer.KEYWORDS} | _RESERVED


def ident(name: str) -> str:
    """``name`` as DuckDB SQL spells it: quoted when it is not plain lower snake_case or
    collides with a keyword."""
    if re.fullmatch(r"[a-z_][a-z0-9_]*", name) and name not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Query:
    """One generated query: its SQL, constructs, level, and its question's parts."""

    sql: str
    constructs: tuple[str, ...]
    level: str
    question: str
    mentions: tuple[str, ...]  # the column words and values the question must name
    tables: tuple[str, ...] = ()  # the world's tables it reads, in the world's order


@dataclass
class _Clause:
    sql: str
    phrase: str
    construct: str
    mentions: list[str] = field(default_factory=list)
    column: str = ""  # the column it is on: one condition per column


def _level(constructs: list[str]) -> str:
    score = sum(WEIGHTS[c] for c in constructs)
    if score <= 1:
        return LEVELS[0]
    if score <= 3:
        return LEVELS[1]
    if score <= 5:
        return LEVELS[2]
    return LEVELS[3]


class _Writer:
    """Writes one query over ``world`` with ``rng``: picks tables along keys and columns by
    role, and keeps the constructs and mentions as it goes."""

    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.constructs: list[str] = []
        self.mentions: list[str] = []
        self.aliases: set[str] = set()
        self.tables: set[str] = set()

    # -- names -----------------------------------------------------------------------------
    def alias(self, table: Table) -> str:
        base = "".join(part[0] for part in table.words.split("_"))
        candidate, n = base, 1
        while candidate in self.aliases or candidate in _KEYWORDS:
            n += 1
            candidate = f"{base}{n}"
        self.aliases.add(candidate)
        self.tables.add(table.name)
        return candidate

    def ref(self, alias: str, column: Column) -> str:
        return f"{alias}.{ident(column.name)}"

    def uses(self, construct: str, *mentions: str) -> None:
        self.constructs.append(construct)
        self.mentions.extend(mentions)

    # -- values ------------------------------------------------------------------------------
    def number(self, column: Column) -> int:
        """A round bound for a condition on ``column``, within the values its word allows
        ("a rating above 3", "a floor area above 50"; never "a rating above 50")."""
        if column.role == "count":
            choices = [1, 2, 3, 5, 10, 20, 50]
        elif column.role == "money":
            choices = [10, 25, 50, 100, 250, 500, 1000]
        else:
            choices = [1, 5, 10, 20, 50, 100]
        bounds = plausible_range(column.words)
        if bounds is not None:
            smallest, largest = bounds
            choices = [n for n in choices if smallest < n < largest]
            if len(choices) < 2:
                choices = [n for n in _ROUND if smallest < n < largest]
        return self.rng.choice(choices)

    def below_largest(self, column: Column, value: int) -> int:
        """``value``, or the round number just below the largest value ``column``'s word allows
        where that is smaller: an upper bound at the largest value ("a rating of at most 5") is
        no filter."""
        bounds = plausible_range(column.words)
        if bounds is None:
            return value
        return min(value, max(n for n in _ROUND if n < bounds[1]))

    def day(self) -> datetime.date:
        return datetime.date(2020 + self.rng.randint(0, 5), self.rng.randint(1, 12), 1)

    # -- clauses -----------------------------------------------------------------------------
    def filter(self, table: Table, alias: str, exclude: tuple[Column, ...] = ()) -> _Clause | None:
        """A condition on one of ``table``'s columns (not those of ``exclude``), with its
        phrase."""
        candidates = [
            c for c in table.columns
            if c.role not in ("key", "foreign_key", "text") and c not in exclude
        ]  # fmt: skip
        if not candidates:
            return None
        column = self.rng.choice(candidates)
        clause = self.condition(column, self.ref(alias, column))
        if clause is not None:
            clause.column = column.name
        return clause

    def condition(self, column: Column, ref: str) -> _Clause | None:
        """A condition on ``column`` (``ref`` in the SQL) its role allows, with its phrase."""
        said = words(column)
        if column.nullable and self.rng.random() < 0.25:
            if self.rng.random() < 0.5:
                return _Clause(f"{ref} IS NULL", f"whose {said} is missing", "filter_null", [said])
            return _Clause(f"{ref} IS NOT NULL", f"whose {said} is known", "filter_null", [said])
        if column.role == "category":
            values = list(column.values)
            pick = self.rng.random()
            if pick < 0.4:
                value = self.rng.choice(values)
                if self.rng.random() < 0.25:
                    return _Clause(
                        f"{ref} <> {_string(value)}",
                        f"whose {said} is not '{value}'",
                        "filter",
                        [said, value],
                    )
                return _Clause(
                    f"{ref} = {_string(value)}",
                    f"whose {said} is '{value}'",
                    "filter",
                    [said, value],
                )
            if pick < 0.8:
                # two values, or three of a pool of more than three
                several = 3 if len(values) > 3 and self.rng.random() < 0.3 else 2
                chosen = sorted(self.rng.sample(values, k=min(len(values), several)))
                pool = ", ".join(_string(v) for v in chosen)
                if len(chosen) == 2 and len(values) > 2 and self.rng.random() < 0.25:
                    return _Clause(
                        f"{ref} NOT IN ({pool})",
                        f"whose {said} is neither '{chosen[0]}' nor '{chosen[-1]}'",
                        "filter_in", [said, *chosen],
                    )  # fmt: skip
                either = ", ".join(f"'{v}'" for v in chosen[:-1])
                return _Clause(
                    f"{ref} IN ({pool})",
                    f"whose {said} is {either} or '{chosen[-1]}'",
                    "filter_in", [said, *chosen],
                )  # fmt: skip
            prefix = self.rng.choice(values)[:2]
            return _Clause(
                f"{ref} LIKE {_string(prefix + '%')}",
                f"whose {said} starts with '{prefix}'", "filter_like", [said, prefix],
            )  # fmt: skip
        if column.role == "dimension":
            return self.name_filter(ref, said)
        if column.role in NUMERIC_ROLES:
            low = self.number(column)
            if self.rng.random() < 0.35:
                high = self.below_largest(column, low * self.rng.choice([2, 4, 10]))
                outside = self.rng.random() < 0.2
                if high > low:  # (else a comparison: "a rating between 4 and 4" is one value)
                    return _Clause(
                        f"{ref} {'NOT ' if outside else ''}BETWEEN {low} AND {high}",
                        f"with {said} {'not between' if outside else 'between'} {low} and {high}",
                        "filter_between",
                        [said, str(low), str(high)],
                    )
            op, text = self.rng.choice(
                [(">=", "at least"), (">", "above"), ("<", "below"), ("<=", "at most")]
            )
            if op in ("<", "<="):  # below 1 leaves only zeros
                low = max(low, self.below_largest(column, low * 5))
            return _Clause(
                f"{ref} {op} {low}", f"with {said} {text} {low}", "filter", [said, str(low)]
            )
        if column.role == "flag":
            if self.rng.random() < 0.5:
                return _Clause(f"{ref}", f"where {said} holds", "filter_flag", [said])
            return _Clause(f"NOT {ref}", f"where {said} does not hold", "filter_flag", [said])
        if column.role in ("date", "timestamp"):
            start = self.day()
            end = start + datetime.timedelta(days=self.rng.choice([30, 90, 365]))
            kind = "DATE" if column.role == "date" else "TIMESTAMP"
            # the word the condition says the date with ("shipped", "dated", "order date")
            named = dated(column) or said
            pick = self.rng.random()
            # (a year as `EXTRACT(YEAR FROM d) = 2020` is no date the verifier can plant in
            # its databases: such filters found no row on any of them)
            if pick < 0.2:
                return _Clause(
                    f"{ref} < {kind} '{start}'", when(column, f"before {start}"),
                    "filter_date_range", [named, str(start)],
                )  # fmt: skip
            if pick < 0.6:
                return _Clause(
                    f"{ref} >= {kind} '{start}' AND {ref} < {kind} '{end}'",
                    when(column, f"from {start} up to {end}"), "filter_date_range",
                    [named, str(start), str(end)],
                )  # fmt: skip
            return _Clause(
                f"{ref} >= {kind} '{start}'", when(column, f"on or after {start}"),
                "filter_date_range", [named, str(start)],
            )  # fmt: skip
        return None

    def name_filter(self, ref: str, said: str) -> _Clause:
        """A condition on a name: a letter it contains (or does not), or its length."""
        pick = self.rng.random()
        if pick < 0.2:
            # the verifier's names are 3 to 10 characters long: a bound above that is empty
            length = self.rng.choice([3, 4, 5, 6])
            return _Clause(
                f"LENGTH({ref}) > {length}",
                f"whose {said} is longer than {length} characters", "filter", [said, str(length)],
            )  # fmt: skip
        letter = self.rng.choice("abcdeilmnorst")
        if pick < 0.4:
            return _Clause(
                f"NOT {ref} LIKE {_string('%' + letter + '%')}",
                f"whose {said} does not contain '{letter}'", "filter_like", [said, f"'{letter}'"],
            )  # fmt: skip
        return _Clause(
            f"{ref} LIKE {_string('%' + letter + '%')}",
            f"whose {said} contains '{letter}'", "filter_like", [said, f"'{letter}'"],
        )  # fmt: skip

    def filters(
        self, table: Table, alias: str, most: int, exclude: tuple[Column, ...] = ()
    ) -> tuple[str, str]:
        """Up to ``most`` conditions (AND), as SQL and as a phrase."""
        drawn = (self.filter(table, alias, exclude) for _ in range(most))
        clauses = [c for c in drawn if c is not None]
        seen: set[str] = set()
        kept = []
        for clause in clauses:
            if clause.column not in seen:
                seen.add(clause.column)
                kept.append(clause)
        for clause in kept:
            self.uses(clause.construct, *clause.mentions)
        sql, phrase = [c.sql for c in kept], [c.phrase for c in kept]
        if len(kept) >= 2 and self.rng.random() < 0.25:  # either of the first two
            sql[:2] = [f"({sql[0]} OR {sql[1]})"]
            phrase[:2] = [f"either {phrase[0]} or {phrase[1]}"]
            self.uses("filter_or")
        return " AND ".join(sql), " and ".join(phrase)


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _relationships(world: World, numeric_child: bool = False) -> list[Relationship]:
    found = [r for r in world.relationships if r.kind != "self"]
    if numeric_child:
        found = [r for r in found if world.table(r.child).of_role(*NUMERIC_ROLES)]
    return found


def _order_limit(
    w: _Writer, order_sql: str, said: str, desc: bool, numeric: bool = True
) -> tuple[str, str]:
    """An ORDER BY, most often with a LIMIT (the top or first few), and how the question says
    it."""
    direction = "DESC" if desc else "ASC"
    most = "highest" if desc else "lowest"
    # a largest or smallest value already says which end it is ("the 5 with the largest fee",
    # not "the 5 with the highest largest fee")
    extreme = said.startswith("largest " if desc else "smallest ")
    if w.rng.random() < 0.3:  # every row, in order
        w.uses("order_by", said)
        if numeric:
            phrase = f", {said} first" if extreme else f", {most} {said} first"
        else:
            phrase = f", ordered by {said}" + (", last first" if desc else "")
        return f" ORDER BY {order_sql} {direction} NULLS LAST", phrase
    n = w.rng.choice([3, 5, 10, 20])
    w.uses("order_limit", said, str(n))
    if numeric:
        phrase = f", the {n} with the {said if extreme else f'{most} {said}'}"
    else:  # a name, a date, a category: first by it, or last
        phrase = f", the {'last' if desc else 'first'} {n} by {said}"
    return f" ORDER BY {order_sql} {direction} NULLS LAST LIMIT {n}", phrase


# -- families: each returns (sql, question) or None when the world lacks what it needs --------


def _listing(w: _Writer) -> tuple[str, str] | None:
    """Columns of rows that pass filters, maybe ordered and limited; maybe a function or CASE."""
    table = w.rng.choice(w.world.tables)
    attrs = [c for c in table.columns if c.role not in ("key", "foreign_key")]
    if not attrs:
        return None
    a = w.alias(table)
    shown = w.rng.sample(attrs, k=min(len(attrs), w.rng.randint(1, 4)))
    w.mentions.extend(words(c) for c in shown)
    select = [w.ref(a, c) for c in shown]
    said = [words(c) for c in shown]
    texts = [c for c in table.columns if c.role == "dimension"]
    if texts and w.rng.random() < 0.3:
        column = texts[0]
        func, suffix, phrase = w.rng.choice(
            [("UPPER", "upper", "the {} in capitals"), ("LOWER", "lower", "the {} in lower case"),
             ("LENGTH", "length", "the {} length in characters"),
             ("LEFT", "initials", "the first three letters of the {}")]
        )  # fmt: skip
        call = f"{func}({w.ref(a, column)}{', 3' if func == 'LEFT' else ''})"
        select.append(f"{call} AS {ident(column.name + '_' + suffix)}")
        said.append(phrase.format(words(column)))
        w.uses("function", words(column))
    dates = table.of_role("date", "timestamp")
    if dates and w.rng.random() < 0.2:
        column = w.rng.choice(dates)
        part = w.rng.choice(["YEAR", "MONTH", "QUARTER"])
        select.append(
            f"EXTRACT({part} FROM {w.ref(a, column)}) AS {ident(column.words + '_' + part.lower())}"
        )
        said.append(f"the {part_of(part.lower(), column, words(table))}")
        w.uses("function", happened(column) or words(column))
    numbers = table.of_role(*NUMERIC_ROLES)
    unknown = [c for c in numbers if c.nullable]
    if unknown and w.rng.random() < 0.3:
        column = w.rng.choice(unknown)
        select.append(f"COALESCE({w.ref(a, column)}, 0) AS {ident(column.name + '_or_zero')}")
        said.append(f"the {words(column)} (0 when missing)")
        w.uses("function", words(column))
    measures = table.of_role("measure")
    if measures and w.rng.random() < 0.2:
        column = w.rng.choice(measures)
        select.append(f"ROUND({w.ref(a, column)}, 1) AS {ident(column.name + '_rounded')}")
        said.append(f"the {words(column)} rounded to one decimal")
        w.uses("function", words(column))
    if numbers and w.rng.random() < 0.3:
        column = w.rng.choice(numbers)
        low = w.number(column)
        high = max(low + 1, w.below_largest(column, low * 10))
        ref = w.ref(a, column)
        select.append(
            f"CASE WHEN {ref} >= {high} THEN 'high' WHEN {ref} >= {low} THEN 'medium' "
            f"ELSE 'low' END AS {ident(column.name + '_bracket')}"
        )
        said.append(f"a {words(column)} bracket (high from {high}, medium from {low}, else low)")
        w.uses("case", words(column), str(low), str(high), "high", "medium", "low")
    where, condition = w.filters(table, a, w.rng.randint(0, 3))
    sql = f"SELECT {', '.join(select)} FROM {ident(table.name)} AS {a}"
    question = f"List the {listed(said)} of {plural(words(table))}"
    if where:
        sql += f" WHERE {where}"
        question += f" {condition}"
    if w.rng.random() < 0.5:
        column = w.rng.choice(shown)
        numeric = column.role in NUMERIC_ROLES
        desc = w.rng.random() < 0.5
        tail_sql, tail = _order_limit(w, w.ref(a, column), words(column), desc, numeric)
        sql += tail_sql
        question += tail
    elif w.rng.random() < 0.25:
        sql = "SELECT DISTINCT" + sql.removeprefix("SELECT")
        question = "List the distinct combinations of" + question.removeprefix("List")
        w.uses("distinct")
    return sql, question + "."


def _aggregate(w: _Writer) -> tuple[str, str] | None:
    """Totals per group, the group from the table or from a parent along a key; HAVING, order."""
    facts = [t for t in w.world.tables if t.of_role(*NUMERIC_ROLES)]
    if not facts:
        return None
    table = w.rng.choice(facts)
    a = w.alias(table)
    joins, source = "", table
    group_table, ga = table, a
    parents = [r for r in w.world.relationships if r.child == table.name and r.kind != "self"]
    if parents and w.rng.random() < 0.6:
        r = w.rng.choice(parents)
        group_table = w.world.table(r.parent)
        ga = w.alias(group_table)
        left = w.rng.random() < 0.3
        joins = (
            f" {'LEFT JOIN' if left else 'JOIN'} {ident(group_table.name)} AS {ga} "
            f"ON {a}.{ident(r.column)} = {ga}.{ident(r.parent_column)}"
        )
        w.uses("join_left" if left else "join_inner")
    dims = group_table.of_role("category", "dimension", "flag", "date")
    if not dims:
        return None
    group = w.rng.choice(dims)
    if group.role == "date":
        group_sql = f"EXTRACT(YEAR FROM {w.ref(ga, group)})"
        group_name, group_said = "year", part_of("year", group, words(group_table))
        w.uses("function")
    else:
        group_sql, group_name, group_said = w.ref(ga, group), None, words(group)
        if group.role == "flag":
            group_said = f"value of {group_said}"
    w.uses("group_by", happened(group) or words(group))
    group_select = f"{group_sql} AS {group_name}" if group_name else group_sql
    seconds = [c for c in group_table.of_role("category", "flag") if c != group]
    if group.role != "date" and seconds and w.rng.random() < 0.3:  # a second grouping column
        second = w.rng.choice(seconds)
        group_sql = group_select = f"{group_sql}, {w.ref(ga, second)}"
        group_said += f" and {words(second)}"
        w.uses("group_by", words(second))
    metrics = [_metric(w, a, measure) for measure in _measures(w, source)]
    pieces = [said for _, said in metrics]
    select = [sql for sql, _ in metrics]
    if w.rng.random() < 0.5:
        select.append("COUNT(*) AS row_count")
        pieces.append(f"number of {plural(words(table))}")
    references = [r for r in parents if r.parent != group_table.name]
    if references and w.rng.random() < 0.3:
        r = w.rng.choice(references)
        other = w.world.table(r.parent)
        select.append(
            f"COUNT(DISTINCT {a}.{ident(r.column)}) AS {ident('distinct_' + other.words)}"
        )
        pieces.append(f"number of distinct {plural(words(other))}")
        w.uses("count_distinct", plural(words(other)))
    where, condition = w.filters(table, a, w.rng.randint(0, 2))
    sql = f"SELECT {group_select}, {', '.join(select)} FROM {ident(table.name)} AS {a}{joins}"
    if where:
        sql += f" WHERE {where}"
    sql += f" GROUP BY {group_sql}"
    question = f"For each {group_said}, the {listed(pieces)} of {plural(words(table))}"
    if condition:
        question += f" {condition}"
    if w.rng.random() < 0.4:
        n = w.rng.choice([1, 2, 5])
        sql += f" HAVING COUNT(*) > {n}"
        question += f", keeping groups with more than {n} {plural(words(table))}"
        w.uses("having", str(n))
    if w.rng.random() < 0.6:
        first = select[0].rpartition(" AS ")[2]
        tail_sql, tail = _order_limit(w, first, pieces[0], w.rng.random() < 0.8)
        sql += tail_sql
        question += tail
    return sql, question + "."


def _measures(w: _Writer, table: Table) -> list[Column]:
    """One to three of ``table``'s numeric columns to aggregate (one of a single one)."""
    numbers = table.of_role(*NUMERIC_ROLES)
    return w.rng.sample(numbers, k=min(len(numbers), w.rng.choice((1, 1, 2, 3))))


def _metric(w: _Writer, alias: str, measure: Column) -> tuple[str, str]:
    """An aggregate of ``measure`` as ``SQL AS name``, and how the question says it."""
    func = w.rng.choice(
        ["SUM", "AVG", "MAX", "MIN"] if measure.role != "measure" else ["AVG", "MAX", "MIN"]
    )
    func_said = {"SUM": "total", "AVG": "average", "MAX": "largest", "MIN": "smallest"}[func]
    value = f"{func}({w.ref(alias, measure)})"
    if func == "AVG" and w.rng.random() < 0.4:
        value = f"ROUND({value}, 2)"
        func_said = "average (rounded to 2 decimals)"
        w.uses("function")
    metric = f"{func.lower()}_{measure.words}"
    w.uses("aggregate", words(measure), func_said)
    return f"{value} AS {ident(metric)}", f"{func_said} {words(measure)}"


def _semi(w: _Writer) -> tuple[str, str] | None:
    """Parents with (or without) children, the children filtered: EXISTS, IN, or a LEFT JOIN
    with IS NULL."""
    links = _relationships(w.world)
    if not links:
        return None
    r = w.rng.choice(links)
    parent, child = w.world.table(r.parent), w.world.table(r.child)
    p, c = w.alias(parent), w.alias(child)
    column = w.rng.choice(parent.of_role("dimension", "category") or parent.of_role("key"))
    shown = [column, *_extra_columns(w, parent, [column])]
    w.mentions.extend(words(c) for c in shown)
    negated = w.rng.random() < 0.4
    pick = w.rng.random()
    where, condition = w.filters(child, c, w.rng.choice((1, 1, 2)))
    own, own_condition = w.filters(parent, p, w.rng.choice((0, 0, 1)))
    join_on = f"{c}.{ident(r.column)} = {p}.{ident(r.parent_column)}"
    kids = plural(words(child))
    said = f"that have no {kids}" if negated else f"that have at least one {words(child)}"
    if condition:
        said += f" {condition}"
    outer = f"SELECT {', '.join(w.ref(p, c) for c in shown)} FROM {ident(parent.name)} AS {p}"
    exists = f"{'NOT ' if negated else ''}EXISTS"
    if pick < 0.4 or (where and (negated or pick >= 0.7)):
        inner = f"SELECT 1 FROM {ident(child.name)} AS {c} WHERE {join_on}"
        inner += f" AND {where}" if where else ""
        sql = f"{outer} WHERE {exists} ({inner})"
        w.uses("exists")
    elif pick < 0.7 and not negated:
        inner = f"SELECT {c}.{ident(r.column)} FROM {ident(child.name)} AS {c}"
        inner += f" WHERE {where}" if where else ""
        sql = f"{outer} WHERE {p}.{ident(r.parent_column)} IN ({inner})"
    else:
        sql = (
            f"{outer} LEFT JOIN {ident(child.name)} AS {c} ON {join_on} "
            f"WHERE {c}.{ident(r.column)} IS {'NULL' if negated else 'NOT NULL'}"
        )
        if not negated:
            sql = sql.replace("SELECT ", "SELECT DISTINCT ", 1)
        w.uses("join_left")
    w.uses("anti_join" if negated else "semi_join")
    subject = plural(words(parent))
    if own:
        sql += f" AND {own}"
        subject += f" {own_condition}"
    question = f"The {listed([words(c) for c in shown])} of {subject} {said}"
    if w.rng.random() < 0.3:
        numeric = column.role in NUMERIC_ROLES
        tail_sql, tail = _order_limit(
            w, w.ref(p, column), words(column), w.rng.random() < 0.5, numeric
        )
        sql += tail_sql
        question += tail
    return sql, question + "."


def _window(w: _Writer) -> tuple[str, str] | None:
    """A ranking, running total, previous value or moving average within groups."""
    tables = [
        t
        for t in w.world.tables
        # a key breaks ties in a window's order: without one a running total is not one answer
        if t.key and t.of_role(*NUMERIC_ROLES) and t.of_role("category", "dimension", "date")
    ]
    if not tables:
        return None
    table = w.rng.choice(tables)
    a = w.alias(table)
    measure = w.rng.choice(table.of_role(*NUMERIC_ROLES))
    dates = table.of_role("date", "timestamp")
    groups = table.of_role("category")
    part_col = w.rng.choice(groups) if groups else None
    partition = f"PARTITION BY {w.ref(a, part_col)} " if part_col else ""
    within = f" within each {words(part_col)}" if part_col else ""
    key = table.key
    shown = (table.of_role("dimension") or ([key] if key else []))[:1]
    shown += _extra_columns(w, table, [*shown, measure])
    base = [w.ref(a, c) for c in shown] + [w.ref(a, measure)]
    w.mentions.extend(words(c) for c in shown)
    w.mentions.append(words(measure))
    if part_col is not None:
        w.mentions.append(words(part_col))
    kinds = ["rank", "rank", "quartile", "share"]
    kind = w.rng.choice(kinds + (["running", "lag", "framed"] * 2 if dates else []))
    tiebreak = f", {w.ref(a, key)}" if key else ""
    if kind == "quartile":  # the key breaks ties: a row's quartile is one answer
        expr = f"NTILE(4) OVER ({partition}ORDER BY {w.ref(a, measure)} DESC{tiebreak})"
        name = f"{words(measure).replace(' ', '_')}_quartile"
        said = f"their quartile by {words(measure)} (1 the largest){within}"
        w.uses("window_rank")
    elif kind == "share":  # the whole group's total beside each row
        func, func_said = ("AVG", "average") if measure.role == "measure" else ("SUM", "total")
        expr = f"{func}({w.ref(a, measure)}) OVER ({partition.strip()})"
        name = f"{func_said}_{measure.words}"
        scope = f"their {words(part_col)}" if part_col else f"all {plural(words(table))}"
        said = f"the {func_said} {words(measure)} for {scope}"
        w.uses("window_partition", func_said)
    elif kind == "rank":
        fn = w.rng.choice(["RANK", "DENSE_RANK", "ROW_NUMBER"])
        ties = tiebreak if fn == "ROW_NUMBER" else ""
        expr = f"{fn}() OVER ({partition}ORDER BY {w.ref(a, measure)} DESC{ties})"
        name, said = (
            f"{words(measure).replace(' ', '_')}_rank",
            f"their rank by {words(measure)}, largest first{within}",
        )
        w.uses("window_rank")
    else:
        date = w.rng.choice(dates)
        w.mentions.append(words(date))
        order = f"ORDER BY {w.ref(a, date)}{tiebreak}"
        if kind == "running":
            frame = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
            expr = f"SUM({w.ref(a, measure)}) OVER ({partition}{order} {frame})"
            name, said = (
                "running_total",
                f"the running total of {words(measure)} by {words(date)}{within}",
            )
            if measure.role == "measure":
                expr = expr.replace("SUM(", "MAX(", 1)
                name, said = (
                    "running_max",
                    f"the running largest {words(measure)} by {words(date)}{within}",
                )
            w.uses("window_running")
        elif kind == "lag":
            fn = w.rng.choice(["LAG", "LEAD"])
            expr = f"{fn}({w.ref(a, measure)}) OVER ({partition}{order})"
            name = "previous_value" if fn == "LAG" else "next_value"
            which = "previous" if fn == "LAG" else "next"
            said = f"the {which} {words(measure)} by {words(date)}{within}"
            w.uses("window_lag")
        else:
            frame = "ROWS BETWEEN 2 PRECEDING AND CURRENT ROW"
            expr = f"AVG({w.ref(a, measure)}) OVER ({partition}{order} {frame})"
            name, said = (
                "moving_average",
                f"the average {words(measure)} over the last three rows by {words(date)}{within}",
            )
            w.uses("window_framed")
    shown_said = listed([words(c) for c in shown] + [words(measure)])
    sql = f"SELECT {', '.join(base)}, {expr} AS {ident(name)} FROM {ident(table.name)} AS {a}"
    where, condition = w.filters(table, a, w.rng.randint(0, 2))
    question = f"For {plural(words(table))}"
    if where:
        sql += f" WHERE {where}"
        question += f" {condition}"
    question += f": the {shown_said}, with {said}"
    if w.rng.random() < 0.3:
        desc = w.rng.random() < 0.7
        tail_sql, tail = _order_limit(w, w.ref(a, measure), words(measure), desc)
        sql += tail_sql
        question += tail
    return sql, question + "."


_CTE_NAMES = {"parent_key", "amount", "row_count", "amount_rank"}


def _cte(w: _Writer) -> tuple[str, str] | None:
    """Totals per parent in a CTE, joined back to the parent and filtered on the total."""
    links = _relationships(w.world, numeric_child=True)
    if not links:
        return None
    r = w.rng.choice(links)
    parent, child = w.world.table(r.parent), w.world.table(r.child)
    label = parent.of_role("dimension", "category")
    if not label:
        return None
    # a parent column named as one of the CTE's would be two output columns of one name
    extra = _extra_columns(w, parent, [label[0]])
    shown = [label[0], *(e for e in extra if e.name.lower() not in _CTE_NAMES)]
    measure = w.rng.choice(
        [m for m in child.of_role("money", "count")] or child.of_role(*NUMERIC_ROLES)
    )
    # a total of what adds up (money, counts), else an average; sometimes the largest
    func = w.rng.choice(
        ["SUM", "SUM", "AVG", "MAX"] if measure.role != "measure" else ["AVG", "MAX"]
    )
    func_said = {"SUM": "total", "AVG": "average", "MAX": "largest"}[func]
    c = w.alias(child)
    p = w.alias(parent)
    # a bound on the summed column itself (below 5, missing) leaves no total above the
    # threshold: empty by construction
    where, condition = w.filters(child, c, w.rng.randint(0, 2), exclude=(measure,))
    counted = w.rng.random() < 0.3
    inner = (
        f"SELECT {c}.{ident(r.column)} AS parent_key, {func}({w.ref(c, measure)}) AS amount"
        + (", COUNT(*) AS row_count" if counted else "")
        + f" FROM {ident(child.name)} AS {c}"
        + (f" WHERE {where}" if where else "")
        + f" GROUP BY {c}.{ident(r.column)}"
    )
    threshold = w.number(measure) * 2
    if func != "SUM" and measure.role != "measure":
        # an average or largest amount is no total: above twice a typical one, few groups are
        threshold = max(1, threshold // 20)
    elif func != "SUM":  # (an average rating above 8 is none where ratings end at 5)
        threshold = w.below_largest(measure, threshold)
    op, op_said = w.rng.choice([(">", "above"), (">", "above"), (">=", "at least")])
    select = [w.ref(p, column) for column in shown] + ["per_parent.amount"]
    if counted:
        select.append("per_parent.row_count")
    w.uses("cte", *(words(column) for column in shown), words(measure), func_said, str(threshold))
    w.uses("join_inner")
    w.uses("aggregate")
    w.uses("group_by")
    question = (
        f"The {listed([words(column) for column in shown])} of {plural(words(parent))} whose "
        f"{func_said} {words(measure)} over their {plural(words(child))}"
        + (f" {condition}" if condition else "")
        + f" is {op_said} {threshold}, with that {'maximum' if func == 'MAX' else func_said}"
        + (f" and the number of those {plural(words(child))}" if counted else "")
    )
    if counted:
        w.mentions.append(plural(words(child)))
    if w.rng.random() < 0.5:
        select.append("RANK() OVER (ORDER BY per_parent.amount DESC) AS amount_rank")
        question += " and its rank, largest first"
        w.uses("window_rank")
    sql = (
        f"WITH per_parent AS ({inner}) SELECT {', '.join(select)} FROM "
        f"per_parent JOIN {ident(parent.name)} AS {p} ON per_parent.parent_key = "
        f"{p}.{ident(r.parent_column)} WHERE per_parent.amount {op} {threshold}"
    )
    outer, outer_condition = w.filters(parent, p, w.rng.choice((0, 0, 1)))
    if outer:
        sql += f" AND {outer}"
        question += f", for {plural(words(parent))} {outer_condition}"
    if w.rng.random() < 0.6:
        tail_sql, tail = _order_limit(w, "per_parent.amount", f"{func_said} {words(measure)}", True)
        sql += tail_sql
        question += tail
    return sql, question + "."


def _subquery(w: _Writer) -> tuple[str, str] | None:
    """Rows above the average: of the whole table, or of their own group (correlated)."""
    tables = [t for t in w.world.tables if t.of_role(*NUMERIC_ROLES)]
    if not tables:
        return None
    table = w.rng.choice(tables)
    measure = w.rng.choice(table.of_role(*NUMERIC_ROLES))
    a = w.alias(table)
    b = w.alias(table)
    shown = (table.of_role("dimension") or ([table.key] if table.key else []))[:1]
    shown += _extra_columns(w, table, [*shown, measure])
    w.mentions.extend(words(c) for c in shown)
    w.mentions.append(words(measure))
    select = ", ".join([w.ref(a, c) for c in shown] + [w.ref(a, measure)])
    groups = table.of_role("category")
    said = listed([words(c) for c in shown] + [words(measure)])
    # above or below the average, or the largest (a top row, of all or of its group)
    func, op, side = w.rng.choice(
        [("AVG", ">", "above"), ("AVG", ">", "above"), ("AVG", ">=", "at least"),
         ("AVG", "<", "below"), ("MAX", "=", "")]
    )  # fmt: skip
    func_said = "average" if func == "AVG" else "largest"
    w.mentions.append(func_said)
    if groups and w.rng.random() < 0.5:
        group = w.rng.choice(groups)
        w.mentions.append(words(group))
        inner = (
            f"SELECT {func}({w.ref(b, measure)}) FROM {ident(table.name)} AS {b} "
            f"WHERE {w.ref(b, group)} = {w.ref(a, group)}"
        )
        w.uses("correlated_subquery")
        scope = (
            f"the {func_said} {words(measure)} of {plural(words(table))} "
            f"with the same {words(group)}"
        )
    else:
        inner = f"SELECT {func}({w.ref(b, measure)}) FROM {ident(table.name)} AS {b}"
        w.uses("scalar_subquery")
        scope = f"the {func_said} {words(measure)} of all {plural(words(table))}"
    sql = f"SELECT {select} FROM {ident(table.name)} AS {a} "
    sql += f"WHERE {w.ref(a, measure)} {op} ({inner})"
    compared = f"{side} {scope}" if side else scope
    question = f"The {said} of {plural(words(table))} whose {words(measure)} is {compared}"
    if func == "MAX":  # a condition on another column would miss the top row: none
        return sql, question + "."
    # another bound on the measure would be empty by construction (above average and missing)
    where, condition = w.filters(table, a, w.rng.choice((0, 1, 1, 2)), exclude=(measure,))
    if where:
        sql += f" AND {where}"
        question += f", {condition}"
    if w.rng.random() < 0.3:
        tail_sql, tail = _order_limit(w, w.ref(a, measure), words(measure), op != "<")
        sql += tail_sql
        question += tail
    return sql, question + "."


def _extra_columns(w: _Writer, table: Table, shown: list[Column]) -> list[Column]:
    """Up to two more of ``table``'s plain columns to show beside ``shown``."""
    others = [
        c for c in table.columns if c.role not in ("key", "foreign_key") and c not in shown
    ]  # fmt: skip
    return w.rng.sample(others, k=min(len(others), w.rng.choice((0, 0, 1, 2))))


def _set_operation(w: _Writer) -> tuple[str, str] | None:
    """One column of the rows that pass one filter, combined with those that pass another."""
    table = w.rng.choice(w.world.tables)
    op, construct, joiner = w.rng.choice(
        [("UNION", "set_union", "or"), ("INTERSECT", "set_intersect", "and also"),
         ("EXCEPT", "set_except", "but not")]
    )  # fmt: skip
    # a category's few values all occur on both sides of an EXCEPT: empty by construction;
    # names differ from row to row
    shown = table.of_role("dimension") if op == "EXCEPT" else table.of_role("dimension", "category")
    if not shown:
        return None
    column = w.rng.choice(shown)
    a = w.alias(table)
    first = w.filter(table, a)
    second = w.filter(table, a)
    # two conditions on one column: an INTERSECT of two of its values is empty by construction
    if first is None or second is None or first.column == second.column:
        return None
    for clause in (first, second):
        w.uses(clause.construct, *clause.mentions)
    w.uses(construct, words(column))
    base = f"SELECT {w.ref(a, column)} FROM {ident(table.name)} AS {a}"
    sql = f"{base} WHERE {first.sql} {op} {base} WHERE {second.sql}"
    return sql, (
        f"The distinct {words(column)} values of {plural(words(table))} {first.phrase}, "
        f"{joiner} of those {second.phrase}."
    )


def _join_listing(w: _Writer) -> tuple[str, str] | None:
    """Child rows beside their parent's label, filtered on either side; INNER or LEFT."""
    links = _relationships(w.world)
    if not links:
        return None
    r = w.rng.choice(links)
    parent, child = w.world.table(r.parent), w.world.table(r.child)
    labels = parent.of_role("dimension", "category")
    attrs = [c for c in child.columns if c.role not in ("key", "foreign_key")]
    if not labels or not attrs:
        return None
    c, p = w.alias(child), w.alias(parent)
    label, attr = w.rng.choice(labels), w.rng.choice(attrs)
    extra = _extra_columns(w, child, [attr])
    w.mentions.extend([words(attr), *(words(e) for e in extra), words(label)])
    # an analyst names the parent's column when the child has one of the same name
    child_names = {attr.name, *(e.name for e in extra)}
    renamed = f" AS {ident(parent.words + '_' + label.name)}" if label.name in child_names else ""
    left = w.rng.random() < 0.3
    w.uses("join_left" if left else "join_inner")
    join = "LEFT JOIN" if left else "JOIN"
    table, alias = (parent, p) if w.rng.random() < 0.5 else (child, c)
    where, condition = w.filters(table, alias, w.rng.randint(1, 2))
    shown = "".join(f"{w.ref(c, e)}, " for e in extra)
    sql = (
        f"SELECT {w.ref(c, attr)}, {shown}{w.ref(p, label)}{renamed} "
        f"FROM {ident(child.name)} AS {c} "
        f"{join} {ident(parent.name)} AS {p} "
        f"ON {c}.{ident(r.column)} = {p}.{ident(r.parent_column)}"
    )
    said = listed([words(attr), *(words(e) for e in extra)])
    question = f"The {said} of each {words(child)} with its {words(parent)}'s {words(label)}"
    if left:
        question += f" (kept when it has no {words(parent)})"
    others = [
        o for o in _relationships(w.world)
        if o.child == child.name and o.parent not in (parent.name, child.name)
        and w.world.table(o.parent).of_role("dimension", "category")
    ]  # fmt: skip
    if others and w.rng.random() < 0.4:  # and the label of a second thing it references
        o = w.rng.choice(others)
        second = w.world.table(o.parent)
        o_alias = w.alias(second)
        o_label = w.rng.choice(second.of_role("dimension", "category"))
        name = ident(second.words + "_" + o_label.words)
        sql = sql.replace(" FROM ", f", {w.ref(o_alias, o_label)} AS {name} FROM ", 1)
        sql += (
            f" JOIN {ident(second.name)} AS {o_alias} "
            f"ON {c}.{ident(o.column)} = {o_alias}.{ident(o.parent_column)}"
        )
        question += f", and its {words(second)}'s {words(o_label)}"
        w.mentions.append(words(o_label))
        w.uses("join_inner")
    if where:
        sql += f" WHERE {where}"
        question += f", for {plural(words(table))} {condition}"
    if w.rng.random() < 0.35:
        numeric = attr.role in NUMERIC_ROLES
        tail_sql, tail = _order_limit(w, w.ref(c, attr), words(attr), w.rng.random() < 0.5, numeric)
        sql += tail_sql
        question += tail
    return sql, question + "."


Family = Callable[[_Writer], tuple[str, str] | None]
# the families of queries, and how often each is drawn
FAMILIES: tuple[tuple[Family, int], ...] = (
    (_listing, 3),
    (_aggregate, 5),
    (_join_listing, 2),
    (_semi, 2),
    (_window, 2),
    (_cte, 2),
    (_subquery, 2),
    (_set_operation, 1),
)


def _family(rng: random.Random) -> Family:
    families, weights = zip(*FAMILIES, strict=True)
    return rng.choices(families, weights=weights)[0]


def _write(world: World, rng: random.Random, family: Family) -> Query | None:
    """A query of ``family`` over ``world``, or None when the world cannot hold one."""
    writer = _Writer(world, rng)
    made = family(writer)
    if made is None:
        return None
    sql, question = made
    mentions = tuple(dict.fromkeys(m for m in writer.mentions if m))
    tables = tuple(t.name for t in world.tables if t.name in writer.tables)
    return Query(
        sql, tuple(writer.constructs), _level(writer.constructs), question, mentions, tables
    )


def generate_queries(world: World, count: int, *, seed: int = 0) -> list[Query]:
    """``count`` queries over ``world`` of as many SQL shapes (as
    :func:`~ibert_assets.quality.sql_shape` counts them); fewer when the world has no more.

    Generating a query is cheap, verifying it is not, so the choice is made before: each query
    is the best by :func:`novelty` of :data:`CHOICES` candidates of one family (drawn as
    :data:`FAMILIES` weighs them), and one whose shape the world already wrote is not kept.
    """
    rng = random.Random(f"{world.seed}:{seed}")
    found: dict[str, Query] = {}
    read: set[tuple[str, ...]] = set()
    for _ in range(count * TRIES):
        if len(found) == count:
            break
        # candidates of one family: the families keep their mix, the choice is within one
        family = _family(rng)
        candidates = [q for _ in range(CHOICES) if (q := _write(world, rng, family)) is not None]
        if not candidates:
            continue
        query = max(candidates, key=lambda q: novelty(q, read))
        # the exact shape of the one chosen (sqlglot: ~1 ms, a few times the generation)
        shape = sql_shape(query.sql) or query.sql
        if shape not in found:
            found[shape] = query
            read.add(query.tables)
    return list(found.values())


# a SQL shape without sqlglot: literals as ``?``, names (not upper-case keywords) as ``_``
_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")
_NAMES = re.compile(r'"(?:[^"]|"")*"|\b(?![A-Z_]+\b)[A-Za-z_]\w*\b')
_QUALIFIED = re.compile(r"_\._")


def rough_shape(sql: str) -> str:
    """The SQL shape of a generated query, as :func:`~ibert_assets.quality.sql_shape` counts
    it nearly (a generated query writes its keywords in upper case, its names never), at a
    hundredth of the cost.

    >>> rough_shape("SELECT o.amount FROM orders AS o WHERE o.qty > 5 AND o.city = 'Oslo'")
    'SELECT _ FROM _ AS _ WHERE _ > ? AND _ = ?'
    """
    return _QUALIFIED.sub("_", _NAMES.sub("_", _LITERALS.sub("?", sql)))


def novelty(query: Query, read: set[tuple[str, ...]]) -> int:
    """How much ``query`` adds to a dataset: the length of its shape, and
    :data:`NEW_TABLES_BONUS` more when it reads tables no earlier query of its world read (its
    record's schema is a new schema structure).

    Short shapes (one column, one filter) are the ones every world writes; across worlds, long
    ones repeat far less (``benchmarks/bench_synthetic.py --breadth``).
    """
    return len(rough_shape(query.sql)) + NEW_TABLES_BONUS * (query.tables not in read)
