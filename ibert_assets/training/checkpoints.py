"""Resumable training: checkpoints that are only used for the same base, data and settings,
and folders replaced only once their successor is complete."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ibert_assets.training.report import TrainingReport, TrainingSettings


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
    progress = {"fingerprint": fingerprint, "step": report.steps, "tokens": report.tokens,
                "seconds": report.seconds, "step_seconds": report.step_seconds,
                "curve": report.curve}  # fmt: skip
    (temporary / "progress.json").write_text(json.dumps(progress))
    replace_folder(temporary, folder)


def resume_state(
    folder: Path, fingerprint: str, accelerator: Any, log: Callable[[str], None]
) -> Any:
    progress = folder / "progress.json"
    if not progress.is_file():
        return None
    state = json.loads(progress.read_text())
    if state.get("fingerprint") != fingerprint:
        log(f"checkpoint at {folder} is from other data or settings: starting afresh")
        shutil.rmtree(folder, ignore_errors=True)
        return None
    accelerator.load_state(str(folder / "state"))
    log(f"resuming from step {state['step']} ({folder})")
    return state


def replace_folder(new: Path, target: Path) -> None:
    """Put ``new`` at ``target``; the old folder is removed only once the new one is there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = target.with_name(f"{target.name}.old-{uuid.uuid4().hex}")
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
