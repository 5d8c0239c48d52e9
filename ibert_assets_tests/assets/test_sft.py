"""Fine-tuning the tiny test model for real: loss, budgets, LoRA, checkpoints, safe output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ibert_assets.training.sft import TrainingError, TrainingSettings, fine_tune
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


def test_fine_tuning_lowers_the_loss_and_saves_a_model_the_resource_loads(
    tiny_model_dir: Path, tmp_path: Path
):
    output = tmp_path / "fine_tuned_model" / "tiny"
    report = fine_tune(
        str(tiny_model_dir), TRAIN, VALIDATION, output, FAST, data_fingerprint="abc123", log=str
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
    report = fine_tune(str(tiny_model_dir), TRAIN, VALIDATION, output, settings, log=str)
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
    report = fine_tune(str(tiny_model_dir), TRAIN, VALIDATION, tmp_path / "m", settings, log=str)
    assert report.stopped_because == reason and report.steps <= 1


def test_an_interrupted_run_keeps_the_old_model_and_resumes_from_its_checkpoint(
    tiny_model_dir: Path, tmp_path: Path
):
    output = tmp_path / "model"
    first = TrainingSettings(**{**FAST.__dict__, "max_steps": 2})
    fine_tune(str(tiny_model_dir), TRAIN, VALIDATION, output, first, log=str)
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
    fine_tune(str(tiny_model_dir), other_data, VALIDATION, output, settings, log=str)
    # a checkpoint is only resumed for the same data and settings
    report = fine_tune(str(tiny_model_dir), other_data, VALIDATION, output, settings, log=str)
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
            log=str,
        )
    assert not (tmp_path / "m").exists()
