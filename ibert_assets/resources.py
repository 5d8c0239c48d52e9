"""Resources shared by the assets: the dataset store, the I/O manager over it, the model."""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field

from ibert_assets.settings import Settings
from ibert_assets.store import DatasetStore, JsonlIOManagerFactory
from ibert_inference.model.language_model import Model, ModelSettings
from ibert_inference.settings import ENVIRONMENT

# Assets that need this resource run a model: the build leaves them out unless selected.
MODEL_RESOURCE_KEY = "model"


class ModelResource(dg.ConfigurableResource, ModelSettings):
    """The model, as Dagster configures it: the settings of :class:`ModelSettings` as resource
    config, the dataset store it reads (fine-tuned models, demonstrations) and iBERT's cache.

    A thin layer: :meth:`get_model` gives the plain :class:`Model` that tasks and evaluators
    take. Weights load lazily, on the first answer, once per process and setting.
    """

    dataset_store: DatasetStore
    ibert_cache: str | None = Field(
        default=None,
        description="iBERT's cache (converted GGUF models, demonstration indexes); "
        "the definitions set it from IBERT_CACHE_DIR; unset: ~/.cache/ibert",
    )

    def get_model(self) -> Model:
        from pathlib import Path

        from ibert_assets.library_logs import progress_bars_off_unless_terminal

        progress_bars_off_unless_terminal()  # a step's stderr is rarely a terminal

        settings = self.model_dump(include=set(ModelSettings.model_fields))
        cache = Path(self.ibert_cache).expanduser() if self.ibert_cache else None
        return Model(store=self.dataset_store.layout, cache=cache, **settings)


def default_resources(settings: Settings) -> dict[str, Any]:
    """One dataset store (the I/O manager writes through it), and the model of the settings.

    A base that came from ``IBERT_DATA_DIR`` is configured as ``dg.EnvVar``, so the UI shows
    where it comes from and the value stays out of stored run config. The model loads lazily:
    defining the resource reads no weights.
    """
    from_environment = "data_dir" in settings.environment
    base: Any = dg.EnvVar(ENVIRONMENT["data_dir"]) if from_environment else settings.data_dir
    store = DatasetStore(base_dir=base)
    model = ModelResource(dataset_store=store, ibert_cache=settings.cache_dir, **settings.model)
    return {
        "io_manager": JsonlIOManagerFactory(store=store),
        "dataset_store": store,
        MODEL_RESOURCE_KEY: model,
    }
