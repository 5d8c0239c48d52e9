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
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ibert_assets.training.card import model_card
from ibert_assets.training.checkpoints import (
    replace_folder,
    resume_state,
    run_fingerprint,
    save_checkpoint,
)
from ibert_assets.training.examples import TokenizedExample, collate
from ibert_assets.training.report import Method, TrainingError, TrainingReport, TrainingSettings
from ibert_assets.training.sampling import draw_order, tokenized_split
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
    run = set_up(
        base_model,
        train_records,
        validation_records,
        output,
        settings,
        data_fingerprint=data_fingerprint,
        log=log,
        store=store,
    )
    train(run, log)
    save_model(run)
    return run.report


@dataclass
class TrainingRun:
    """One run in progress: built by :func:`set_up`, advanced by :func:`train`, saved by
    :func:`save_model`.

    ``model``, ``optimizer`` and ``scheduler`` are as ``accelerate`` prepared them; ``report``
    is the progress (steps, tokens, seconds, curve) that checkpoints keep and the model card shows.
    """

    settings: TrainingSettings
    accelerator: Any
    tokenizer: Any
    model: Any
    optimizer: Any
    scheduler: Any
    train: list[TokenizedExample]
    held_out: list[TokenizedExample]
    """The validation examples scored at each evaluation (the first ``eval_examples``)."""
    report: TrainingReport
    output: Path
    fingerprint: str
    """Checkpoints are resumed only by a run with the same one (base, data, settings)."""

    @property
    def checkpoints(self) -> Path:
        """Beside the output, hidden: the folder the last checkpoint is kept in."""
        return self.output.with_name(f".{self.output.name}.checkpoint")

    @property
    def pad_token_id(self) -> int:
        return int(self.tokenizer.pad_token_id)


def set_up(
    base_model: str,
    train_records: Sequence[Record],
    validation_records: Sequence[Record],
    output: Path,
    settings: TrainingSettings,
    *,
    data_fingerprint: str = "",
    log: Callable[[str], None] = print,
    store: StoreLayout | None = None,
) -> TrainingRun:
    """Load and tokenize, choose full or LoRA training, and resume from this run's checkpoint
    if there is one; a fresh run is evaluated once before its first step."""
    from accelerate.utils import set_seed

    accelerator = _accelerator(settings.device)
    set_seed(settings.seed)
    tokenizer, model = _load(base_model)
    train_set = tokenized_split(train_records, tokenizer, settings, "train", store)
    validation_set = tokenized_split(validation_records, tokenizer, settings, "validation", store)
    if not train_set.examples:
        raise TrainingError(
            f"no training example fits (tasks {list(settings.tasks) or 'all'}, max_length "
            f"{settings.max_length}; counts {dict(train_set.counts)}): build train_complete, or "
            "raise max_length"
        )
    parameters = sum(p.numel() for p in model.parameters())
    method = settings.method
    if method == "auto":
        method = "lora" if parameters > settings.lora_above_parameters else "full"
    if method == "lora":
        model = _with_lora(model, settings)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    optimizer, scheduler = _optimizer_and_scheduler(model, settings)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    report = TrainingReport(
        base_model=base_model,
        output=str(output),
        method=method,
        parameters=parameters,
        trainable_parameters=trainable,
        device=str(accelerator.device),
        precision=accelerator.mixed_precision,
        counts={
            **_prefixed(train_set.counts, "train"),
            **_prefixed(validation_set.counts, "validation"),
        },
        data_fingerprint=data_fingerprint,
    )
    run = TrainingRun(
        settings=settings,
        accelerator=accelerator,
        tokenizer=tokenizer,
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        train=train_set.examples,
        held_out=validation_set.examples[: settings.eval_examples],
        report=report,
        output=output,
        fingerprint=run_fingerprint(base_model, settings, data_fingerprint),
    )
    progress = resume_state(run.checkpoints, run.fingerprint, accelerator, log)
    if progress:
        report.steps, report.tokens = progress.step, progress.tokens
        report.seconds, report.curve = progress.seconds, progress.curve
        report.step_seconds = progress.step_seconds
        report.resumed_from_step = progress.step
    if not report.curve:
        evaluate(run, math.nan)
    return run


def train(run: TrainingRun, log: Callable[[str], None] = print) -> None:
    """Optimizer steps until a budget is spent, in a fresh shuffle each epoch (the same on
    resume): evaluated every ``eval_every`` steps and at the last, checkpointed every
    ``checkpoint_every`` steps but the last (the saved model follows it)."""
    settings, report = run.settings, run.report
    order = draw_order(len(run.train), settings.seed)
    losses: list[float] = []  # since the last evaluation
    run.model.train()
    started = time.perf_counter() - report.seconds
    while not (stop := _budget_spent(report, settings)):
        batch = [run.train[order(report.steps * settings.batch_size + i)]
                 for i in range(settings.batch_size)]  # fmt: skip
        losses.append(train_step(run, batch))
        report.seconds = time.perf_counter() - started
        last = _budget_spent(report, settings)
        if report.steps % settings.eval_every == 0 or last:
            evaluate(run, sum(losses) / len(losses))
            losses = []
            log(_progress(report))
        if report.steps % settings.checkpoint_every == 0 and not last:
            save_checkpoint(run.checkpoints, run.fingerprint, run.accelerator, report)
    report.stopped_because = stop


def train_step(run: TrainingRun, batch: Sequence[TokenizedExample]) -> float:
    """One optimizer step on ``batch``, counted in the report; its training loss."""
    accelerator, report = run.accelerator, run.report
    step_started = time.perf_counter()
    inputs = {k: v.to(accelerator.device) for k, v in collate(batch, run.pad_token_id).items()}
    with accelerator.autocast():
        loss = run.model(**inputs).loss
    accelerator.backward(loss)
    accelerator.clip_grad_norm_(run.model.parameters(), 1.0)
    run.optimizer.step()
    run.scheduler.step()
    run.optimizer.zero_grad()
    report.steps += 1
    report.tokens += int(inputs["attention_mask"].sum())
    report.step_seconds += time.perf_counter() - step_started
    return float(loss.detach())


def evaluate(run: TrainingRun, train_loss: float) -> dict[str, float]:
    """Add a point to the curve: ``train_loss`` (the mean since the last point) beside the
    validation loss now, at the report's steps, tokens and time."""
    validation_loss = reply_loss(
        run.model, run.held_out, run.accelerator, run.settings.batch_size, run.pad_token_id
    )
    point = _point(run.report, train_loss, validation_loss)
    run.report.curve.append(point)
    return point


def reply_loss(
    model: Any,
    examples: Sequence[TokenizedExample],
    accelerator: Any,
    batch_size: int,
    pad_token_id: int,
) -> float:
    """Mean loss per reply token over ``examples`` (NaN for none), whatever the batch size."""
    import torch

    if not examples:
        return math.nan
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            batch = collate(examples[start : start + batch_size], pad_token_id)
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


def save_model(run: TrainingRun) -> None:
    """The trained model (LoRA merged into its base) as a plain Hugging Face folder with its
    report and card, put at the run's output only once complete; its checkpoint is then spent."""
    output = run.output
    model = run.accelerator.unwrap_model(run.model)
    if run.report.method == "lora":
        model = model.merge_and_unload()
    temporary = output.with_name(f".{output.name}.{uuid.uuid4().hex}")
    try:
        model.save_pretrained(temporary, safe_serialization=True)
        run.tokenizer.save_pretrained(temporary)
        (temporary / "training.json").write_text(
            json.dumps({"report": run.report.to_json(), "settings": asdict(run.settings)}, indent=2)
        )
        (temporary / "README.md").write_text(model_card(run.report, run.settings))
        replace_folder(temporary, output)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    shutil.rmtree(run.checkpoints, ignore_errors=True)


def _accelerator(device: str) -> Any:
    import torch
    from accelerate import Accelerator

    if device not in {"auto", "cpu", "cuda"}:
        raise TrainingError(f"unknown device {device!r}: use auto, cpu or cuda")
    if device == "cuda" and not torch.cuda.is_available():
        raise TrainingError("device 'cuda' was asked for but no CUDA GPU is visible")
    on_gpu = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    precision = "bf16" if on_gpu and torch.cuda.is_bf16_supported() else "no"
    return Accelerator(cpu=not on_gpu, mixed_precision=precision)


def _load(base_model: str) -> tuple[Any, Any]:
    """The tokenizer (padding with end-of-sequence when it has no pad token) and the model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from ibert_assets.library_logs import progress_bars_off_unless_terminal

    progress_bars_off_unless_terminal()
    try:
        tokenizer = AutoTokenizer.from_pretrained(base_model)
        model = AutoModelForCausalLM.from_pretrained(base_model, dtype=torch.float32)
    except (OSError, ValueError) as exc:
        raise TrainingError(f"base model {base_model} cannot be loaded: {exc}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, model


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


def _optimizer_and_scheduler(model: Any, settings: TrainingSettings) -> tuple[Any, Any]:
    """AdamW on the trainable parameters, a cosine schedule over ``max_steps``."""
    import torch
    from transformers import get_scheduler

    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate
    )
    scheduler = get_scheduler(
        "cosine",
        optimizer,
        num_warmup_steps=min(settings.warmup_steps, settings.max_steps // 10),
        num_training_steps=settings.max_steps,
    )
    return optimizer, scheduler


def _point(report: TrainingReport, train_loss: float, validation_loss: float) -> dict[str, float]:
    return {
        "step": report.steps,
        "train_loss": round(train_loss, 4),
        "validation_loss": round(validation_loss, 4),
        "tokens": report.tokens,
        "seconds": round(report.seconds, 1),
        "tokens_per_second": round(report.tokens_per_second, 1),
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
