"""The per-task templates in ``templates/tasks/``: wording for Q&A, documentation and prompts."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ibert_assets.settings import current_settings
from ibert_inference.bounded_yaml import YamlInputError, load_yaml
from ibert_inference.errors import TemplateError

TASK_FILES = ("qa", "documentation", "code_completion", "error_resolution")


def task_templates_dir() -> Path:
    return Path(current_settings().templates_dir) / "tasks"


@cache
def _load(path: str) -> dict[str, Any]:
    file = Path(path)
    try:
        data = load_yaml(file.read_text(encoding="utf-8"), str(file))
    except YamlInputError as exc:  # aliases refused, size bounded
        raise TemplateError(f"invalid YAML: {exc}") from None
    if not isinstance(data, dict) or data.get("task") != file.stem:
        raise TemplateError(f"{file}:1: task: expected 'task: {file.stem}' at the top level")
    return data


def task_template(task: str) -> dict[str, Any]:
    """The template of one task; falls back to the copy shipped with the project."""
    path = task_templates_dir() / f"{task}.yaml"
    if not path.exists():
        path = Path(__file__).resolve().parents[2] / "templates" / "tasks" / f"{task}.yaml"
    if not path.exists():
        raise TemplateError(f"{path}: missing per-task template for {task!r}")
    return _load(str(path))
