"""answer_question: retrieval answers without a model, cited model answers with one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ibert_assets_tests.scripted_model import ModelDouble
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.tasks.qa import answer_question
from ibert_inference.tasks.result import describe_checks


class ScriptedModel(ModelDouble):
    """Answers with one prepared reply and records the conversations it was shown."""

    def __init__(self, reply: str):
        self.reply = reply
        self.conversations: list[list[dict]] = []

    def generate(self, conversations, **_options):
        self.conversations.extend(conversations)
        return [self.reply for _ in conversations]


def test_without_model_the_passages_are_the_answer():
    result = answer_question("How do I sort rows from largest to smallest?", k=2)
    assert result.ok and result.source == "retrieval" and result.verified is None
    citations = result.details["citations"]
    assert [c["n"] for c in citations] == [1, 2]
    assert citations[0]["id"] == "order-by"
    assert result.output.startswith("[1] Sorting rows")
    assert "[2] " in result.output


NEW_EXAMPLE = (
    "Use order_by with ibis.desc [1]:\n```python\norders.order_by(ibis.desc('total'))\n```"
)


def test_with_model_the_prompt_numbers_the_passages():
    model = ScriptedModel(NEW_EXAMPLE)
    result = answer_question("How do I sort descending?", model=model, k=3)
    assert result.source == "model" and result.output.startswith(NEW_EXAMPLE + "\n\nSources:\n")
    prompt = model.conversations[0][-1]["content"]
    assert "[1] Sorting rows" in prompt and "[3] " in prompt
    assert "Question: How do I sort descending?" in prompt
    assert len(result.details["citations"]) == 3


def test_extra_corpus_paths_are_searched(tmp_path: Path):
    extra = tmp_path / "team.jsonl"
    passage = {
        "id": "team-1",
        "title": "Our warehouse naming",
        "text": "Tables in the finance warehouse start with fin_ and hold monthly ledgers.",
        "source": "team wiki",
    }
    extra.write_text(json.dumps(passage) + "\n")
    result = answer_question("where are the finance ledgers", corpus_paths=[extra], k=1)
    assert result.details["citations"][0]["id"] == "team-1"
    assert "(team wiki)" in result.output


def test_question_with_no_known_words_fails():
    result = answer_question("xyzzy plugh", k=3)
    assert not result.ok and result.source == "none"


def test_context_steers_the_search_and_reaches_the_model(tmp_path: Path):
    extra = tmp_path / "team.jsonl"
    passages = [
        {"id": "a", "title": "Joining", "text": "Join two tables with join on a key."},
        {"id": "b", "title": "Windows", "text": "Rank rows over a window with ibis.rank."},
    ]
    extra.write_text("".join(json.dumps(p) + "\n" for p in passages))
    question = "what should I use here"
    without = answer_question(question, corpus_paths=[extra], k=1)
    with_context = answer_question(
        question, corpus_paths=[extra], k=1, context="I need to rank rows over a window"
    )
    assert with_context.details["citations"][0]["id"] == "b"
    assert (without.details["citations"] or [{}])[0].get("id") != "b"
    model = ScriptedModel("Use ibis.rank [1].")
    answer_question(question, model=model, corpus_paths=[extra], context="rank over a window")
    assert "Context from the user:\nrank over a window" in model.conversations[0][-1]["content"]


# --- the model's answer: shown only when it adds a code example that evaluates ---------------


def cited(output: str) -> list[str]:
    """The citation lines of an answer as printed: ``[n] title (source)``."""
    return re.findall(r"^\[\d+\] [^\n]*", output, flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("reply", "note"),
    [
        ("Sort with order_by and ibis.desc [1].", "it adds no code example"),
        ("```python\norders.order_by(ibis.desc('total')).zzz()\n```",
         "its code example does not evaluate (AttributeError"),
        ("Like this:\n```python\nimport os\nos.remove('x')\n```", "does not evaluate"),
    ],
)  # fmt: skip
def test_a_model_answer_that_adds_no_evaluated_example_is_not_shown(reply: str, note: str):
    # before: the model's text replaced good passages, whatever it said
    question = "How do I sort rows from largest to smallest?"
    without = answer_question(question, k=3)
    result = answer_question(question, model=ScriptedModel(reply), k=3)
    assert result.source == "retrieval" and result.output == without.output
    assert note in result.details["note"] and result.details["model_answer"] == reply
    assert note in describe_checks(result)


def test_a_model_answer_that_copies_a_passage_example_adds_nothing():
    question = "How do I sort rows from largest to smallest?"
    passage = answer_question(question, k=1)
    code = re.search(r"(\w+\.order_by\([^\n]*?\))", passage.output)
    assert code, passage.output
    reply = f"```python\n{code.group(1)}\n```"
    result = answer_question(question, model=ScriptedModel(reply), k=1)
    assert result.source == "retrieval" and "only repeats a passage" in result.details["note"]


def test_a_shown_model_answer_keeps_every_citation():
    question = "How do I sort rows from largest to smallest?"
    without = answer_question(question, k=3)
    result = answer_question(question, model=ScriptedModel(NEW_EXAMPLE), k=3)
    assert result.source == "model" and result.checks == {"example_evaluated": True}
    assert result.details["example"] == "orders.order_by(ibis.desc('total'))"
    assert cited(result.output) == cited(without.output)  # never fewer citations
    assert len(cited(result.output)) == 3


# --- the index: every mined documentation record, ranked with the FAQ ------------------------

RESHAPE = '''\
def widen_by_month(sales, value="amount"):
    """Turn one row per month into one column per month, with pivot_wider.

    Args:
        sales: Sales with a month column and a column of values.
        value: Column whose values fill the new month columns.

    Returns:
        The sales, one column per month.
    """
    return sales.pivot_wider(names_from="month", values_from=value)
'''


@pytest.fixture(scope="module")
def mined_docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the docs_examples partition the build mines from a real repo."""
    import git

    from ibert_assets.mining.mine import mine_docs
    from ibert_assets.mining.repos import RepoSpec
    from ibert_assets.mining.snapshots import snapshot_repo
    from ibert_assets.store import partition_path, to_jsonl, write_atomic
    from ibert_assets_tests.mining_repo import commit_all

    root = tmp_path_factory.mktemp("qa_docs")
    origin = root / "origin"
    origin.mkdir()
    repo = git.Repo.init(origin, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "iBERT tests")
        config.set_value("user", "email", "tests@ibert.invalid")
    (origin / "reshape.py").write_text(RESHAPE)
    commit_all(repo, "reshaping helpers")
    snapshot = snapshot_repo(RepoSpec(url=str(origin), name="demo"), root / "cache")
    outcome = mine_docs(snapshot)
    assert [r.task for r in outcome.records] == ["documentation"]
    data = root / "data"
    write_atomic(partition_path(str(data), "docs_examples", "demo"), to_jsonl(outcome.records))
    return data


def test_every_mined_documentation_record_is_retrieved_with_its_source(mined_docs):
    # before: only `qa` records were read; documentation records added nothing
    store = StoreLayout(str(mined_docs))
    result = answer_question("how do I make one column per month", k=3, store=store)
    titles = [c["title"] for c in result.details["citations"]]
    assert (
        "widen_by_month: Turn one row per month into one column per month, with pivot_wider."
        in (titles)
    )
    (citation,) = [c for c in result.details["citations"] if c["title"].startswith("widen")]
    assert citation["source"].endswith("/reshape.py#L1-L11")
    assert f"({citation['source']})" in result.output


PIVOT_CONTEXT = """\
import ibis
from ibis import _

orders = ibis.table({"region": "string", "month": "string", "amount": "float64",
                     "customer_id": "int64"}, name="orders")
customers = ibis.table({"customer_id": "int64", "segment": "string"}, name="customers")
joined = orders.join(customers, "customer_id")
monthly = joined.group_by(["region", "month"]).agg(total=_.amount.sum())
monthly = monthly.filter(_.total > 1000).order_by(ibis.desc("total"))
"""


@pytest.mark.parametrize("question", ["How do I pivot?", "pivot the months into columns"])
def test_the_context_weighs_less_than_the_question(question: str):
    # before: a code file as --context drowned the question: no pivot passage first (or at all)
    result = answer_question(question, context=PIVOT_CONTEXT, k=3)
    assert result.details["citations"][0]["id"] == "pivot"
