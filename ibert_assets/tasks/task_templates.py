"""The per-task templates in ``templates/tasks/``: wording for Q&A, documentation and prompts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ibert_inference.bounded_yaml import YamlInputError, load_yaml
from ibert_inference.errors import TemplateError

TASK_FILES = ("qa", "documentation", "code_completion", "error_resolution")
SHIPPED_DIR = Path(__file__).resolve().parents[2] / "templates" / "tasks"
"""The per-task templates shipped with the project."""


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


@dataclass(frozen=True)
class TaskTemplates:
    """The per-task templates of one folder (a templates folder's ``tasks/``); a task the
    folder has no file for takes the copy shipped with the project."""

    directory: Path = SHIPPED_DIR

    @classmethod
    def of(cls, templates_dir: str | Path) -> TaskTemplates:
        """The per-task templates beside the template files of ``templates_dir``."""
        return cls(Path(templates_dir) / "tasks")

    def __getitem__(self, task: str) -> dict[str, Any]:
        path = self.directory / f"{task}.yaml"
        if not path.exists():
            path = SHIPPED_DIR / f"{task}.yaml"
        if not path.exists():
            raise TemplateError(f"{path}: missing per-task template for {task!r}")
        return _load(str(path))


SHIPPED = TaskTemplates()
