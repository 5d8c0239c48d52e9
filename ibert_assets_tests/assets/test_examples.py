"""Records -> token sequences: the served prompt, the loss on the reply only, drops counted."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ibert_assets.training.examples import IGNORE_INDEX, collate, render_prompt, tokenize_records
from ibert_assets_tests.assets.test_sft import sql_record
from ibert_inference.model.prompts import record_conversation


def tokenizer_of(folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


def test_only_the_reply_is_learned_and_the_prompt_is_the_served_one(tiny_model_dir: Path):
    tokenizer = tokenizer_of(tiny_model_dir)
    record = sql_record(7)
    (example,) = tokenize_records([record], tokenizer, max_length=4096).examples
    conversation, reply = record_conversation(record)
    prompt = tokenizer(render_prompt(tokenizer, conversation), add_special_tokens=False)
    size = len(prompt["input_ids"])
    assert example.input_ids[:size] == prompt["input_ids"]
    assert example.labels[:size] == [IGNORE_INDEX] * size
    learned = tokenizer.decode(example.labels[size:])
    assert learned == reply + tokenizer.eos_token  # the model learns to stop, too
    assert example.reply_tokens == len(example.input_ids) - size


def test_what_does_not_fit_or_is_malformed_is_dropped_and_counted(tiny_model_dir: Path):
    tokenizer = tokenizer_of(tiny_model_dir)
    with pytest.raises(ValidationError):  # a malformed record cannot even be made
        sql_record(1).replace(target={})
    other = sql_record(2).replace(task="qa", input={"question": "q"}, target={"answer": "a"})
    built = tokenize_records(
        [sql_record(3), other], tokenizer, max_length=4096, tasks=["sql_to_ibis"]
    )
    assert dict(built.counts) == {"kept_sql_to_ibis": 1, "other_task": 1}
    short = tokenize_records([sql_record(3)], tokenizer, max_length=20)
    assert short.examples == [] and short.counts["dropped_too_long"] == 1


def test_a_batch_is_right_padded_and_padding_is_not_learned(tiny_model_dir: Path):
    tokenizer = tokenizer_of(tiny_model_dir)
    built = tokenize_records([sql_record(1), sql_record(123456)], tokenizer, max_length=4096)
    short, long = sorted(built.examples, key=lambda e: len(e.input_ids))
    batch = collate([short, long], pad_token_id=tokenizer.pad_token_id)
    width = len(long.input_ids)
    assert batch["input_ids"].shape == (2, width)
    padding = width - len(short.input_ids)
    assert padding > 0
    assert batch["attention_mask"][0].tolist() == [1] * len(short.input_ids) + [0] * padding
    assert batch["labels"][0, len(short.input_ids) :].tolist() == [IGNORE_INDEX] * padding
