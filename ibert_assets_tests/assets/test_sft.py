"""Fine-tuning the tiny test model for real: loss, budgets, LoRA, checkpoints, safe output."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from ibert_assets.training.sft import (
    TrainingError,
    TrainingRun,
    TrainingSettings,
    fine_tune,
    reply_loss,
    save_model,
    set_up,
    train_step,
)
from ibert_assets_tests.conftest import make_record
from ibert_inference.dataset.record import Record
from ibert_inference.model.language_model import Model

FAST = TrainingSettings(
    learning_rate=3e-3,
    batch_size=2,
    max_length=1024,
    max_steps=8,
    eval_every=4,
    checkpoint_every=2,
    eval_examples=4,
    device="cpu",
)


def sql_record(number: int, template: str = "t") -> Record:
    return make_record(
        "sql_to_ibis",
        {"sql": f"SELECT a FROM t WHERE a > {number}"},
        {"ibis": f"result = t.filter(_.a > {number}).select('a')"},
        template=template,
    )


TRAIN = [sql_record(n) for n in range(16)]
VALIDATION = [sql_record(n) for n in range(100, 104)]


class Interrupted(Exception):
    pass


def silent(line: str) -> None:
    """A log that drops the progress lines."""


def test_fine_tuning_lowers_the_loss_and_saves_a_model_the_resource_loads(
    tiny_model_dir: Path, tmp_path: Path
):
    output = tmp_path / "fine_tuned_model" / "tiny"
    report = fine_tune(
        str(tiny_model_dir), TRAIN, VALIDATION, output, FAST, data_fingerprint="abc123", log=silent
    )
    assert report.method == "full" and report.trainable_parameters == report.parameters
    assert report.steps == 8 and report.stopped_because == "max_steps (8)"
    assert report.tokens > 0 and report.tokens_per_second > 0
    before, after = report.curve[0]["validation_loss"], report.curve[-1]["validation_loss"]
    assert after < before
    assert [point["step"] for point in report.curve] == [0, 4, 8]
    assert {p.name for p in output.iterdir()} >= {
        "model.safetensors", "tokenizer.json", "config.json", "README.md", "training.json"
    }  # fmt: skip
    card = (output / "README.md").read_text()
    assert "abc123" in card and '"learning_rate": 0.003' in card and "base_model:" in card
    assert not list(tmp_path.glob("fine_tuned_model/.*"))  # no checkpoint or temporary left
    resource = Model(model_name=str(output), device="cpu", max_new_tokens=4, few_shot=0)
    assert len(resource.generate([[{"role": "user", "content": "hi"}]])) == 1


def test_lora_above_the_size_threshold_saves_merged_weights(tiny_model_dir: Path, tmp_path: Path):
    settings = TrainingSettings(**{**FAST.__dict__, "lora_above_parameters": 1, "max_steps": 2})
    output = tmp_path / "lora"
    report = fine_tune(str(tiny_model_dir), TRAIN, VALIDATION, output, settings, log=silent)
    assert report.method == "lora" and 0 < report.trainable_parameters < report.parameters
    assert not (output / "adapter_config.json").exists()  # merged: a plain model folder
    Model(model_name=str(output), device="cpu", few_shot=0).load()


@pytest.mark.parametrize(
    ("budget", "reason"),
    [({"max_tokens": 1}, "max_tokens (1)"), ({"max_seconds": 0.0}, "max_seconds (0)")],
)
def test_token_and_time_budgets_stop_training(
    tiny_model_dir: Path, tmp_path: Path, budget: dict[str, Any], reason: str
):
    settings = TrainingSettings(**{**FAST.__dict__, **budget})
    report = fine_tune(str(tiny_model_dir), TRAIN, VALIDATION, tmp_path / "m", settings, log=silent)
    assert report.stopped_because == reason and report.steps <= 1


def test_an_interrupted_run_keeps_the_old_model_and_resumes_from_its_checkpoint(
    tiny_model_dir: Path, tmp_path: Path
):
    output = tmp_path / "model"
    first = TrainingSettings(**{**FAST.__dict__, "max_steps": 2})
    fine_tune(str(tiny_model_dir), TRAIN, VALIDATION, output, first, log=silent)
    kept = (output / "training.json").read_text()

    def stop_at_step_four(line: str) -> None:
        if line.startswith("step 4"):
            raise Interrupted(line)

    with pytest.raises(Interrupted):
        fine_tune(str(tiny_model_dir), TRAIN, VALIDATION, output, FAST, log=stop_at_step_four)
    assert (output / "training.json").read_text() == kept  # the previous model is intact
    lines: list[str] = []
    report = fine_tune(str(tiny_model_dir), TRAIN, VALIDATION, output, FAST, log=lines.append)
    assert report.resumed_from_step == 2 and report.steps == 8
    assert lines[0].startswith("resuming from step 2")
    assert json.loads((output / "training.json").read_text())["report"]["steps"] == 8

    other_data = [sql_record(n) for n in range(50, 66)]
    settings = TrainingSettings(**{**FAST.__dict__, "max_steps": 1})
    fine_tune(str(tiny_model_dir), other_data, VALIDATION, output, settings, log=silent)
    # a checkpoint is only resumed for the same data and settings
    report = fine_tune(str(tiny_model_dir), other_data, VALIDATION, output, settings, log=silent)
    assert report.resumed_from_step == 0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"tasks": ("qa",)}, "no training example fits"),
        ({"max_length": 10}, "no training example fits"),
        ({"device": "cuda"}, "no CUDA GPU"),
        ({"device": "tpu"}, "unknown device"),
    ],
)
def test_settings_that_cannot_train_say_why(
    tiny_model_dir: Path, tmp_path: Path, settings: dict[str, Any], message: str
):
    with pytest.raises(TrainingError, match=message):
        fine_tune(
            str(tiny_model_dir),
            TRAIN,
            VALIDATION,
            tmp_path / "m",
            TrainingSettings(**{**FAST.__dict__, **settings}),
            log=silent,
        )
    assert not (tmp_path / "m").exists()


def set_up_tiny(model_dir: Path, output: Path, **settings: Any) -> TrainingRun:
    run_settings = TrainingSettings(**{**FAST.__dict__, **settings})
    return set_up(str(model_dir), TRAIN, VALIDATION, output, run_settings, log=silent)


def test_set_up_scores_the_untrained_model_and_writes_nothing(tiny_model_dir: Path, tmp_path: Path):
    run = set_up_tiny(tiny_model_dir, tmp_path / "m", eval_examples=3)
    assert run.report.steps == run.report.tokens == 0 and run.report.method == "full"
    assert run.report.counts == {"train_kept_sql_to_ibis": 16, "validation_kept_sql_to_ibis": 3}
    assert len(run.train) == 16 and len(run.held_out) == 3
    (point,) = run.report.curve
    assert point["step"] == 0 and math.isnan(point["train_loss"])
    untrained = reply_loss(run.model, run.held_out, run.accelerator, 2, run.pad_token_id)
    assert point["validation_loss"] == round(untrained, 4) > 0
    assert not any(tmp_path.iterdir())  # no model, no checkpoint before the first step


def test_the_validation_loss_is_per_reply_token_whatever_the_batch_size(
    tiny_model_dir: Path, tmp_path: Path
):
    from accelerate import Accelerator

    short = make_record("sql_to_ibis", {"sql": "SELECT a FROM t"}, {"ibis": "result = t"})
    long = sql_record(12345678, template="long").replace(
        target={"ibis": "result = " + " ".join(f"t.filter(_.a > {n})" for n in range(40))}
    )
    run = set_up(
        str(tiny_model_dir), [short, long], [short, long], tmp_path / "m", FAST, log=silent
    )
    examples = sorted(run.train, key=lambda e: len(e.input_ids))
    assert examples[-1].reply_tokens > 10 * examples[0].reply_tokens
    run.model.train()
    for _ in range(4):  # learn the short reply only: per-example losses then differ widely
        train_step(run, examples[:1])
    accelerator, pad = Accelerator(cpu=True), run.pad_token_id
    model = run.model.eval()
    alone = [reply_loss(model, [example], accelerator, 1, pad) for example in examples]
    counts = [example.reply_tokens for example in examples]
    per_token = sum(loss * count for loss, count in zip(alone, counts, strict=True)) / sum(counts)
    per_example = sum(alone) / len(alone)
    assert abs(per_token - per_example) > 0.05  # the two means tell apart on these examples
    for batch_size in (1, 2):
        assert reply_loss(model, examples, accelerator, batch_size, pad) == pytest.approx(
            per_token, rel=1e-4
        )
    assert not model.training  # left in the mode it was in; a training model stays training
    model.train()
    reply_loss(model, examples, accelerator, 2, pad)
    assert model.training and math.isnan(reply_loss(model, [], accelerator, 2, pad))


def test_a_training_step_counts_its_tokens_and_learns_its_batch(
    tiny_model_dir: Path, tmp_path: Path
):
    run = set_up_tiny(tiny_model_dir, tmp_path / "m")
    batch = run.train[:2]
    before = reply_loss(run.model, batch, run.accelerator, 2, run.pad_token_id)
    run.model.train()
    for _ in range(4):
        train_step(run, batch)
    assert run.report.steps == 4
    assert run.report.tokens == 4 * sum(len(example.input_ids) for example in batch)
    assert run.report.step_seconds > 0 and run.report.curve[1:] == []  # steps do not evaluate
    assert reply_loss(run.model, batch, run.accelerator, 2, run.pad_token_id) < before


def test_a_save_that_fails_keeps_the_previous_model_and_the_checkpoint(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    output = tmp_path / "m"
    output.mkdir()
    (output / "previous.txt").write_text("the model a user has")
    run = set_up_tiny(tiny_model_dir, output)
    run.checkpoints.mkdir()

    def disk_full(*args: Any, **kwargs: Any) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(run.tokenizer, "save_pretrained", disk_full)
    with pytest.raises(OSError, match="No space"):
        save_model(run)
    assert [p.name for p in output.iterdir()] == ["previous.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.checkpoint", "m"]  # no temporary

    monkeypatch.undo()
    save_model(run)
    assert not (output / "previous.txt").exists() and (output / "training.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # the checkpoint is spent
