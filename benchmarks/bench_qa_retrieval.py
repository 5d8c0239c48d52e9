"""How well `ibert qa` retrieves: the shipped FAQ alone and ranked together with mined docs.

Prints, for a fixed set of everyday questions whose best passage is a FAQ passage and of API
questions whose best passage is a mined docstring, how often that passage is first and among
the three cited; and, for questions asked with a code file as ``--context``, how often the
passage the question asks for is first when the context weighs as much as the question (the
words simply joined, as before) and when it weighs less (``CONTEXT_WEIGHT``).

    python benchmarks/bench_qa_retrieval.py --docs data/docs_examples

The documentation records come from a build (``ibert-build --select repo_snapshots,
mined_examples,docs_examples``); without ``--docs`` it reads ``$IBERT_DATA_DIR/docs_examples``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from ibert_inference.model.retrieval import CORPUS_DIR, PassageIndex, load_passages

FAQ_QUESTIONS = [
    ("How can I keep only the rows that match a condition?", "filter-rows"),
    ("how do I get a count for every category", "group-by-agg"),
    ("show me the query text Ibis would send to postgres", "to-sql"),
    ("replace missing values with a default", "coalesce-default"),
    ("merge two tables on a shared key", "joins"),
    ("compute a running total over dates", "cumulative"),
    ("load a parquet file", "read-files"),
    ("give a column a new name", "rename-drop"),
    ("highest three salaries in each department", "top-n-per-group"),
    ("How do I pivot?", "pivot"),
    ("how do I sort rows from largest to smallest?", "order-by"),
    ("how do I join two tables?", "joins"),
    ("how do I remove duplicate rows", "distinct"),
    ("cast a string column to an integer", "cast"),
    ("how do I rank rows within groups", "ranking"),
    ("How do I add a new column?", "mutate"),
    ("how to use a window function", "window-functions"),
    ("how do I filter groups after aggregating", "having"),
    ("how do I connect to duckdb", "connect-duckdb"),
    ("case when in ibis", "case-when"),
]
API_QUESTIONS = [  # the function whose docstring answers it
    ("how do I do an as-of join on timestamps", "asof_join"),
    ("compute an approximate quantile", "approx_quantile"),
    ("extract a regex group from a string", "re_extract"),
    ("how to read a delta lake table", "read_delta"),
    ("move columns to the front of a table", "relocate"),
    ("format a timestamp as a string with strftime", "strftime"),
    ("pivot_wider with several value columns", "pivot_wider"),
    ("drop rows with null values", "drop_null"),
    ("most frequent values of a column, top k", "topk"),
    ("take a random sample of rows", "sample"),
]
CONTEXT = """\
import ibis
from ibis import _

orders = ibis.table({"region": "string", "month": "string", "amount": "float64",
                     "customer_id": "int64"}, name="orders")
customers = ibis.table({"customer_id": "int64", "segment": "string"}, name="customers")
joined = orders.join(customers, "customer_id")
monthly = joined.group_by(["region", "month"]).agg(total=_.amount.sum())
monthly = monthly.filter(_.total > 1000).order_by(ibis.desc("total"))
"""
CONTEXT_QUESTIONS = [
    ("How do I pivot?", "pivot"),
    ("pivot the months into columns", "pivot"),
    ("how do I rank the regions", "ranking"),
    ("how do I keep the top 3 per region", "top-n-per-group"),
    ("show me the SQL", "to-sql"),
    ("replace missing totals with zero", "coalesce-default"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(os.environ.get("IBERT_DATA_DIR", "data")) / "docs_examples"
    parser.add_argument("--docs", type=Path, default=default, help="docs_examples folder")
    args = parser.parse_args()
    faq = load_passages(sorted(CORPUS_DIR.glob("*.jsonl")))
    docs = load_passages([args.docs]) if args.docs.exists() else []
    if not docs:
        print(f"no documentation records under {args.docs}: build docs_examples first")
    tasks = Counter(
        json.loads(line).get("task")
        for file in sorted(args.docs.rglob("*.jsonl")) if not file.name.endswith(".rejects.jsonl")
        for line in file.read_text(encoding="utf-8").splitlines() if line.strip()
    ) if args.docs.exists() else Counter()  # fmt: skip
    print(f"passages: FAQ {len(faq)}, mined {len(docs)} (from records: {dict(tasks)}; the same "
          "docstring mined from several backends is one passage)")  # fmt: skip
    for name, passages in (("FAQ only", faq), ("FAQ + mined docs", faq + docs)):
        index = PassageIndex(passages)
        first, top3 = _hits(index, FAQ_QUESTIONS, lambda hit, want: hit.passage.id == want)
        print(f"{name:>17}: FAQ questions first {first}/{len(FAQ_QUESTIONS)}, "
              f"top-3 {top3}/{len(FAQ_QUESTIONS)}", end="")  # fmt: skip
        first, top3 = _hits(
            index, API_QUESTIONS, lambda hit, want: hit.passage.title.startswith(f"{want}:")
        )
        print(f"; API questions first {first}/{len(API_QUESTIONS)}, top-3 {top3}/10")
    index = PassageIndex(faq + docs)
    joined = sum(
        _first_id(index.search(f"{question} {CONTEXT[:500]}", k=1)) == want
        for question, want in CONTEXT_QUESTIONS
    )
    weighted = sum(
        _first_id(index.search(question, k=1, context=CONTEXT)) == want
        for question, want in CONTEXT_QUESTIONS
    )
    print(
        f"with a code file as --context: the asked-for passage first {joined}/"
        f"{len(CONTEXT_QUESTIONS)} when the context weighs as much as the question, "
        f"{weighted}/{len(CONTEXT_QUESTIONS)} when it weighs less"
    )
    return 0


def _hits(index: PassageIndex, questions, matches) -> tuple[int, int]:
    first = top3 = 0
    for question, want in questions:
        hits = index.search(question, k=3)
        first += bool(hits) and matches(hits[0], want)
        top3 += any(matches(hit, want) for hit in hits)
    return first, top3


def _first_id(hits) -> str | None:
    return hits[0].passage.id if hits else None


if __name__ == "__main__":
    sys.exit(main())
