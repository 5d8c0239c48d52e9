"""Resumable training: checkpoints that are only used for the same base, data and settings,
and folders replaced only once their successor is complete."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ibert_assets.training.report import TrainingReport, TrainingSettings


@dataclass(frozen=True)
class CheckpointProgress:
    """How far a run had got when checkpointed: the ``progress.json`` that vouches for a state."""

    fingerprint: str
    step: int
    tokens: int
    seconds: float
    step_seconds: float
    curve: list[dict[str, float]]

    @classmethod
    def of(cls, report: TrainingReport, fingerprint: str) -> CheckpointProgress:
        return cls(fingerprint, report.steps, report.tokens, report.seconds,
                   report.step_seconds, report.curve)  # fmt: skip

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> CheckpointProgress:
        # checkpoints written before step_seconds was kept have none: their steps count as 0 s
        return cls(values["fingerprint"], values["step"], values["tokens"], values["seconds"],
                   values.get("step_seconds", 0.0), values["curve"])  # fmt: skip


def run_fingerprint(base_model: str, settings: TrainingSettings, data: str) -> str:
    text = json.dumps([base_model, settings.resumable_part(), data], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def save_checkpoint(
    folder: Path, fingerprint: str, accelerator: Any, report: TrainingReport
) -> None:
    """Optimizer, scheduler, weights and RNG state, then the progress file that vouches for
    them; written beside the last good checkpoint and swapped in when complete."""
    temporary = folder.with_name(f"{folder.name}.{uuid.uuid4().hex}")
    accelerator.save_state(str(temporary / "state"))
    progress = CheckpointProgress.of(report, fingerprint)
    (temporary / "progress.json").write_text(json.dumps(asdict(progress)))
    replace_folder(temporary, folder)


def resume_state(
    folder: Path, fingerprint: str, accelerator: Any, log: Callable[[str], None]
) -> CheckpointProgress | None:
    """The progress of the checkpoint at ``folder``, its state loaded into ``accelerator``;
    None (and the checkpoint removed) when there is none or it is from another run."""
    progress = folder / "progress.json"
    if not progress.is_file():
        return None
    values = json.loads(progress.read_text())
    if values.get("fingerprint") != fingerprint:
        log(f"checkpoint at {folder} is from other data or settings: starting afresh")
        shutil.rmtree(folder, ignore_errors=True)
        return None
    state = CheckpointProgress.from_json(values)
    accelerator.load_state(str(folder / "state"))
    log(f"resuming from step {state.step} ({folder})")
    return state


def replace_folder(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; the old folder is removed only once the new one is there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f"{target.name}.old-{uuid.uuid4().hex}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
