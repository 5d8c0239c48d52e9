"""fix_code: real errors found by evaluating, deterministic repairs first, model second,
and a fix returned only when it evaluates."""

from __future__ import annotations

from pathlib import Path

import pytest

from ibert_assets_tests.scripted_model import ModelDouble
from ibert_inference.errors import UnsafeCodeError
from ibert_inference.model.prompts import extract_code
from ibert_inference.safe_eval.evaluator import evaluate_ibis
from ibert_inference.tasks.error_resolution import fix_code, line_changes

SCHEMA = {"orders": {"id": "int64", "amount": "float64", "status": "string"}}


class ScriptedModel(ModelDouble):
    """Answers with prepared replies in turn and records the conversations it was shown."""

    def __init__(self, *replies: str):
        self.replies = list(replies)
        self.conversations: list[list[dict]] = []

    def generate(self, conversations, **_options):
        self.conversations.extend(conversations)
        return [self.replies.pop(0) for _ in conversations]


def test_misspelt_column_is_fixed_deterministically():
    result = fix_code("result = orders.filter(_.amout > 1)", schema=SCHEMA)
    assert result.ok and result.verified is True
    assert result.source == "deterministic"
    assert result.output == "result = orders.filter(_.amount > 1)"
    assert result.details["changes"] == ["column 'amout' -> 'amount' (line 1)"]
    assert "amout" in result.details["error"]
    evaluate_ibis(result.output, SCHEMA)


def test_chained_errors_are_fixed_in_rounds():
    code = "expr = orders.filter((_.amount > 1)\nresult = expr.groupby('status').agg(n=_.count())\n"
    result = fix_code(code, schema=SCHEMA)
    assert result.ok
    assert result.details["changes"] == [
        "closed ')' left open (line 1)",
        "method 'groupby' -> 'group_by' (line 2)",
    ]
    assert result.details["error_type"] == "SyntaxError"


def test_working_code_has_nothing_to_fix():
    code = "orders.filter(_.amount > 1)"
    result = fix_code(code, schema=SCHEMA)
    assert result.output == code
    assert result.verified is True
    assert result.details["changes"] == []
    assert result.details["message"] == "nothing to fix"


def test_unfixable_code_without_model_fails():
    result = fix_code("orders.filter(_.nothing_like_it > 1)", schema=SCHEMA)
    assert not result.ok
    assert result.verified is False and result.output == ""
    assert "nothing_like_it" in result.details["reason"]


def test_unsafe_code_is_refused_before_running(tmp_path: Path):
    target = tmp_path / "created"
    with pytest.raises(UnsafeCodeError):
        fix_code(f"open({str(target)!r}, 'w')", schema=SCHEMA)
    assert not target.exists()


def test_model_fix_is_kept_only_when_it_evaluates():
    model = ScriptedModel(
        "```python\nresult = orders.filter(_.still_wrong > 1)\n```",
        "Here you go:\n```python\nresult = orders.filter(_.amount > 100)\n```",
    )
    result = fix_code(
        "result = orders.filter(_.price_total > 100)",
        schema=SCHEMA,
        context="orders over 100",
        model=model,
    )
    assert result.ok and result.source == "model"
    assert result.output == "result = orders.filter(_.amount > 100)\n"
    assert [a["source"] for a in result.details["attempts"]] == ["model", "model"]
    assert "still_wrong" in result.details["attempts"][0]["error"]
    prompt = model.conversations[0][1]["content"]
    assert "orders: id int64, amount float64" in prompt and "orders over 100" in prompt
    assert "price_total" in prompt


def test_model_answers_that_never_evaluate_give_no_fix():
    model = ScriptedModel(*["```python\nresult = orders.nope\n```"] * 3)
    result = fix_code("result = orders.price_total", schema=SCHEMA, model=model)
    assert not result.ok
    assert len(result.details["attempts"]) == 3


def test_given_error_is_kept():
    result = fix_code(
        "orders.filter(_.amount > 1 and _.status == 'x')",
        schema=SCHEMA,
        error="ValueError: truth value",
    )
    assert result.ok
    assert result.details["given_error"] == "ValueError: truth value"
    assert result.details["error"].startswith("TypeError: The truth value")
    assert result.output == "orders.filter((_.amount > 1) & (_.status == 'x'))"


def test_extract_code_and_line_changes():
    assert extract_code("text\n```py\nx = 1\n```\n") == "x = 1"
    assert line_changes("a\nb\n", "a\nc\n") == ["line 2: `b` -> `c`"]


def test_given_error_stands_in_when_the_code_evaluates():
    result = fix_code(
        "orders.filter(_.amount > '5')",
        schema={"orders": {"amount": "string"}},
        error="Binder Error: cannot compare",
    )
    assert result.details["error"] == "Binder Error: cannot compare"


# --- the rule: a fix says verified only when it ran on generated databases ---------------------


def test_code_that_evaluates_but_fails_when_run_is_not_verified():
    code = "result = orders.mutate(n=_.status.cast('int64'))"  # 'paid' is no integer
    result = fix_code(code, schema=SCHEMA)
    assert result.verified is False and not result.ok
    assert result.details["verification"]["status"] == "ibis_error"
    assert "does not run" in result.details["reason"]


def test_a_model_repair_that_fails_when_run_is_not_verified():
    broken = "result = orders.mutate(n=_.status.cast('int64')"  # unclosed, and fails when run
    model = ScriptedModel("```python\nresult = orders.mutate(n=_.status.cast('int64'))\n```")
    result = fix_code(broken, schema=SCHEMA, model=model)
    assert result.verified is False


def test_a_verified_fix_says_how_it_was_checked():
    result = fix_code("result = orders.filter(_.amout > 1)", schema=SCHEMA)
    how = result.details["verification"]
    assert result.verified is True and how["check"] == "runs" and how["databases"] >= 5


def test_without_a_schema_a_fix_is_not_called_verified():
    result = fix_code("result = ibis.literal(1) + 2")
    assert result.output
    assert result.verified is None
