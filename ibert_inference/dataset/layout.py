"""Where the dataset store keeps what other code reads: one object, passed to whoever reads it.

The store is ``<base>/<asset>/<partition>.jsonl`` (rejects beside each file); ``train_complete``
is stored as ``<base>/train_complete/<split>.jsonl``; ``docs_examples`` is the folder the ``qa``
task searches; ``fine_tuned_model/<base model>/`` holds one trained model per base model. The
base is a local folder or any fsspec URL (``s3://bucket/ibert``, ``memory://...``). The ``ibert``
command builds a layout from its settings (``data_dir``), the Dagster side from its
``dataset_store`` resource: nothing else spells these paths.

>>> store = StoreLayout("/srv/ibert")
>>> str(store.train_split())
'/srv/ibert/train_complete/train.jsonl'
>>> str(store.fine_tuned("/cache/SmolLM2-135M-Instruct.Q4_1.gguf"))
'/srv/ibert/fine_tuned_model/SmolLM2-135M-Instruct.Q4_1'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from upath import UPath

DEFAULT_BASE = "data"
"""The store's base when none is set (``IBERT_DATA_DIR``, ``--data-dir``, ``data_dir:``)."""

# The assets whose stored files other code reads by path.
TRAIN_COMPLETE = "train_complete"
DOCS_EXAMPLES = "docs_examples"
FINE_TUNED_MODEL = "fine_tuned_model"
SPLITS = ("train", "validation", "test")


def fine_tuned_name(base_model: str) -> str:
    """The folder a base model's fine-tuned copy is stored in: its last path part, file-name safe.

    >>> fine_tuned_name("/cache/SmolLM2-135M-Instruct.Q4_1-1234-5678")
    'SmolLM2-135M-Instruct.Q4_1-1234-5678'
    >>> fine_tuned_name("Qwen/Qwen2.5-Coder-1.5B-Instruct")
    'Qwen2.5-Coder-1.5B-Instruct'
    """
    name = base_model.rstrip("/").split("/")[-1].removesuffix(".gguf")
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "model"


@dataclass(frozen=True)
class StoreLayout:
    """The paths of one dataset store."""

    base: str = DEFAULT_BASE

    @property
    def is_local(self) -> bool:
        """True for a folder on this machine (a plain path or a ``file://`` URL)."""
        return "://" not in self.base or self.base.startswith("file://")

    def path(self, *parts: str) -> UPath:
        """``<base>/<parts...>``: a ``pathlib.Path`` for a local store, a ``UPath`` for a URL."""
        from upath import UPath

        return UPath(self.base).joinpath(*parts)

    def on_disk(self, path: UPath) -> Path | None:
        """``path``, one of this store's, as a path on this machine; None for a store at a URL."""
        return Path(path.path) if self.is_local else None

    def local_folder(self, *parts: str) -> Path:
        """``<base>/<parts...>`` for what must be a folder on this machine (model weights)."""
        if not self.is_local:
            raise ValueError(f"{'/'.join(parts)} must be a local folder; the store is {self.base}")
        return Path(self.base.removeprefix("file://")).joinpath(*parts)

    def partition(self, asset: str, partition: str, suffix: str = ".jsonl") -> UPath:
        """One stored partition: ``<base>/<asset>/<partition>.jsonl``."""
        return self.path(asset, f"{partition}{suffix}")

    def split(self, name: str, suffix: str = ".jsonl") -> UPath:
        """One split of ``train_complete``: ``<base>/train_complete/<name>.jsonl``."""
        return self.partition(TRAIN_COMPLETE, name, suffix)

    def train_split(self) -> UPath:
        """The verified training examples (the model's demonstrations come from here)."""
        return self.split("train")

    def docs_examples(self) -> UPath:
        """The mined documentation, one file per repository (the ``qa`` task searches it)."""
        return self.path(DOCS_EXAMPLES)

    def fine_tuned_models(self) -> Path:
        """The folder that holds one fine-tuned model per base model."""
        return self.local_folder(FINE_TUNED_MODEL)

    def fine_tuned(self, base_model: str) -> Path:
        """Where the model fine-tuned from ``base_model`` is (or will be) stored."""
        return self.fine_tuned_models() / fine_tuned_name(base_model)
