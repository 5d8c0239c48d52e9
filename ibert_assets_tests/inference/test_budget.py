"""A request's time budget: starts at the first model call, shared by every later one."""

import time

from ibert_inference.model.budget import deadline, remaining, time_budget


def test_outside_a_budget_nothing_is_limited():
    assert deadline() is None and remaining() is None


def test_the_clock_starts_at_the_first_call_not_when_the_budget_opens():
    with time_budget(1.0):
        time.sleep(0.3)  # the model loading
        first = deadline()
        assert first is not None and first - time.monotonic() > 0.9
        time.sleep(0.1)
        assert deadline() == first  # every later call shares it
        assert remaining() < 0.95


def test_budgets_nest_and_close():
    with time_budget(10):
        outer = deadline()
        with time_budget(1):
            assert deadline() < outer
        assert deadline() == outer
    assert deadline() is None


def test_the_model_stops_at_the_request_budget(tiny_model):
    conversation = [{"role": "user", "content": "x"}]
    tiny_model.load()
    with time_budget(0.5):
        started = time.monotonic()
        tiny_model.generate([conversation], max_new_tokens=100_000)
        assert time.monotonic() - started < 5  # 100,000 tokens would take minutes
        assert tiny_model.generate([conversation] * 2, max_new_tokens=5) == ["", ""]
