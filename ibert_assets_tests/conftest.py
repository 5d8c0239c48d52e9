"""Fixtures shared across test files."""

from __future__ import annotations

from pathlib import Path

import pytest


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
def tiny_model(tiny_model_dir: Path):
    """A ModelResource over the tiny model, greedy and short."""
    from ibert_inference.model import ModelResource

    return ModelResource(
        model_name=str(tiny_model_dir),
        device="cpu",
        temperature=0.0,
        max_new_tokens=12,
        local_files_only=True,
    )
