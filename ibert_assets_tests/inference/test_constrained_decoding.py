import doctest
from pathlib import Path

import pytest

from ibert_inference.model.python_prefix import can_continue

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def token(tokenizer, text: str) -> int:
    (single,) = tokenizer(text, add_special_tokens=False)["input_ids"]
    return single


def test_tokens_that_break_the_parse_are_pruned_and_the_end_waits_for_whole_code(tokenizer):
    from ibert_inference.model.constrained_decoding import ParseableContinuation

    prompt = torch.tensor([tokenizer("x")["input_ids"]])
    end = tokenizer.eos_token_id
    scores = torch.zeros(1, len(tokenizer))
    for text, score in (("]", 10.0), (")", 5.0), (",", 4.0)):
        scores[0, token(tokenizer, text)] = score
    scores[0, end] = 8.0
    open_call = ParseableContinuation(tokenizer, "result = orders.limit(3", prompt.shape[1], [end])
    pruned = open_call(prompt, scores.clone())
    assert pruned[0, token(tokenizer, "]")] == float("-inf")  # the wrong bracket
    assert pruned[0, end] == float("-inf")  # the call is still open
    assert pruned[0, token(tokenizer, ")")] == 5.0 and pruned[0, token(tokenizer, ",")] == 4.0
    assert int(pruned.argmax()) == token(tokenizer, ")")  # what greedy decoding picks now
    # once the model wrote the ")", the code is whole: it may end, and not add another ")"
    written = torch.cat([prompt, torch.tensor([[token(tokenizer, ")")]])], dim=1)
    closed = open_call(written, scores.clone())
    assert closed[0, end] == 8.0 and closed[0, token(tokenizer, ")")] == float("-inf")
    # a prefix whole already must be continued: no end before something is written
    whole = ParseableContinuation(tokenizer, "result = orders.limit(3)", prompt.shape[1], [end])
    assert whole(prompt, scores.clone())[0, end] == float("-inf")


def test_code_that_computes_result_already_is_extended_not_followed(tokenizer):
    from ibert_inference.model.constrained_decoding import ParseableContinuation

    prompt = torch.tensor([tokenizer("x")["input_ids"]])
    scores = torch.zeros(1, len(tokenizer))
    scores[0, token(tokenizer, "\n")] = 9.0  # then print(result), say
    scores[0, token(tokenizer, ".")] = 3.0
    scores[0, token(tokenizer, "#")] = 2.0  # a comment instead of code
    for prefix, newline_kept in (("result = orders", False), ("x = orders", True)):
        pruned = ParseableContinuation(tokenizer, prefix, prompt.shape[1], [0])(prompt, scores)
        assert bool(pruned[0, token(tokenizer, "\n")] == 9.0) is newline_kept
        assert pruned[0, token(tokenizer, ".")] == 3.0
        assert bool(pruned[0, token(tokenizer, "#")] == 2.0) is newline_kept


def test_a_row_stops_at_the_end_of_its_statement_or_at_a_closing_fence(tokenizer):
    from ibert_inference.model.constrained_decoding import StatementWritten

    prompt = tokenizer("x")["input_ids"]
    rows = [".limit(3)\nresult", ".limit(3", ")\n```"]
    stopped = []
    for row in rows:
        ids = torch.tensor([prompt + tokenizer(row, add_special_tokens=False)["input_ids"]])
        criterion = StatementWritten(tokenizer, "result = orders", len(prompt))
        stopped.append(bool(criterion(ids, None)[0]))
    assert stopped == [True, False, True]


def test_the_tiny_model_continues_the_prefix_and_every_continuation_can_still_parse(tiny_model):
    prefix = "result = orders.filter(_.amount > 10"
    conversation = [{"role": "user", "content": "continue"}]
    greedy = tiny_model.continue_code(conversation, prefix, max_new_tokens=12)
    sampled = tiny_model.continue_code(
        conversation, prefix, count=3, temperature=1.5, max_new_tokens=12
    )
    assert len(greedy) == 1 and len(sampled) == 3
    for continuation in greedy + sampled:  # noise, but never noise that breaks the parse
        assert can_continue(prefix + continuation), continuation


def test_the_prompt_is_read_once_for_the_greedy_and_the_sampled_candidates(tiny_model):
    from ibert_inference.model.constrained_decoding import PromptCache, continue_code

    loaded = tiny_model.load()
    prompt, prefix = "user: continue the code\nassistant:", "result = orders.filter(_.amount"
    options = {"temperature": 0.0, "max_new_tokens": 10, "deadline": None}
    reading_each_time = continue_code(loaded, prompt, prefix, count=1, **options)
    cache = PromptCache()
    kept = continue_code(loaded, prompt, prefix, count=1, prompt_cache=cache, **options)
    assert kept == reading_each_time  # the same greedy continuation from the kept keys/values
    sampled = continue_code(
        loaded, prompt, prefix, count=3, temperature=1.5, max_new_tokens=10, deadline=None,
        prompt_cache=cache,
    )  # fmt: skip
    assert len(sampled) == 3 and cache.reads == 1
    other = continue_code(loaded, prompt + " ", prefix, count=1, prompt_cache=cache, **options)
    assert cache.reads == 2 and len(other) == 1  # another prompt is read, not mistaken for it


def test_the_examples_in_the_module_hold():
    from ibert_inference.model import constrained_decoding

    assert doctest.testmod(constrained_decoding).failed == 0
