"""The executor of the definitions, and the workers' settings that must match it."""

from __future__ import annotations

import dagster as dg
import pytest
import yaml

from ibert_assets.assembly import build_definitions
from ibert_assets.executors import CELERY_BACKEND, CELERY_BROKER, CELERY_SETTINGS, executor_for
from ibert_assets.settings import PROJECT_ROOT, Settings
from ibert_inference.settings import SettingsError


def test_one_machine_by_default_and_celery_when_the_setting_says_so(tmp_path):
    settings = Settings(repos_file=str(tmp_path / "none.txt"))
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    assert job.executor_def.name == "multi_or_in_process_executor"
    celery = build_definitions(Settings.from_environment({
        "IBERT_REPOS_FILE": str(tmp_path / "none.txt"), "IBERT_EXECUTOR": "celery",
    })).resolve_implicit_global_asset_job_def()  # fmt: skip
    assert celery.executor_def.name == "celery_executor"


def test_the_workers_file_names_the_same_broker_and_settings():
    shipped = yaml.safe_load((PROJECT_ROOT / "deploy" / "celery.yaml").read_text())
    config = shipped["execution"]["config"]
    assert config["broker"] == {"env": CELERY_BROKER}
    assert config["backend"] == {"env": CELERY_BACKEND}
    assert config["config_source"] == CELERY_SETTINGS
    assert CELERY_SETTINGS["task_acks_late"] is True


def test_the_broker_comes_from_the_environment_when_a_run_starts(monkeypatch):
    executor = executor_for("celery")
    assert isinstance(executor, dg.ExecutorDefinition)
    monkeypatch.setenv(CELERY_BROKER, "pyamqp://guest@broker.example//")
    monkeypatch.setenv(CELERY_BACKEND, "rpc://")
    resolved = executor.config_schema.resolve_config({}).value["config"]  # type: ignore[attr-defined]
    assert resolved["broker"] == "pyamqp://guest@broker.example//"


def test_an_unknown_executor_is_refused_with_the_choices():
    with pytest.raises(SettingsError, match=r"IBERT_EXECUTOR='k8s' is not an executor: choose"):
        executor_for("k8s")
