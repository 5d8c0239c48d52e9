"""The store layout: the one place that spells the paths other code reads."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from ibert_inference.dataset import layout
from ibert_inference.dataset.layout import StoreLayout, fine_tuned_name


def test_a_local_store_gives_local_paths(tmp_path: Path):
    store = StoreLayout(str(tmp_path))
    assert store.is_local
    assert store.partition("mined_examples", "ibis") == tmp_path / "mined_examples" / "ibis.jsonl"
    assert store.train_split() == tmp_path / "train_complete" / "train.jsonl"
    assert store.split("test", ".parquet") == tmp_path / "train_complete" / "test.parquet"
    assert store.docs_examples() == tmp_path / "docs_examples"
    assert store.fine_tuned("Qwen/Qwen2.5-Coder") == tmp_path / "fine_tuned_model" / "Qwen2.5-Coder"
    assert store.on_disk(store.train_split()) == tmp_path / "train_complete" / "train.jsonl"


def test_a_file_url_is_local_and_other_urls_are_not(tmp_path: Path):
    as_url = StoreLayout(f"file://{tmp_path}")
    assert as_url.is_local and as_url.fine_tuned_models() == tmp_path / "fine_tuned_model"
    assert as_url.on_disk(as_url.docs_examples()) == tmp_path / "docs_examples"
    remote = StoreLayout("s3://bucket/ibert")
    assert not remote.is_local
    assert str(remote.train_split()) == "s3://bucket/ibert/train_complete/train.jsonl"
    assert remote.on_disk(remote.train_split()) is None
    with pytest.raises(ValueError, match="must be a local folder; the store is s3://bucket/ibert"):
        remote.fine_tuned("base")


@pytest.mark.parametrize(
    ("base_model", "folder"),
    [
        ("/cache/SmolLM2-135M-Instruct.Q4_1.gguf", "SmolLM2-135M-Instruct.Q4_1"),
        ("Qwen/Qwen2.5-Coder-1.5B-Instruct", "Qwen2.5-Coder-1.5B-Instruct"),
        ("/models/my model/", "my_model"),
        ("/", "model"),
    ],
)
def test_a_base_model_s_fine_tuned_folder_is_a_safe_name(base_model: str, folder: str):
    assert fine_tuned_name(base_model) == folder


def test_the_default_store_is_data():
    assert StoreLayout().base == "data" == layout.DEFAULT_BASE


def test_the_examples_in_the_module_hold():
    assert doctest.testmod(layout).failed == 0
