"""The definitions through the real ``dagster`` CLI."""

import json
import subprocess
import sys
from pathlib import Path

from ibert_assets_tests.dagster_cli import DAGSTER, REPO_ROOT, Workspace


def test_the_definitions_validate_with_the_dagster_cli(tmp_path: Path):
    result = subprocess.run(
        [str(DAGSTER), "definitions", "validate", "-m", "ibert_assets.definitions"],
        cwd=REPO_ROOT, env=Workspace(tmp_path).env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Validation successful" in result.stdout + result.stderr


def test_template_partitions_are_the_top_level_yaml_files_at_load_time(tmp_path: Path):
    (tmp_path / "tasks").mkdir()
    for name in ("zoo.yaml", "alpha.yaml", "notes.txt", "tasks/code_completion.yaml"):
        (tmp_path / name).write_text("description: x\n")
    code = (
        "import json; from ibert_assets.partitions import template_partitions as p; "
        "print(json.dumps(p.get_partition_keys()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=Workspace(tmp_path).env(IBERT_TEMPLATES_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1]) == ["alpha", "zoo"]
