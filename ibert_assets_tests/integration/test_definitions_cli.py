"""The definitions through the real ``dagster`` CLI."""

import subprocess
from pathlib import Path

from ibert_assets_tests.dagster_cli import DAGSTER, REPO_ROOT, Workspace


def test_the_definitions_validate_with_the_dagster_cli(tmp_path: Path):
    result = subprocess.run(
        [str(DAGSTER), "definitions", "validate", "-m", "ibert_assets.definitions"],
        cwd=REPO_ROOT, env=Workspace(tmp_path).env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Validation successful" in result.stdout + result.stderr
