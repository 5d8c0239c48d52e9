"""BM25 retrieval over the shipped corpus and dataset-store records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.dataset.record import RecordError
from ibert_inference.errors import DataStoreError
from ibert_inference.model.retrieval import (
    CORPUS_DIR,
    Passage,
    PassageIndex,
    default_corpus,
    load_passages,
    passage_index,
    tokenize,
)


@pytest.fixture(scope="module")
def shipped_index() -> PassageIndex:
    return PassageIndex(load_passages(sorted(CORPUS_DIR.glob("*.jsonl"))))


def test_shipped_corpus_is_well_formed():
    passages = load_passages(sorted(CORPUS_DIR.glob("*.jsonl")))
    assert 40 <= len(passages) <= 80
    assert len({p.id for p in passages}) == len(passages)
    assert all(p.title and len(p.text) > 60 and p.source for p in passages)


@pytest.mark.parametrize(
    ("question", "expected_id"),
    [
        ("How can I keep only the rows that match a condition?", "filter-rows"),
        ("how do I get a count for every category", "group-by-agg"),
        ("show me the query text Ibis would send to postgres", "to-sql"),
        ("replace missing values with a default", "coalesce-default"),
        ("merge two tables on a shared key", "joins"),
        ("compute a running total over dates", "cumulative"),
        ("what does 'they belong to another relation' mean", "common-errors-integrity"),
        ("load a parquet file", "read-files"),
        ("give a column a new name", "rename-drop"),
        ("highest three salaries in each department", "top-n-per-group"),
    ],
)
def test_paraphrased_questions_find_the_right_passage(shipped_index, question, expected_id):
    ids = [hit.passage.id for hit in shipped_index.search(question, k=3)]
    assert expected_id in ids, ids


def test_scores_are_sorted_and_unrelated_words_find_nothing(shipped_index):
    hits = shipped_index.search("window functions ranking", k=5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert shipped_index.search("xyzzy plugh", k=3) == []


def test_tokenize_splits_snake_case_and_stems():
    assert tokenize("Joining tables with group_by") == ["join", "table", "group_by", "group"]


def rid(name: str) -> str:
    """A record id (16 hex digits) that stands for ``name``."""
    return hashlib.sha256(name.encode()).hexdigest()[:16]


def store_record(question: str, answer: str) -> dict:
    return {
        "id": rid("rec1"),
        "task": "qa",
        "input": {"question": question},
        "target": {"answer": answer},
        "meta": {"source": "docs"},
        "provenance": {
            "repo": "ibis-project/ibis",
            "url": "https://github.com/ibis-project/ibis",
            "commit": "abc123",
            "path": "docs/how.qmd",
            "line_start": 3,
            "line_end": 9,
            "license": "Apache-2.0",
        },
    }


def test_store_records_are_passages(tmp_path: Path):
    store = tmp_path / "docs_examples"
    store.mkdir()
    record = store_record(
        "How do I read a Delta Lake table?", "Use con.read_delta with the table path."
    )
    # a function without a name says nothing a passage could be titled with
    undocumented = {"input": {"code": "def f(t):\n    return t"}, "target": {"docstring": "F."}}
    other = {**record, "id": rid("rec2"), "task": "documentation", **undocumented}
    (store / "ibis.jsonl").write_text(json.dumps(record) + "\n" + json.dumps(other) + "\n")
    rejected = {**record, "id": rid("rec3"), "input": {"question": "Delta lake rejected?"}}
    (store / "ibis.rejects.jsonl").write_text(json.dumps(rejected) + "\n")
    corpus = default_corpus(StoreLayout(str(tmp_path)))
    assert store in corpus and CORPUS_DIR / "ibis_basics.jsonl" in corpus
    assert store not in default_corpus(StoreLayout(str(tmp_path / "elsewhere")))
    index = passage_index(corpus)
    best = index.search("reading delta lake tables", k=1)[0].passage
    assert best == Passage(
        rid("rec1"),
        "How do I read a Delta Lake table?",
        "Use con.read_delta with the table path.",
        "https://github.com/ibis-project/ibis/blob/abc123/docs/how.qmd#L3-L9",
    )
    assert {rid("rec2"), rid("rec3")}.isdisjoint(p.id for p in index.passages)


def test_bad_corpus_lines_name_file_and_line(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "title": "t", "text": "x", "source": "s"}\n{oops\n')
    with pytest.raises(DataStoreError, match=r"bad.jsonl:2"):
        load_passages([bad])
    with pytest.raises(DataStoreError, match="not found"):
        passage_index([tmp_path / "missing.jsonl"])


def documentation_record(record_id: str, function: str, docstring: str, **provenance) -> dict:
    return {
        "id": rid(record_id),
        "task": "documentation",
        "input": {"code": f"def {function}(t):\n    return t", "function": function},
        "target": {"docstring": docstring},
        "meta": {"source": "docs"},
        "provenance": {"repo": "r", "license": "MIT", **provenance},
    }


def test_documentation_records_are_passages_with_a_link_to_their_lines(tmp_path: Path):
    store = tmp_path / "docs_examples"
    store.mkdir()
    installed = {"package": "ibis-framework", "version": "12.0.0", "path": "ibis/expr/api.py",
                 "url": "https://pypi.org/project/ibis-framework/12.0.0/",
                 "commit": "ibis-framework==12.0.0", "line_start": 10, "line_end": 40}  # fmt: skip
    cloned = {"url": "https://github.com/o/r.git", "commit": "abc", "path": "r/pivots.py",
              "line_start": 3, "line_end": 9}  # fmt: skip
    records = [
        documentation_record("d1", "pivot_wider", "Pivot a table to a wider format.", **installed),
        documentation_record("d2", "spread", "Spread one row per month into columns.", **cloned),
        # the same docstring mined from another backend is one passage, not two
        documentation_record("d3", "pivot_wider", "Pivot a table to a wider format.", **cloned),
    ]
    (store / "ibis.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    passages = {p.id: p for p in load_passages([store])}
    assert sorted(passages) == sorted([rid("d1"), rid("d2")])
    assert passages[rid("d1")].title == "pivot_wider: Pivot a table to a wider format."
    assert passages[rid("d1")].source == (
        "ibis-framework 12.0.0, ibis/expr/api.py lines 10-40 "
        "(https://pypi.org/project/ibis-framework/12.0.0/)"
    )  # before: a PyPI page with /blob/ibis-framework==12.0.0/ appended, which does not exist
    assert passages[rid("d2")].source == "https://github.com/o/r/blob/abc/r/pivots.py#L3-L9"


def test_context_words_weigh_less_than_the_question_all_together():
    index = PassageIndex([
        Passage("pivot", "Pivoting", "Use pivot_wider to turn rows into columns.", "x"),
        Passage("join", "Joining", "join two tables on a key with join.", "y"),
    ])  # fmt: skip
    context = "joined = a.join(b, 'key')\n" * 3 + "more = joined.join(c, 'key').join(d, 'key')"
    assert [h.passage.id for h in index.search("pivot", k=1, context=context)] == ["pivot"]
    # the same words as part of the question would win
    assert [h.passage.id for h in index.search(f"pivot {context}", k=1)] == ["join"]
    # a question with no searchable word is steered by the context alone
    assert [h.passage.id for h in index.search("what should I use", k=1, context="join")] == [
        "join"
    ]


def test_a_malformed_record_in_the_corpus_is_refused_naming_its_line(tmp_path: Path):
    store = tmp_path / "docs_examples"
    store.mkdir()
    good = store_record("How do I sort?", "Use order_by.")
    broken = {**good, "input": {"sql": "SELECT 1"}}  # a qa record must hold a question
    (store / "ibis.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(broken) + "\n")
    with pytest.raises(RecordError, match=r"ibis\.jsonl:2: input\.question: Field required"):
        load_passages([store])
