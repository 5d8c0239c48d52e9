"""Running the real ``dagster`` CLI against the project, on a fresh DAGSTER_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGSTER = Path(sys.executable).with_name("dagster")


@dataclass
class Workspace:
    """Folders and environment one test's Dagster runs share; ``settings`` are the ``IBERT_*``
    variables every run of the workspace gets (a call's own ``extra`` ones win)."""

    root: Path
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def env(self, **extra: str) -> dict[str, str]:
        home = self.root / "dagster_home"
        home.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "IBERT_DATA_DIR": str(self.data),
            "IBERT_REPO_CACHE": str(self.root / "cache"),
            **self.settings,
            **extra,
        }
        return env

    def materialize(self, select: str, partition: str, **extra: str) -> subprocess.CompletedProcess:
        command = [
            str(DAGSTER), "asset", "materialize", "-m", "ibert_assets.definitions",
            "--select", select, "--partition", partition,
        ]  # fmt: skip
        return subprocess.run(
            command,
            cwd=REPO_ROOT,
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=600,
        )
