"""Continuing code with a Hugging Face model: the prefix as the start of the reply, never rewritten;
tokens that would make the program unparseable pruned; generation stopped at the statement's end.

The reply is opened with a code fence and the user's prefix, so the model can only continue it.
At each step :class:`ParseableContinuation` (a transformers ``LogitsProcessor``) looks at the
model's most likely next tokens and keeps those after which the code can still parse
(:func:`~.python_prefix.can_continue`); the end of the reply (end-of-sequence, or the closing
fence) only when the code is whole. :class:`StatementWritten` (a ``StoppingCriteria``) ends a
reply once it has written the statement the prefix started (:func:`~.python_prefix.statement_end`).
Imported only when a model continues code (it imports torch and transformers).
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import torch
from transformers import LogitsProcessor, StoppingCriteria

from ibert_inference.model.python_prefix import (
    binds_result,
    can_continue,
    parses,
    statement_end,
)

CANDIDATE_TOKENS = 16
"""How many of the model's most likely next tokens are checked at each step."""
FENCE = "```python\n"


def finished_continuation(prefix: str, text: str) -> str:
    """The continuation ``text`` as far as it goes: up to a closing fence, up to the end of the
    statement it continues, without trailing blanks.

    >>> finished_continuation("result = t", ".limit(3)\\nprint(result)\\n```")
    '.limit(3)'
    """
    text = text.split("`", 1)[0]
    end = statement_end(prefix, text + "\n")
    if end is not None:
        text = text[:end]
    return text.rstrip()


class ParseableContinuation(LogitsProcessor):
    """Keeps, of each row's ``CANDIDATE_TOKENS`` most likely next tokens, those after which
    ``prefix`` plus the generated text can still parse; the end of the reply only once
    something was written and the code parses as it is (a prefix that is whole already must
    still be continued: the model would otherwise close the block at once). A row where nothing
    fits may only end (the task's checks reject it)."""

    def __init__(self, tokenizer: Any, prefix: str, prompt_length: int, end_ids: list[int]):
        self.tokenizer = tokenizer
        self.prefix = prefix
        self.prompt_length = prompt_length
        self.end_ids = end_ids
        self.checked = 0  # candidate tokens checked (a benchmark reports it)
        # a prefix that already computes ``result`` is continued, not followed by other
        # statements (``print(result)`` is what a small model likes to add)
        self.extends = parses(prefix) and binds_result(prefix)

    def _fits(self, text: str) -> bool:
        if self.extends and text.lstrip(" ")[:1] in ("\n", ";", "#"):
            return False
        if "`" in text:  # the model closes its code block: only after whole, new code
            written = text.split("`", 1)[0]
            return bool(written.strip()) and parses(self.prefix + written)
        return can_continue(self.prefix + text)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        pruned = torch.full_like(scores, float("-inf"))
        top = torch.topk(scores, min(CANDIDATE_TOKENS, scores.shape[-1]), dim=-1).indices
        for row in range(input_ids.shape[0]):
            generated = input_ids[row, self.prompt_length :].tolist()
            text = self.tokenizer.decode(generated, skip_special_tokens=True)
            candidates = [t for t in top[row].tolist() if t not in self.end_ids]
            texts = self.tokenizer.batch_decode(
                [[*generated, token] for token in candidates], skip_special_tokens=True
            )
            self.checked += len(candidates)
            keep = [token for token, after in zip(candidates, texts, strict=True)
                    if self._fits(after)]  # fmt: skip
            if (text.strip() and parses(self.prefix + text)) or not keep:
                keep += self.end_ids
            pruned[row, keep] = scores[row, keep]
        return pruned  # type: ignore[return-value]


class StatementWritten(StoppingCriteria):
    """Ends a row once its text closes the code block or completes the prefix's statement."""

    def __init__(self, tokenizer: Any, prefix: str, prompt_length: int):
        self.tokenizer = tokenizer
        self.prefix = prefix
        self.prompt_length = prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.BoolTensor:
        texts = self.tokenizer.batch_decode(
            input_ids[:, self.prompt_length :], skip_special_tokens=True
        )
        done = ["`" in text or statement_end(self.prefix, text) is not None for text in texts]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]


class PromptCache:
    """The model's keys and values for the last prompt it read, computed once: the greedy
    candidate and the sampled ones continue the same prompt, and reading it (hundreds of tokens
    of demonstrations) costs more on a CPU than writing a completion. Each generation gets a
    copy, repeated for its batch (``num_return_sequences`` would otherwise read the prompt once
    per sequence)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._cache: Any = None
        self.reads = 0  # prompts read (a test counts them)

    def for_batch(self, model: Any, input_ids: torch.Tensor, text: str, count: int) -> Any:
        """A cache holding all of ``input_ids`` (one row) but its last token, for ``count``
        rows; None for a prompt of one token."""
        if input_ids.shape[1] < 2:
            return None
        from transformers import DynamicCache

        key = (id(model), text)
        with self._lock:
            if self._key != key:
                cache = DynamicCache(config=model.config)
                with torch.no_grad():
                    model(input_ids=input_ids[:, :-1], cache=cache, use_cache=True)
                self._key, self._cache = key, cache
                self.reads += 1
            copied = copy.deepcopy(self._cache)
        if count > 1:
            copied.batch_repeat_interleave(count)
        return copied


def continue_code(
    loaded: Any,
    prompt: str,
    prefix: str,
    *,
    count: int,
    temperature: float,
    max_new_tokens: int,
    deadline: float | None,
    constrained: bool = True,
    extra_criteria: list[Any] | None = None,
    prompt_cache: PromptCache | None = None,
) -> list[str]:
    """``count`` continuations of ``prefix`` by the model ``loaded`` (a ``LoadedModel``), whose
    chat-rendered ``prompt`` is followed by an opened code block holding the prefix.

    Greedy when ``temperature`` is 0 (then one continuation, repeated ``count`` times is
    pointless: callers ask for one). ``constrained`` prunes unparseable tokens; either way
    generation stops at the end of the statement and ``deadline`` (``time.monotonic()``) ends
    it where it is. ``prompt_cache`` keeps the prompt's keys and values between calls.
    """
    tokenizer, model = loaded.tokenizer, loaded.model
    text = prompt + FENCE + prefix
    encoded = tokenizer([text], return_tensors="pt").to(loaded.device)
    length = int(encoded["input_ids"].shape[1])
    end_ids = _end_ids(tokenizer, model)
    options: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "pad_token_id": tokenizer.pad_token_id,
        "do_sample": temperature > 0,
        "num_return_sequences": count,
        "stopping_criteria": [StatementWritten(tokenizer, prefix, length), *(extra_criteria or [])],
    }
    if constrained and can_continue(prefix):  # a broken prefix: nothing to keep parseable
        options["logits_processor"] = [ParseableContinuation(tokenizer, prefix, length, end_ids)]
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return [""] * count
        options["max_time"] = remaining
    if temperature > 0:
        options.update(temperature=temperature, top_p=0.95)
    else:
        options.update(temperature=None, top_p=None, top_k=None)
    if prompt_cache is not None:
        cache = prompt_cache.for_batch(model, encoded["input_ids"], text, count)
        if cache is not None:
            options["cache"] = cache
    with torch.no_grad():
        output = model.generate(**encoded, **options)
    texts = tokenizer.batch_decode(output[:, length:], skip_special_tokens=True)
    return [finished_continuation(prefix, text) for text in texts]


def _end_ids(tokenizer: Any, model: Any) -> list[int]:
    """The token ids that end a reply: the tokenizer's and the generation config's."""
    ids: set[int] = set()
    for value in (tokenizer.eos_token_id, getattr(model.generation_config, "eos_token_id", None)):
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, list | tuple):
            ids.update(int(v) for v in value)
    return sorted(ids)
