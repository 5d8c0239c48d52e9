"""answer_question: retrieval answers without a model, cited model answers with one."""

from __future__ import annotations

import json
from pathlib import Path

from ibert_assets_tests.scripted_model import ModelDouble
from ibert_inference.tasks.qa import answer_question


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


def test_with_model_the_prompt_numbers_the_passages():
    model = ScriptedModel("Use order_by with ibis.desc [1].")
    result = answer_question("How do I sort descending?", model=model, k=3)
    assert result.source == "model" and result.output == "Use order_by with ibis.desc [1]."
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
    assert without.details.get("citations", [{}])[0].get("id") != "b"
    model = ScriptedModel("Use ibis.rank [1].")
    answer_question(question, model=model, corpus_paths=[extra], context="rank over a window")
    assert "Context from the user:\nrank over a window" in model.conversations[0][-1]["content"]
