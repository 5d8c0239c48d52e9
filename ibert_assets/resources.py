"""Resources shared by the assets: the dataset store, the I/O manager over it, the model."""

from __future__ import annotations

from typing import Any

import dagster as dg

from ibert_assets.settings import ENVIRONMENT, Settings, current_settings
from ibert_assets.store import DatasetStore, JsonlIOManagerFactory
from ibert_inference.model.language_model import ModelResource

# Assets that need this resource run a model: the build leaves them out unless selected.
MODEL_RESOURCE_KEY = "model"


def default_resources(settings: Settings | None = None) -> dict[str, Any]:
    """One dataset store (the I/O manager writes through it), and the model from its settings.

    A base that comes from ``IBERT_DATA_DIR`` is configured as ``dg.EnvVar``, so the UI shows
    where it comes from and the value stays out of stored run config. The model loads lazily:
    defining the resource reads no weights.
    """
    settings = settings or current_settings()
    from_env = Settings.from_env().data_dir == settings.data_dir != Settings().data_dir
    base: Any = dg.EnvVar(ENVIRONMENT["data_dir"]) if from_env else settings.data_dir
    store = DatasetStore(base_dir=base)
    return {
        "io_manager": JsonlIOManagerFactory(store=store),
        "dataset_store": store,
        MODEL_RESOURCE_KEY: ModelResource.from_env(),
    }
