"""Supervised fine-tuning of a causal LM on verified examples; knows nothing of Dagster.

Full fine-tuning for small models, LoRA (``peft``) above a size, chosen by the settings;
``accelerate`` places the model (bf16 mixed precision on a GPU). Training stops at the first
of: a number of optimizer steps, a token budget, a wall-clock budget. Checkpoints are written
every few steps and a run with the same data and settings resumes from the last one. The result
is a plain Hugging Face folder (safetensors, tokenizer, a model card), put in place only once
complete: a failed run leaves the previous model where it was.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ibert_assets.training.card import model_card
from ibert_assets.training.checkpoints import (
    replace_folder,
    resume_state,
    run_fingerprint,
    save_checkpoint,
)
from ibert_assets.training.examples import TokenizedExample, collate, tokenize_records
from ibert_assets.training.report import Method, TrainingError, TrainingReport, TrainingSettings
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.dataset.layout import fine_tuned_name as output_name
from ibert_inference.dataset.record import Record

__all__ = [
    "Method",
    "TrainingError",
    "TrainingReport",
    "TrainingSettings",
    "fine_tune",
    "output_name",
]


def fine_tune(
    base_model: str,
    train_records: Sequence[Record],
    validation_records: Sequence[Record],
    output: Path,
    settings: TrainingSettings,
    *,
    data_fingerprint: str = "",
    log: Callable[[str], None] = print,
    store: StoreLayout | None = None,
) -> TrainingReport:
    """Train ``base_model`` (a local Hugging Face folder) and save the result at ``output``.

    ``store`` is the dataset store the records come from: a ``qa`` record's prompt cites its
    mined documentation, as the served task does.
    """
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from transformers import AutoModelForCausalLM, AutoTokenizer, get_scheduler

    accelerator = _accelerator(settings.device, Accelerator)
    set_seed(settings.seed)
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model)
        model = AutoModelForCausalLM.from_pretrained(base_model, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"base model {base_model} cannot be loaded: {exc}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    train = _tokenized(train_records, tokenizer, settings, "train", store)
    validation = _tokenized(validation_records, tokenizer, settings, "validation", store)
    if not train.examples:
        raise TrainingError(
            f"no training example fits (tasks {list(settings.tasks) or 'all'}, max_length "
            f"{settings.max_length}; counts {dict(train.counts)}): build train_complete, or raise "
            "max_length"
        )
    parameters = sum(p.numel() for p in model.parameters())
    method = settings.method
    if method == "auto":
        method = "lora" if parameters > settings.lora_above_parameters else "full"
    if method == "lora":
        model = _with_lora(model, settings)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate
    )
    scheduler = get_scheduler(
        "cosine",
        optimizer,
        num_warmup_steps=min(settings.warmup_steps, settings.max_steps // 10),
        num_training_steps=settings.max_steps,
    )
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    report = TrainingReport(
        base_model=base_model,
        output=str(output),
        method=method,
        parameters=parameters,
        trainable_parameters=trainable,
        device=str(accelerator.device),
        precision=accelerator.mixed_precision,
        counts={**_prefixed(train.counts, "train"), **_prefixed(validation.counts, "validation")},
        data_fingerprint=data_fingerprint,
    )
    checkpoints = output.with_name(f".{output.name}.checkpoint")
    fingerprint = run_fingerprint(base_model, settings, data_fingerprint)
    state = resume_state(checkpoints, fingerprint, accelerator, log)
    if state:
        report.steps, report.tokens = state["step"], state["tokens"]
        report.seconds, report.curve = state["seconds"], state["curve"]
        report.step_seconds = state.get("step_seconds", 0.0)
        report.resumed_from_step = state["step"]
    held_out = validation.examples[: settings.eval_examples]
    if not report.curve:
        report.curve.append(_point(0, math.nan, _loss(model, held_out, settings, tokenizer,
                                                      accelerator), 0, 0.0, 0.0))  # fmt: skip
    order = _order(len(train.examples), settings.seed)
    pad = int(tokenizer.pad_token_id)
    window: list[float] = []
    model.train()
    started = time.perf_counter() - report.seconds
    while True:
        stop = _budget_spent(report, settings)
        if stop:
            report.stopped_because = stop
            break
        batch = [train.examples[order(report.steps * settings.batch_size + i)]
                 for i in range(settings.batch_size)]  # fmt: skip
        step_started = time.perf_counter()
        inputs = {k: v.to(accelerator.device) for k, v in collate(batch, pad).items()}
        with accelerator.autocast():
            loss = model(**inputs).loss
        accelerator.backward(loss)
        accelerator.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        report.steps += 1
        report.tokens += int(inputs["attention_mask"].sum())
        report.step_seconds += time.perf_counter() - step_started
        report.seconds = time.perf_counter() - started
        window.append(float(loss.detach()))
        last = _budget_spent(report, settings)
        if report.steps % settings.eval_every == 0 or last:
            validation_loss = _loss(model, held_out, settings, tokenizer, accelerator)
            report.curve.append(
                _point(report.steps, sum(window) / len(window), validation_loss,
                       report.tokens, report.seconds, report.step_seconds)
            )  # fmt: skip
            window = []
            log(_progress(report))
        if report.steps % settings.checkpoint_every == 0 and not last:
            save_checkpoint(checkpoints, fingerprint, accelerator, report)
    model = accelerator.unwrap_model(model)
    if method == "lora":
        model = model.merge_and_unload()
    _save(model, tokenizer, output, report, settings)
    shutil.rmtree(checkpoints, ignore_errors=True)
    return report


def _accelerator(device: str, accelerator_class: Any) -> Any:
    import torch

    if device not in {"auto", "cpu", "cuda"}:
        raise TrainingError(f"unknown device {device!r}: use auto, cpu or cuda")
    if device == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was asked for but no CUDA GPU is visible")
    on_gpu = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    precision = "bf16" if on_gpu and torch.cuda.is_bf16_supported() else "no"
    return accelerator_class(cpu=not on_gpu, mixed_precision=precision)


def _tokenized(
    records: Sequence[Record],
    tokenizer: Any,
    settings: TrainingSettings,
    split: str,
    store: StoreLayout | None,
) -> Any:
    chosen = list(records)
    if settings.tasks:
        chosen = [r for r in chosen if r.task in settings.tasks]
    # validation is only ever scored on eval_examples: tokenize no more than those
    limit = settings.max_examples if split == "train" else settings.eval_examples
    if limit and len(chosen) > limit:
        chosen = random.Random(settings.seed).sample(sorted(chosen, key=lambda r: r.id), limit)
    return tokenize_records(chosen, tokenizer, max_length=settings.max_length, store=store)


def _with_lora(model: Any, settings: TrainingSettings) -> Any:
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        task_type="CAUSAL_LM",
        r=settings.lora_rank,
        lora_alpha=settings.lora_alpha,
        lora_dropout=0.05,
        target_modules="all-linear",
    )
    return get_peft_model(model, config)


def _order(count: int, seed: int) -> Callable[[int], int]:
    """Example index for the n-th example drawn: a fresh shuffle each epoch, the same on resume."""
    epochs: dict[int, list[int]] = {}

    def at(position: int) -> int:
        epoch, offset = divmod(position, count)
        if epoch not in epochs:
            permutation = list(range(count))
            random.Random(seed * 1_000_003 + epoch).shuffle(permutation)
            epochs[epoch] = permutation
        return epochs[epoch][offset]

    return at


def _loss(
    model: Any,
    examples: Sequence[TokenizedExample],
    settings: TrainingSettings,
    tokenizer: Any,
    accelerator: Any,
) -> float:
    """Mean loss per reply token over ``examples``."""
    import torch

    if not examples:
        return math.nan
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(examples), settings.batch_size):
            chunk = examples[start : start + settings.batch_size]
            batch = collate(chunk, int(tokenizer.pad_token_id))
            inputs = {k: v.to(accelerator.device) for k, v in batch.items()}
            with accelerator.autocast():
                loss = model(**inputs).loss
            # shifted labels: the first token has no prediction
            count = int((inputs["labels"][:, 1:] != -100).sum())
            total += float(loss) * count
            tokens += count
    if was_training:
        model.train()
    return total / tokens if tokens else math.nan


def _point(
    step: int,
    train_loss: float,
    validation_loss: float,
    tokens: int,
    seconds: float,
    step_seconds: float,
) -> dict[str, float]:
    return {
        "step": step,
        "train_loss": round(train_loss, 4),
        "validation_loss": round(validation_loss, 4),
        "tokens": tokens,
        "seconds": round(seconds, 1),
        "tokens_per_second": round(tokens / step_seconds, 1) if step_seconds else 0.0,
    }


def _budget_spent(report: TrainingReport, settings: TrainingSettings) -> str:
    if report.steps >= settings.max_steps:
        return f"max_steps ({settings.max_steps})"
    if settings.max_tokens is not None and report.tokens >= settings.max_tokens:
        return f"max_tokens ({settings.max_tokens})"
    if settings.max_seconds is not None and report.seconds >= settings.max_seconds:
        return f"max_seconds ({settings.max_seconds:g})"
    return ""


def _progress(report: TrainingReport) -> str:
    point = report.curve[-1]
    return (
        f"step {report.steps}: train loss {point['train_loss']}, validation loss "
        f"{point['validation_loss']}, {report.tokens} tokens, {report.tokens_per_second:.1f} "
        "tokens/s"
    )


def _prefixed(counts: Counter[str], prefix: str) -> dict[str, int]:
    return {f"{prefix}_{key}": value for key, value in counts.items()}


def _save(
    model: Any, tokenizer: Any, output: Path, report: TrainingReport, settings: TrainingSettings
) -> None:
    temporary = output.with_name(f".{output.name}.{uuid.uuid4().hex}")
    try:
        model.save_pretrained(temporary, safe_serialization=True)
        tokenizer.save_pretrained(temporary)
        (temporary / "training.json").write_text(
            json.dumps({"report": report.to_json(), "settings": asdict(settings)}, indent=2)
        )
        (temporary / "README.md").write_text(model_card(report, settings))
        replace_folder(temporary, output)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
