"""One prompt module: what a task sends when serving is what a record trains on."""

from __future__ import annotations

from typing import Any

import pytest

from ibert_assets_tests.scripted_model import ScriptedModel
from ibert_inference.dataset.record import Record
from ibert_inference.errors import IbertError
from ibert_inference.model.prompts import (
    demonstration,
    extract_code,
    record_conversation,
    sql_to_ibis_conversation,
)

ORDERS = {"orders": {"id": "int64", "amount": "float64", "status": "string"}}
BIG = "result = orders.filter(_.amount > 10).select('id')"


def stored(task: str, input: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "0" * 16,
        "task": task,
        "context": {"tables": {"orders": {"schema": ORDERS["orders"]}}},
        "input": input,
        "target": target,
        "meta": {"source": "template"},
    }


def record(task: str, input: dict[str, Any], target: dict[str, Any]) -> Record:
    return Record.from_dict(stored(task, input, target))


def test_completion_serving_sends_the_training_prompt():
    from ibert_inference.tasks.code_completion import complete_code

    prefix = "result = orders.filter(_.amount > 10)"
    example = record("code_completion", {"prefix": prefix}, {"completion": ".select('id')"})
    trained_on, reply = record_conversation(example)
    model = ScriptedModel([reply])
    result = complete_code(prefix, schema=ORDERS, model=model, candidates=1)
    assert model.calls[0] == [trained_on]
    # the reply the record teaches is one the task accepts: it runs on the schema
    assert result.output == ".select('id')" and result.ok and result.checks["runs"] is True


def test_from_sql_serving_sends_the_training_prompt():
    from ibert_inference.tasks.sql_to_ibis import from_sql

    sql = (  # the translator refuses recursive CTEs
        "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
        "SELECT SUM(n) AS s FROM r"
    )
    example = record("sql_to_ibis", {"sql": sql}, {"ibis": "result = orders.agg(s=_.amount.sum())"})
    trained_on, _ = record_conversation(example)
    model = ScriptedModel(["```python\nresult = orders.agg(s=_.amount.sum())\n```"] * 3)
    from_sql(sql, schema=ORDERS, model=model, retries=1)
    assert model.calls[0] == [trained_on]


def test_fix_serving_sends_the_training_prompt():
    from ibert_inference.tasks.error_resolution import fix_code

    broken = "result = orders.explode_everything('id')"
    fixed = "result = orders.select('id')"  # adds no filter: a fix that does is refused
    model = ScriptedModel([f"```python\n{fixed}\n```"])
    result = fix_code(broken, schema=ORDERS, model=model)
    sent = model.calls[0][0]
    error = sent[-1]["content"].split("Error:\n")[1].split("\n\nFix the code.")[0]
    example = record("error_resolution", {"code": broken, "error": error}, {"code": fixed})
    assert sent == record_conversation(example)[0]
    assert error.startswith("AttributeError")  # the form the training data stores errors in
    assert result.output.strip() == fixed


def test_every_task_has_a_conversation_and_a_reply_the_task_can_read():
    records = [
        record("sql_to_ibis", {"sql": "SELECT id FROM orders"}, {"ibis": BIG}),
        record("ibis_to_sql", {"ibis": BIG, "dialect": "postgres"}, {"sql": "SELECT 1"}),
        record("code_completion", {"prefix": "result = orders"}, {"completion": ".limit(1)"}),
        record("error_resolution", {"code": "x", "error": "NameError: x"}, {"code": BIG}),
        record("documentation", {"code": "def f(a):\n    return a\n"}, {"docstring": "F."}),
        record("qa", {"question": "How do I sort rows?"}, {"answer": "Use order_by."}),
    ]
    for example in records:
        prompt, reply = record_conversation(example)
        assert prompt[0]["role"] == "system" and prompt[-1]["role"] == "user"
        assert reply.strip()
    assert "postgres" in record_conversation(records[1])[0][-1]["content"]
    assert extract_code(record_conversation(records[0])[1]) == BIG
    assert "Passages:" in record_conversation(records[5])[0][-1]["content"]


def test_demonstrations_are_earlier_exchanges_of_the_same_shape():
    shown = record("sql_to_ibis", {"sql": "SELECT id FROM orders"}, {"ibis": BIG})
    asked = record("sql_to_ibis", {"sql": "SELECT amount FROM orders"}, {"ibis": BIG})
    prompt, _ = record_conversation(asked, [demonstration(shown)])
    assert [turn["role"] for turn in prompt] == ["system", "user", "assistant", "user"]
    assert prompt[1]["content"] == record_conversation(shown)[0][-1]["content"]
    assert prompt[2]["content"] == record_conversation(shown)[1]


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (stored("sql_to_ibis", {"query": "SELECT 1"}, {"ibis": BIG}), "input.sql: Field required"),
        (stored("translate", {"sql": "SELECT 1"}, {"ibis": BIG}), "task: Input should be"),
    ],
)
def test_a_malformed_record_is_refused_with_what_to_do(broken: dict[str, Any], message: str):
    with pytest.raises(IbertError, match=f"^train.jsonl:4: {message}.*rebuild the partition"):
        record_conversation(Record.from_dict(broken, where="train.jsonl:4"))


def test_a_record_is_asked_for_the_fields_of_its_own_task_only():
    question = record("qa", {"question": "How?"}, {"answer": "So."})
    with pytest.raises(IbertError, match="is a qa record: no SqlToIbisInput"):
        sql_to_ibis_conversation(question)
