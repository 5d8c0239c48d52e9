import pytest

from ibert_assets_tests.scripted_model import ScriptedModel
from ibert_inference.errors import IbertError
from ibert_inference.tasks.complete import complete_code

SCHEMA = {"orders": {"amount": "float64", "status": "string"}}
PREFIX = "result = orders.filter(_.amount > 10)"


def test_first_candidate_that_evaluates_wins():
    model = ScriptedModel([
        "```python\n.group_by('status').agg(total=_.amout.sum())\n```",  # unknown column
        ".group_by('status'",  # does not parse
        f"{PREFIX}.group_by('status').agg(total=_.amount.sum())",  # echoes the prefix
        ".limit(3)",
    ])  # fmt: skip
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=4)
    assert result.verified is True and result.source == "model"
    assert result.output == ".group_by('status').agg(total=_.amount.sum())"
    assert [t["problem"][:14] for t in result.details["tried"]] == [
        "AttributeError",
        "does not parse",
    ]
    assert len(model.calls) == 2  # one greedy call, one batched sampling call


def test_without_schema_parsing_is_all_that_is_checked():
    result = complete_code(PREFIX, model=ScriptedModel([".limit(5)"]), candidates=1)
    assert result.output == ".limit(5)" and result.verified is None


def test_nothing_valid_is_a_failed_result_not_an_answer():
    result = complete_code(PREFIX, schema=SCHEMA, model=ScriptedModel(["(((", "._x"]), candidates=2)
    assert not result.ok and result.output == "" and len(result.details["tried"]) == 2


def test_completion_needs_a_model():
    with pytest.raises(IbertError, match="needs a model"):
        complete_code(PREFIX)


def test_real_generation_path_with_the_tiny_model(tiny_model):
    result = complete_code(PREFIX, schema=SCHEMA, model=tiny_model, candidates=3)
    assert len(result.details["tried"]) + int(result.ok) == 3


def test_a_completion_that_fails_when_run_is_not_the_answer():
    model = ScriptedModel([".mutate(n=_.status.cast('int64'))", ".limit(3)"])
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=2)
    assert result.output == ".limit(3)" and result.verified is True
    assert "fails on" in result.details["tried"][0]["problem"]
    assert result.details["verification"]["databases"] >= 5


def test_no_completion_that_runs_means_not_verified():
    model = ScriptedModel([".mutate(n=_.status.cast('int64'))"])
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=1)
    assert result.verified is False and result.details["reason"].startswith("no completion runs")
