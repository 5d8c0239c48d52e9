"""Resources shared by the assets: the dataset store, its I/O manager, the model."""

from __future__ import annotations

from typing import Any

from ibert_assets.store import DatasetStore, JsonlIOManagerFactory


def default_resources() -> dict[str, Any]:
    """Local files under IBERT_DATA_DIR (default data/); change base_dir for an object store."""
    return {
        "io_manager": JsonlIOManagerFactory(),
        "dataset_store": DatasetStore(),
    }
