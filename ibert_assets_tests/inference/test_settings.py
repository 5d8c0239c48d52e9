"""The one module that reads IBERT_* variables, and what it gives the edges."""

from __future__ import annotations

import ast
import doctest
from pathlib import Path

import pytest

from ibert_inference import settings as settings_module
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.sandbox import SandboxSettings
from ibert_inference.settings import InferenceSettings, SettingsError

PACKAGES = [
    Path(__file__).resolve().parents[2] / name for name in ("ibert_inference", "ibert_assets")
]


def test_the_environment_gives_store_cache_sandbox_and_model_settings(tmp_path: Path):
    settings = InferenceSettings.from_environment(
        {
            "IBERT_DATA_DIR": "s3://bucket/ibert",
            "IBERT_CACHE_DIR": str(tmp_path / "cache"),
            "IBERT_SANDBOX_TIMEOUT_S": "2.5",
            "IBERT_SANDBOX_WORKERS": "3",
            "IBERT_MODEL_NAME": "/models/mine",
            "IBERT_FEW_SHOT": "",  # empty: unset
            "UNRELATED": "x",
        }
    )
    assert settings.store == StoreLayout("s3://bucket/ibert")
    assert settings.cache == tmp_path / "cache"
    assert settings.sandbox == SandboxSettings(timeout_s=2.5, workers=3)
    assert dict(settings.model) == {"model_name": "/models/mine"}


def test_without_variables_the_defaults(tmp_path: Path):
    settings = InferenceSettings.from_environment({"XDG_CACHE_HOME": str(tmp_path)})
    assert settings.store == StoreLayout("data") and settings.sandbox == SandboxSettings()
    assert settings.cache == tmp_path / "ibert" and not settings.model
    assert InferenceSettings.from_environment({}).cache == Path.home() / ".cache" / "ibert"
    assert settings.environment == frozenset()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"IBERT_SANDBOX_TIMEOUT_S": "soon"},
            "IBERT_SANDBOX_TIMEOUT_S='soon' is not a valid float",
        ),
        ({"IBERT_SANDBOX_TIMEOUT_S": "-1"}, "time limit must be positive"),
        ({"IBERT_SANDBOX_WORKERS": "0"}, "at least one worker"),
    ],
)
def test_a_bad_sandbox_variable_is_refused_naming_it(environ: dict[str, str], message: str):
    with pytest.raises(SettingsError, match=message) as caught:
        InferenceSettings.from_environment(environ)
    assert next(iter(environ)) in str(caught.value)


def test_every_bad_variable_is_named_at_once():
    with pytest.raises(SettingsError) as caught:
        InferenceSettings.from_environment(
            {"IBERT_SANDBOX_TIMEOUT_S": "soon", "IBERT_SANDBOX_WORKERS": "many"}
        )
    assert "IBERT_SANDBOX_TIMEOUT_S='soon'" in str(caught.value)
    assert "IBERT_SANDBOX_WORKERS='many'" in str(caught.value)


def test_an_override_is_no_longer_from_the_environment():
    settings = InferenceSettings.from_environment({"IBERT_DATA_DIR": "/from/env"})
    assert settings.environment == {"data_dir"}
    moved = settings.override(data_dir="/from/flag")
    assert moved.data_dir == "/from/flag" and moved.environment == frozenset()


def test_the_examples_in_the_module_hold():
    assert doctest.testmod(settings_module).failed == 0


def _environment_uses(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module touches the process environment: ``os.environ``, ``os.getenv``,
    ``os.putenv``, ``os.unsetenv`` (by attribute or by name)."""
    names = {"environ", "getenv", "putenv", "unsetenv", "environb"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names:
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            found += [
                (node.lineno, f"from os import {a.name}") for a in node.names if a.name in names
            ]
    return found


def _writes(tree: ast.AST) -> list[tuple[int, str]]:
    """Writes to the environment: assignments and deletions of ``os.environ[...]``, and the
    mutating methods of ``os.environ``."""
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and "environ" in ast.unparse(target.value):
                found.append((node.lineno, ast.unparse(target)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            mutating = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__"}
            if node.func.attr in mutating and "environ" in ast.unparse(node.func.value):
                found.append((node.lineno, ast.unparse(node.func)))
            if node.func.attr in {"putenv", "unsetenv"}:
                found.append((node.lineno, ast.unparse(node.func)))
    return found


def test_only_the_settings_module_reads_the_environment_and_nothing_writes_it():
    """Below the edges nothing reads the environment (the build's DAGSTER_HOME is Dagster's own
    variable, read by the command that owns the instance); nothing anywhere writes it."""
    allowed = {
        ("ibert_inference", "settings.py"): None,  # every IBERT_*, HF_HUB_*/HF_HOME, XDG_CACHE_HOME
        ("ibert_assets", "runner/cli.py"): "DAGSTER_HOME",
    }
    readers, writers = {}, {}
    for package in PACKAGES:
        for path in sorted(package.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = (package.name, path.relative_to(package).as_posix())
            uses, written = _environment_uses(tree), _writes(tree)
            if written:
                writers[where] = written
            if uses and where not in allowed:
                readers[where] = uses
            elif uses and allowed[where] is not None:
                assert allowed[where] in path.read_text(encoding="utf-8")
    assert readers == {}
    assert writers == {}


def test_the_scan_sees_a_read_and_a_write():
    code = "import os\nos.environ['IBERT_X'] = '1'\nos.environ.update(a='b')\nos.getenv('Y')\n"
    tree = ast.parse(code)
    assert [line for line, _ in _writes(tree)] == [2, 3]
    assert {line for line, _ in _environment_uses(tree)} == {2, 3, 4}
