"""Which examples a run sees, and in what order: fixed by the seed, so a resumed run agrees."""

from __future__ import annotations

import doctest
from dataclasses import replace
from pathlib import Path

import ibert_assets.training.sampling as sampling
from ibert_assets.training.report import TrainingSettings
from ibert_assets.training.sampling import draw_order, tokenized_split
from ibert_assets_tests.assets.test_examples import tokenizer_of
from ibert_assets_tests.assets.test_sft import sql_record


def test_each_epoch_is_a_fresh_shuffle_that_a_resumed_run_draws_again():
    at = draw_order(20, seed=3)
    epochs = [[at(n) for n in range(start, start + 20)] for start in (0, 20, 40)]
    assert all(sorted(epoch) == list(range(20)) for epoch in epochs)  # every example once
    assert epochs[0] != epochs[1] != epochs[2] and epochs[0] != list(range(20))
    resumed = draw_order(20, seed=3)  # a new process: only the position carries over
    assert [resumed(n) for n in range(45, 25, -1)] == [at(n) for n in range(45, 25, -1)]
    assert [draw_order(20, seed=4)(n) for n in range(20)] != epochs[0]


def test_the_docstring_examples_hold():
    assert doctest.testmod(sampling).failed == 0


def test_a_split_keeps_the_settings_tasks_and_samples_by_seed_whatever_the_input_order(
    tiny_model_dir: Path,
):
    tokenizer = tokenizer_of(tiny_model_dir)
    # records of another task, which would be tokenized (and counted) if they were not left out
    qa = [
        sql_record(n).replace(task="qa", input={"question": f"q{n}"}, target={"answer": "a"})
        for n in range(3)
    ]
    records = [sql_record(n) for n in range(10)] + qa
    settings = TrainingSettings(tasks=("sql_to_ibis",), max_examples=4, eval_examples=2, seed=1)

    train = tokenized_split(records, tokenizer, settings, "train")
    assert dict(train.counts) == {"kept_sql_to_ibis": 4}  # the qa records never reach tokenizing
    again = tokenized_split(list(reversed(records)), tokenizer, settings, "train")
    assert [e.id for e in again.examples] == [e.id for e in train.examples]
    other_seed = tokenized_split(records, tokenizer, replace(settings, seed=2), "train")
    assert {e.id for e in other_seed.examples} != {e.id for e in train.examples}

    validation = tokenized_split(records, tokenizer, settings, "validation")
    assert len(validation.examples) == 2  # only eval_examples are ever scored
    everything = tokenized_split(records, tokenizer, TrainingSettings(), "train")
    assert dict(everything.counts) == {"kept_sql_to_ibis": 10, "kept_qa": 3}
