"""Resources shared by the assets: the dataset store, its I/O manager, the model."""

from __future__ import annotations

from typing import Any

from ibert_assets.store import DatasetStore, JsonlIOManagerFactory
from ibert_inference.model import ModelResource


def default_resources() -> dict[str, Any]:
    """Local files under IBERT_DATA_DIR (default data/); the model from IBERT_* settings.

    The model loads lazily: defining the resource reads no weights.
    """
    return {
        "io_manager": JsonlIOManagerFactory(),
        "dataset_store": DatasetStore(),
        "model": ModelResource.from_env(),
    }
