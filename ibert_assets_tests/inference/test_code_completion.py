import time

import pytest

from ibert_assets_tests.scripted_model import ScriptedModel
from ibert_inference.errors import ModelNotAvailableError, ModelNotConfiguredError
from ibert_inference.model.progress import reporting_to
from ibert_inference.tasks.code_completion import (
    MAX_COMPLETION_TOKENS,
    CompletionSteps,
    complete_code,
    instruction_names,
)

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
    assert result.ok and result.source == "model"
    # what was checked, by name; never "verified": a completion has no reference answer
    assert result.verified is None
    assert result.checks == {"parses": True, "evaluates": True, "runs": True}
    assert result.output == ".group_by('status').agg(total=_.amount.sum())"
    assert [t["problem"][:14] for t in result.details["tried"]] == [
        "AttributeError",
        "does not parse",
    ]
    assert len(model.calls) == 2  # one greedy call, one batched sampling call
    assert [o["temperature"] for o in model.options] == [0.0, 0.8]


def test_a_greedy_candidate_that_evaluates_answers_without_sampling():
    model = ScriptedModel([".limit(3)", ".never_asked_for()"])
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=4)
    assert result.output == ".limit(3)" and result.checks["runs"] is True
    assert len(model.calls) == 1 and len(model.calls[0]) == 1


def test_every_call_carries_the_token_budget_and_the_deadline():
    model = ScriptedModel(["((("] * 4)
    before = time.monotonic()
    complete_code(PREFIX, schema=SCHEMA, model=model, candidates=4, time_budget_s=5)
    for options in model.options:
        assert options["max_new_tokens"] == MAX_COMPLETION_TOKENS
        assert before + 5 <= options["deadline"] <= time.monotonic() + 5
    complete_code(PREFIX, schema=SCHEMA, model=ScriptedModel([".limit(1)"]), max_new_tokens=9)


class SlowModel(ScriptedModel):
    def continue_code(self, conversation, prefix, **options):
        time.sleep(0.3)
        return super().continue_code(conversation, prefix, **options)


def test_a_spent_budget_stops_before_the_sampled_candidates():
    model = SlowModel(["(((", ".limit(3)", ".limit(3)", ".limit(3)"])
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=4, time_budget_s=0.2)
    assert not result.ok and len(model.calls) == 1
    assert "0.2 s budget" in result.details["reason"]
    assert result.details["elapsed_s"] >= 0.2


def test_without_schema_parsing_is_all_that_is_checked():
    result = complete_code(PREFIX, model=ScriptedModel([".limit(5)"]), candidates=1)
    assert result.output == ".limit(5)" and result.verified is None
    assert result.checks == {"parses": True}


def test_nothing_valid_is_a_failed_result_not_an_answer():
    result = complete_code(PREFIX, schema=SCHEMA, model=ScriptedModel(["(((", "._x"]), candidates=2)
    assert not result.ok and result.output == "" and len(result.details["tried"]) == 2
    # how far the best one got: "._x" parses, and fails when evaluated
    assert result.details["best"] == {"completion": "._x", "parses": True, "evaluates": False}


def test_completion_needs_a_model_and_says_how_to_configure_one():
    with pytest.raises(ModelNotConfiguredError, match=r"needs a model.*IBERT_MODEL_NAME"):
        complete_code(PREFIX)
    assert issubclass(ModelNotConfiguredError, ModelNotAvailableError)


def test_real_generation_path_with_the_tiny_model(tiny_model):
    result = complete_code(PREFIX, schema=SCHEMA, model=tiny_model, candidates=3)
    # the greedy candidate, then two sampled ones unless it ran (it is noise: it never does)
    assert result.details["candidates"] in (1, 3)
    assert len(result.details["tried"]) + int(result.ok) == result.details["candidates"]


def test_the_prefix_opens_the_reply_and_is_never_rewritten():
    model = ScriptedModel([".limit(3)"])
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=1)
    assert model.options[0]["prefix"] == PREFIX and model.options[0]["count"] == 1
    assert result.output == ".limit(3)"


INSTRUCTION = "Complete the Ibis code so that `result` holds: the total amount per status."


def test_candidates_that_run_are_ranked_by_the_names_the_instruction_asks_for():
    model = ScriptedModel([
        ".limit(3)",  # greedy: runs, but uses neither status nor amount beyond the prefix
        ".mutate(n=_.status.cast('int64'))",  # uses the names, fails when run
        ".group_by('status').agg(total=_.amount.sum())",
        ".select('status')",
    ])  # fmt: skip
    result = complete_code(
        "result = orders", schema=SCHEMA, model=model, instruction=INSTRUCTION, candidates=4
    )
    assert result.output == ".group_by('status').agg(total=_.amount.sum())"
    assert result.details["candidates"] == 4 and result.details["instruction_names_used"] == 1.0
    assert INSTRUCTION in model.calls[0][0][-1]["content"]  # the prompt carries it


def test_a_greedy_candidate_that_runs_and_uses_every_name_needs_no_sampling():
    model = ScriptedModel([".group_by('status').agg(total=_.amount.sum())", ".never_asked()"])
    result = complete_code(
        "result = orders", schema=SCHEMA, model=model, instruction=INSTRUCTION, candidates=4
    )
    assert result.ok and len(model.calls) == 1


def test_each_step_can_be_left_out_for_a_measurement():
    model = ScriptedModel([f"```python\n{PREFIX}.limit(3)\n```"], shown=[("shown", "reply")])
    steps = CompletionSteps(demonstrations=False, constrained=False)
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=1, steps=steps)
    assert result.output == ".limit(3)"  # a chat reply: its code, the repeated prefix removed
    assert "prefix" not in model.options[0]  # asked as a chat model, not continued
    assert not hasattr(model, "asked") and len(model.calls[0][0]) == 2  # no demonstrations


def test_instruction_names_are_schema_names_the_instruction_mentions():
    schema = {"orders": {"amount": "float64", "order_status": "string", "id": "int64"}}
    assert instruction_names("Total amount per order status of orders", schema) == [
        "orders", "amount", "order_status",
    ]  # fmt: skip
    assert instruction_names(None, schema) == [] and instruction_names("x", None) == []


def test_the_tiny_model_reports_progress_and_honours_a_passed_deadline(tiny_model):
    messages: list[str] = []
    with reporting_to(messages.append):
        replies = tiny_model.generate([[{"role": "user", "content": "x"}]], max_new_tokens=5)
    assert len(replies) == 1
    assert any("tokens" in message for message in messages)
    started = time.monotonic()
    late = tiny_model.generate(
        [[{"role": "user", "content": "x"}]] * 2, max_new_tokens=500, deadline=started - 1
    )
    assert late == ["", ""] and time.monotonic() - started < 1


def test_the_tiny_model_stops_generating_at_the_deadline(tiny_model):
    conversation = [{"role": "user", "content": "x"}]
    started = time.monotonic()
    tiny_model.generate([conversation], max_new_tokens=100_000, deadline=started + 0.5)
    assert time.monotonic() - started < 5  # 100,000 tokens would take minutes


def test_a_completion_that_fails_when_run_is_not_the_answer():
    model = ScriptedModel([".mutate(n=_.status.cast('int64'))", ".limit(3)"])
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=2)
    assert result.output == ".limit(3)" and result.checks["runs"] is True
    assert "fails on" in result.details["tried"][0]["problem"]
    assert result.details["verification"]["databases"] >= 5


def test_no_completion_that_runs_is_no_answer():
    model = ScriptedModel([".mutate(n=_.status.cast('int64'))"])
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=1)
    assert not result.ok and result.output == ""
    assert result.details["reason"].startswith("no completion runs")


def test_a_completion_that_adds_only_a_comment_is_no_answer():
    model = ScriptedModel(["  # the big ones", ".limit(3)"])
    result = complete_code(PREFIX, schema=SCHEMA, model=model, candidates=2)
    assert result.output == ".limit(3)"
    assert result.details["tried"][0]["problem"].startswith("adds no code")


def test_the_examples_in_the_module_hold():
    import doctest

    from ibert_inference.tasks import code_completion

    assert doctest.testmod(code_completion).failed == 0


def _completion_record(prefix: str, completion: str, schema: dict, instruction: str):
    from ibert_inference.dataset.record import Record, make_id

    given, wanted = {"prefix": prefix, "instruction": instruction}, {"completion": completion}
    return Record(
        id=make_id("code_completion", given, wanted), task="code_completion",
        context={"tables": {t: {"schema": columns} for t, columns in schema.items()}},
        input=given, target=wanted, meta={"source": "template", "template": "flights"},
    )  # fmt: skip


FLIGHTS = {"flights": {"carrier": "string", "delay": "float64"}}


def _total_delay_per_carrier():
    return _completion_record(
        "result = flights.filter(_.delay > 1)", ".group_by('carrier').agg(total=_.delay.sum())",
        FLIGHTS, "total delay per carrier",
    )  # fmt: skip


def test_a_retrieved_completion_that_runs_answers_and_says_where_it_came_from():
    model = ScriptedModel([".never_asked()"])
    model.examples = [_total_delay_per_carrier()]
    result = complete_code(PREFIX, schema=SCHEMA, model=model, instruction=INSTRUCTION)
    assert result.ok and result.source == "retrieval"
    assert result.output == ".group_by('status').agg(total=_.amount.sum())"
    assert result.details["adapted_from"]["id"] == model.examples[0].id
    assert "not written by the model" in result.details["note"]
    assert model.calls == []  # it ran and used every name asked for: no model candidate needed


def test_a_retrieved_completion_that_does_not_run_is_never_shown():
    model = ScriptedModel([".limit(3)"])
    # the example's cast is refused on this schema when it runs: the model's candidate answers
    casts = ".mutate(c=_.carrier.cast('int64'))"
    model.examples = [_completion_record("result = flights", casts, FLIGHTS, "carrier as number")]
    result = complete_code(PREFIX, schema=SCHEMA, model=model, instruction=INSTRUCTION)
    assert result.ok and result.source == "model" and result.output == ".limit(3)"
    assert any("cast" in t["completion"] for t in result.details["tried"])


def test_retrieval_can_be_left_out_and_needs_a_schema():
    model = ScriptedModel([".limit(3)", ".limit(4)"])
    model.examples = [_completion_record("result = flights", ".count()", FLIGHTS, "how many")]
    left_out = CompletionSteps(retrieval=False)
    assert complete_code(PREFIX, schema=SCHEMA, model=model, steps=left_out).source == "model"
    assert complete_code(PREFIX, model=model).output == ".limit(4)"  # no schema: no mapping


def test_a_candidate_with_a_value_nobody_asked_for_ranks_below_one_without():
    model = ScriptedModel([".filter(_.status == 'Brazil')", ".filter(_.status == 'paid')"])
    result = complete_code(
        PREFIX, schema=SCHEMA, model=model, instruction="paid orders by status", candidates=2
    )
    assert result.output == ".filter(_.status == 'paid')" and len(model.calls) == 2


def test_a_value_the_prefix_already_spent_ranks_below_the_one_the_instruction_still_asks_for():
    model = ScriptedModel([".limit(4)", ".order_by(ibis.desc('amount')).limit(2)"])
    result = complete_code(
        "result = orders.filter(_.amount > 4)", schema=SCHEMA, model=model, candidates=2,
        instruction="orders above 4, the 2 with the largest amount. Tables: orders.",
    )  # fmt: skip
    # the greedy .limit(4) runs and uses every name, but repeats the filter's 4: not good enough
    assert result.output == ".order_by(ibis.desc('amount')).limit(2)" and len(model.calls) == 2


def test_the_aggregate_the_instruction_words_ask_for_ranks_first():
    prefix = "result = orders.group_by('status').agg(top=_.amount"
    model = ScriptedModel([".sum())", ".max())"])
    result = complete_code(
        prefix,
        schema=SCHEMA,
        model=model,
        candidates=2,
        instruction="the largest amount per status",
    )
    assert result.output == ".max())"


def test_the_closing_list_of_tables_is_not_a_name_the_code_must_use():
    schema = {**SCHEMA, "users": {"name": "string"}}
    instruction = "orders above 10, their status. Tables: orders, users."
    assert instruction_names(instruction, schema) == ["orders", "status"]
    model = _CountingLoads([".join(users, _.status == users.name)"])
    result = complete_code(
        PREFIX, schema=schema, model=model, instruction=instruction, candidates=1,
        steps=CompletionSteps(retrieval=False),
    )  # fmt: skip
    assert result.ok and result.details["instruction_names_used"] == 1.0


def test_the_prompt_carries_the_nearest_demonstrations_that_fit_its_budget():
    from ibert_inference.tasks.code_completion import DEMONSTRATION_BUDGET_CHARS

    long = "x" * (DEMONSTRATION_BUDGET_CHARS // 2)
    shown = [(f"near {long}", "a"), (f"next {long}", "b"), ("far", "c")]
    model = ScriptedModel([".limit(3)"], shown=shown)
    complete_code(PREFIX, schema=SCHEMA, model=model, candidates=1)
    turns = [t["content"] for t in model.calls[0][0] if t["role"] == "user"]
    assert len(turns) == 2 and turns[0].startswith("near")  # the nearest; the next did not fit


class _CountingLoads(ScriptedModel):
    loads = 0

    def load(self) -> None:
        self.loads += 1


def test_a_good_enough_retrieved_completion_answers_before_the_weights_are_read():
    model = _CountingLoads([".limit(3)"])
    model.examples = [_total_delay_per_carrier()]
    result = complete_code(PREFIX, schema=SCHEMA, model=model, instruction=INSTRUCTION)
    assert result.source == "retrieval" and model.loads == 0
    assert result.details["load_s"] == 0.0
    # one that runs but leaves out a name the instruction asks for: the model is loaded and asked
    model = _CountingLoads([".limit(3)"])
    model.examples = [_completion_record("result = flights", ".count()", FLIGHTS, "how many")]
    complete_code(PREFIX, schema=SCHEMA, model=model, instruction=INSTRUCTION)
    assert model.loads == 1 and model.calls


def test_a_completion_more_retrieved_examples_agree_on_ranks_first():
    model = ScriptedModel([".never_asked()"])
    prefix = "result = flights.filter(_.delay > 1)"
    model.examples = [
        _completion_record(prefix, ".limit(3)", FLIGHTS, "some flights"),
        _completion_record(prefix, ".limit(5)", FLIGHTS, "a few flights"),
        _completion_record(prefix, ".limit(5)", FLIGHTS, "a handful of flights"),
    ]
    result = complete_code(PREFIX, schema=SCHEMA, model=model, instruction="some orders")
    assert result.source == "retrieval" and result.output == ".limit(5)"


def test_a_completion_that_brings_in_a_table_nobody_asked_about_ranks_below_one_that_does_not():
    schema = {**SCHEMA, "users": {"id": "int64", "name": "string"}}
    replies = [".not_a_method()", ".join(users, _.status == users.name)", ".select('status')"]
    model = ScriptedModel(replies)
    result = complete_code(
        PREFIX, schema=schema, model=model, instruction="orders above 10 by status", candidates=3,
        steps=CompletionSteps(retrieval=False),
    )  # fmt: skip
    assert result.output == ".select('status')"
