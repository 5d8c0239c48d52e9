"""Dataset records -> token sequences for supervised fine-tuning, with the prompt masked out.

Each record becomes the conversation its task sends when serving (``ibert_inference.model.prompts``)
followed by the reply its target says is right; the loss is taken on the reply only. What was
kept and what was dropped, and why, is counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.dataset.record import Record
from ibert_inference.errors import IbertError
from ibert_inference.model.prompts import record_conversation

IGNORE_INDEX = -100
"""Label value the loss skips: prompt tokens and padding."""


@dataclass(frozen=True)
class TokenizedExample:
    """One training sequence: token ids, and labels equal to them on the reply, -100 elsewhere."""

    id: str
    input_ids: list[int]
    labels: list[int]

    @property
    def reply_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE_INDEX)


@dataclass
class TokenizedSet:
    examples: list[TokenizedExample] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def render_prompt(tokenizer: Any, conversation: list[dict[str, str]]) -> str:
    """The prompt text exactly as ``Model.generate`` renders it."""
    from ibert_inference.model.language_model import _render

    return _render(tokenizer, conversation)


def tokenize_records(
    records: Iterable[Record],
    tokenizer: Any,
    *,
    max_length: int,
    tasks: Sequence[str] | None = None,
    store: StoreLayout | None = None,
) -> TokenizedSet:
    """Token sequences for the records of ``tasks`` (all when None), at most ``max_length``.

    A sequence longer than that is dropped rather than cut: a cut reply teaches a model to
    stop mid-code, a cut prompt to answer a question it was not asked. ``store``: the dataset
    store whose mined documentation a ``qa`` prompt cites, as serving does.
    """
    result = TokenizedSet()
    end = tokenizer.eos_token or ""
    for record in records:
        if tasks and record.task not in tasks:
            result.counts["other_task"] += 1
            continue
        try:
            conversation, reply = record_conversation(record, store=store)
        except IbertError:
            result.counts["dropped_malformed"] += 1
            continue
        prompt_ids = tokenizer(render_prompt(tokenizer, conversation), add_special_tokens=False)[
            "input_ids"
        ]
        reply_ids = tokenizer(reply + end, add_special_tokens=False)["input_ids"]
        if len(prompt_ids) + len(reply_ids) > max_length:
            result.counts["dropped_too_long"] += 1
            continue
        if not reply_ids:
            result.counts["dropped_empty_reply"] += 1
            continue
        result.examples.append(
            TokenizedExample(
                id=record.id,
                input_ids=[*prompt_ids, *reply_ids],
                labels=[IGNORE_INDEX] * len(prompt_ids) + list(reply_ids),
            )
        )
        result.counts[f"kept_{record.task}"] += 1
    return result


def collate(examples: Sequence[TokenizedExample], pad_token_id: int) -> dict[str, Any]:
    """A right-padded batch: input ids, attention mask, labels (-100 on padding)."""
    import torch

    width = max(len(e.input_ids) for e in examples)
    input_ids = torch.full((len(examples), width), pad_token_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        size = len(example.input_ids)
        input_ids[row, :size] = torch.tensor(example.input_ids)
        labels[row, :size] = torch.tensor(example.labels)
        mask[row, :size] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels}
