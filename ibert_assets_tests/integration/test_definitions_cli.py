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
        "import json; from ibert_assets.definitions import defs; "
        "p = defs.resolve_assets_def('template_examples').partitions_def; "
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


def test_only_the_definitions_module_reads_the_environment_when_imported(tmp_path: Path):
    """A bad variable breaks ``ibert_assets.definitions`` (Dagster's entry point), and nothing
    else: every other module is given its settings."""
    modules = ["ibert_assets.assembly", "ibert_assets.runner", "ibert_inference.cli.main",
               "ibert_inference.tasks.qa", "ibert_inference.model.language_model"]  # fmt: skip
    env = Workspace(tmp_path).env(IBERT_MIN_TASK_EXAMPLES="lots", IBERT_SANDBOX_WORKERS="none")
    imports = "; ".join(f"import {module}" for module in modules)
    quiet = subprocess.run(
        [sys.executable, "-c", imports], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    loud = subprocess.run(
        [sys.executable, "-c", "import ibert_assets.definitions"], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert loud.returncode == 1
    assert "IBERT_MIN_TASK_EXAMPLES='lots' is not a valid int" in loud.stderr
    assert "IBERT_SANDBOX_WORKERS='none' is not a valid int" in loud.stderr
