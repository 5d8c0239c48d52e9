"""Which examples a run trains and validates on, and in what order it draws them.

Both depend on the seed alone, so a resumed run sees the examples its checkpoint saw.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any, Literal

from ibert_assets.training.examples import TokenizedSet, tokenize_records
from ibert_assets.training.report import TrainingSettings
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.dataset.record import Record


def tokenized_split(
    records: Sequence[Record],
    tokenizer: Any,
    settings: TrainingSettings,
    split: Literal["train", "validation"],
    store: StoreLayout | None = None,
) -> TokenizedSet:
    """The records of the settings' tasks, sampled down to ``max_examples`` (train) or
    ``eval_examples`` (validation), as token sequences (``store``: see ``tokenize_records``)."""
    chosen = list(records)
    if settings.tasks:
        chosen = [r for r in chosen if r.task in settings.tasks]
    # validation is only ever scored on eval_examples: tokenize no more than those
    limit = settings.max_examples if split == "train" else settings.eval_examples
    if limit and len(chosen) > limit:
        chosen = random.Random(settings.seed).sample(sorted(chosen, key=lambda r: r.id), limit)
    return tokenize_records(chosen, tokenizer, max_length=settings.max_length, store=store)


def draw_order(count: int, seed: int) -> Callable[[int], int]:
    """Example index for the n-th example drawn: a fresh shuffle each epoch, the same on resume.

    >>> at = draw_order(4, seed=0)
    >>> sorted(at(n) for n in range(4)) == sorted(at(n) for n in range(4, 8)) == [0, 1, 2, 3]
    True
    >>> [draw_order(4, seed=0)(n) for n in range(8)] == [at(n) for n in range(8)]
    True
    """
    epochs: dict[int, list[int]] = {}

    def at(position: int) -> int:
        epoch, offset = divmod(position, count)
        if epoch not in epochs:
            permutation = list(range(count))
            random.Random(seed * 1_000_003 + epoch).shuffle(permutation)
            epochs[epoch] = permutation
        return epochs[epoch][offset]

    return at
