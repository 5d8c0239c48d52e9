"""Random mutations of a SQL text, to feed the translator input that is almost right.

Each mutation works on sqlglot's tokens (so string literals and quoted names stay whole): drop a
token, repeat one, swap two neighbours, or swap two top-level clauses (``WHERE ...`` with
``GROUP BY ...``). The result is often not SQL at all, sometimes SQL that means something else;
the translator must answer each with a translation or a one-line refusal, never a crash.

>>> import random
>>> mutate("SELECT a FROM t WHERE a > 1 GROUP BY a", random.Random(0))
'SELECT a FROM t GROUP BY a WHERE a > 1 '
>>> mutate("SELECT a FROM t WHERE a > 1 GROUP BY a", random.Random(5))
'SELECT a FROM t WHERE > a 1 GROUP BY a'
"""

from __future__ import annotations

import random
import sys
from collections import Counter

from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import Token, TokenType

_CLAUSES = {
    TokenType.WHERE,
    TokenType.GROUP_BY,
    TokenType.HAVING,
    TokenType.ORDER_BY,
    TokenType.LIMIT,
    TokenType.QUALIFY,
}


def _tokens(sql: str, dialect: str) -> list[Token]:
    return list(Dialect.get_or_raise(dialect).tokenize(sql))


def _clause_spans(sql: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """Character spans of the clauses of the outermost query, each up to the next clause."""
    starts: list[int] = []
    depth = 0
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif depth == 0 and token.token_type in _CLAUSES:
            starts.append(token.start)
    ends = [*starts[1:], len(sql)] if starts else []
    return list(zip(starts, ends, strict=True))


def mutate(sql: str, rng: random.Random, dialect: str = "duckdb") -> str:
    """One random mutation of ``sql`` (the text itself when it has too few tokens)."""
    try:
        tokens = _tokens(sql, dialect)
    except Exception:  # a text sqlglot cannot tokenize is already a mutation
        return sql
    if len(tokens) < 3:
        return sql
    kind = rng.choice(("drop", "repeat", "swap", "clauses"))
    i = rng.randrange(len(tokens) - 1)
    token, following = tokens[i], tokens[i + 1]
    if kind == "drop":
        return sql[: token.start] + sql[token.end + 1 :]
    if kind == "repeat":
        text = sql[token.start : token.end + 1]
        return sql[: token.end + 1] + " " + text + sql[token.end + 1 :]
    if kind == "swap":
        first = sql[token.start : token.end + 1]
        second = sql[following.start : following.end + 1]
        between = sql[token.end + 1 : following.start]
        return sql[: token.start] + second + between + first + sql[following.end + 1 :]
    spans = _clause_spans(sql, tokens)
    if len(spans) < 2:
        return sql[: token.start] + sql[token.end + 1 :]
    (a_start, a_end), (b_start, b_end) = sorted(rng.sample(spans, 2))
    first, second = sql[a_start:a_end], sql[b_start:b_end]
    return sql[:a_start] + second + " " + sql[a_end:b_start] + first + sql[b_end:]


def mutants(sql: str, seed: str, count: int, dialect: str = "duckdb") -> list[str]:
    """``count`` mutations of ``sql``, the same ones for the same ``seed``; some mutate twice."""
    rng = random.Random(seed)
    found: list[str] = []
    for _ in range(count):
        text = mutate(sql, rng, dialect)
        if rng.random() < 0.3:
            text = mutate(text, rng, dialect)
        found.append(text)
    return found


ACCEPTABLE_VERDICTS = frozenset({"verified", "vacuous", "sql_error"})


def check_mutant(
    sql: str, schema: dict[str, dict[str, str]], dialect: str, *, verify: bool = True
) -> str | None:
    """What is wrong with the translator's answer to ``sql``, or None.

    Right answers: a one-line SQLParseError or UnsupportedSQLError; or a translation whose code
    compiles, evaluates to the very expression returned, and that the verifier does not reject
    (the SQL may be nonsense DuckDB refuses, ``sql_error``, or select nothing, ``vacuous``).
    """
    import ibis

    from ibert_assets_tests.in_process import evaluate_ibis
    from ibert_inference.errors import SQLParseError, UnsupportedSQLError
    from ibert_inference.translate import sql_to_ibis
    from ibert_inference.verify.pair import verify_pair

    try:
        translation = sql_to_ibis(sql, schema, dialect)
    except (SQLParseError, UnsupportedSQLError) as exc:
        return f"a refusal of several lines: {exc}" if "\n" in str(exc) else None
    except Exception as exc:  # what this check exists to find
        return f"{type(exc).__name__} reached the caller: {exc}"
    try:
        compile(translation.code, "<translation>", "exec")
        evaluated = evaluate_ibis(translation.code, schema)
    except Exception as exc:
        return f"the code does not evaluate: {type(exc).__name__}: {exc}\n{translation.code}"
    if ibis.to_sql(evaluated) != ibis.to_sql(translation.expr):
        return f"the code is not the expression returned\n{translation.code}"
    if not verify:
        return None
    verdict = verify_pair(sql, translation.code, schema, dialect=dialect)
    if verdict.status not in ACCEPTABLE_VERDICTS:
        return f"{verdict.status}: {verdict.reason}\n{translation.code}"
    return None


def main(count: int) -> None:
    """Every corpus query, ``count`` mutants each: print the outcomes and every problem."""
    from ibert_assets_tests.sql_corpus import load_corpus

    outcomes: Counter[str] = Counter()
    for query in load_corpus():
        for text in mutants(query.sql, query.id, count, query.dialect):
            problem = check_mutant(text, query.schema_tables, query.dialect, verify=not query.xfail)
            outcomes["problem" if problem else "fine"] += 1
            if problem:
                print(f"--- {query.id}: {problem}\n{text}")
    print(dict(outcomes))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
