"""Checkpoints: the progress they vouch for, read back typed; another run's are not resumed."""

from __future__ import annotations

import json
from pathlib import Path

from ibert_assets.training.checkpoints import CheckpointProgress, resume_state, save_checkpoint
from ibert_assets.training.report import TrainingReport


def report() -> TrainingReport:
    return TrainingReport(
        base_model="base", output="out", method="full", parameters=10, trainable_parameters=10,
        device="cpu", precision="no", steps=6, tokens=600, seconds=3.5, step_seconds=2.0,
        curve=[{"step": 0, "validation_loss": 5.0}, {"step": 6, "validation_loss": 4.0}],
    )  # fmt: skip


def test_a_checkpoint_resumes_with_the_progress_it_was_saved_at(tmp_path: Path):
    from accelerate import Accelerator

    folder, lines = tmp_path / ".m.checkpoint", list[str]()
    save_checkpoint(folder, "abc", Accelerator(cpu=True), report())
    progress = resume_state(folder, "abc", Accelerator(cpu=True), lines.append)
    assert progress == CheckpointProgress("abc", 6, 600, 3.5, 2.0, report().curve)
    assert lines == [f"resuming from step 6 ({folder})"]
    assert [p.name for p in tmp_path.iterdir()] == [".m.checkpoint"]  # no temporary left


def test_a_checkpoint_from_before_step_seconds_were_kept_still_resumes(tmp_path: Path):
    from accelerate import Accelerator

    folder = tmp_path / ".m.checkpoint"
    save_checkpoint(folder, "abc", Accelerator(cpu=True), report())
    values = json.loads((folder / "progress.json").read_text())
    del values["step_seconds"]
    (folder / "progress.json").write_text(json.dumps(values))
    progress = resume_state(folder, "abc", Accelerator(cpu=True), lambda line: None)
    assert progress is not None and progress.step == 6 and progress.step_seconds == 0.0


def test_another_runs_checkpoint_is_removed_not_resumed(tmp_path: Path):
    from accelerate import Accelerator

    folder, lines = tmp_path / ".m.checkpoint", list[str]()
    save_checkpoint(folder, "abc", Accelerator(cpu=True), report())
    assert resume_state(folder, "other", Accelerator(cpu=True), lines.append) is None
    assert not folder.exists() and "from other data or settings" in lines[0]
    assert resume_state(folder, "abc", Accelerator(cpu=True), lines.append) is None  # none left
