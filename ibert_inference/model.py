"""One model resource for every task: a Hugging Face causal LM behind a Dagster resource.

``ModelResource`` is a Dagster ``ConfigurableResource`` that is also a plain Python object. It loads
lazily on first use, once per process and setting (a module-level cache behind a lock: the
resource itself is a frozen pydantic model), so the Dagster assets and the CLI share the weights.
Importing this module imports neither torch nor transformers.

>>> ModelResource().model_name
'Qwen/Qwen2.5-Coder-1.5B-Instruct'
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from ibert_inference import budget, progress
from ibert_inference.errors import ModelNotAvailableError

DEFAULT_MODEL = "Qwen/Qwen2.5-Coder-1.5B-Instruct"
Conversation = list[dict[str, str]]

_ENV = {
    "model_name": "IBERT_MODEL_NAME",
    "revision": "IBERT_MODEL_REVISION",
    "gguf_file": "IBERT_GGUF_FILE",
    "device": "IBERT_DEVICE",
    "dtype": "IBERT_DTYPE",
    "temperature": "IBERT_TEMPERATURE",
    "max_new_tokens": "IBERT_MAX_NEW_TOKENS",
    "batch_size": "IBERT_BATCH_SIZE",
    "cache_dir": "IBERT_MODEL_CACHE_DIR",
    "local_files_only": "IBERT_LOCAL_FILES_ONLY",
    "load_in_8bit": "IBERT_LOAD_IN_8BIT",
}


@dataclass
class LoadedModel:
    """Weights and tokenizer in memory, with where they run."""

    model: Any
    tokenizer: Any
    device: str


_LOADED: dict[tuple[Any, ...], LoadedModel] = {}
_LOAD_LOCK = threading.Lock()
LOAD_COUNT = {"loads": 0}  # how many times weights were read in this process (for tests)


class ModelResource(dg.ConfigurableResource):
    """The model every task and asset uses. Settings also come from ``IBERT_*`` variables."""

    model_name: str = Field(
        default=DEFAULT_MODEL,
        description="Hub id, local folder, or local .gguf file of a chat causal LM",
    )
    revision: str | None = Field(default=None, description="Hub revision (branch, tag, commit)")
    gguf_file: str | None = Field(default=None, description="GGUF file inside model_name")
    device: str = Field(default="auto", description="auto | cpu | cuda | mps")
    dtype: str = Field(default="auto", description="auto | float32 | float16 | bfloat16")
    temperature: float = Field(default=0.2, ge=0.0, description="0 means greedy decoding")
    max_new_tokens: int = Field(default=256, gt=0)
    batch_size: int = Field(default=8, gt=0)
    cache_dir: str | None = Field(default=None, description="Hugging Face cache directory")
    local_files_only: bool = Field(default=False, description="Never contact the hub")
    load_in_8bit: bool = Field(default=False, description="8-bit weights (CUDA + bitsandbytes)")

    @classmethod
    def from_env(cls, **overrides: Any) -> ModelResource:
        """Settings from ``IBERT_*`` environment variables, then ``overrides`` (None ignored)."""
        values: dict[str, Any] = {}
        for name, variable in _ENV.items():
            raw = os.environ.get(variable)
            if raw is None or raw == "":
                continue
            annotation = str(cls.model_fields[name].annotation)
            if "bool" in annotation:
                values[name] = raw.lower() in {"1", "true", "yes", "on"}
            elif "int" in annotation:
                values[name] = int(raw)
            elif "float" in annotation:
                values[name] = float(raw)
            else:
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def _key(self) -> tuple[Any, ...]:
        return (
            self.model_name, self.revision, self.gguf_file, self.device, self.dtype,
            self.cache_dir, self.local_files_only, self.load_in_8bit,
        )  # fmt: skip

    @property
    def is_loaded(self) -> bool:
        return self._key() in _LOADED

    def load(self) -> LoadedModel:
        """The loaded model: read once per process and setting, whatever the thread."""
        key = self._key()
        loaded = _LOADED.get(key)
        if loaded is not None:
            return loaded
        with _LOAD_LOCK:
            loaded = _LOADED.get(key)
            if loaded is None:
                loaded = _load(self)
                LOAD_COUNT["loads"] += 1
                _LOADED[key] = loaded
        return loaded

    def generate(
        self,
        conversations: list[Conversation],
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        deadline: float | None = None,
    ) -> list[str]:
        """One reply per chat conversation; greedy when the temperature is 0.

        ``deadline`` (a ``time.monotonic()`` instant; default: the request's, see ``budget``)
        stops generation early: replies end where they were when it passed, and batches not
        started by then reply ``""``.
        """
        if not conversations:
            return []
        import torch

        if not self.is_loaded:
            progress.report(f"loading model {self.model_name} ...")
        loaded = self.load()
        if deadline is None:  # read after loading: the request's clock starts now
            deadline = budget.deadline()
        tokenizer, model = loaded.tokenizer, loaded.model
        temperature = self.temperature if temperature is None else temperature
        limit = max_new_tokens or self.max_new_tokens
        prompts = [_render(tokenizer, conversation) for conversation in conversations]
        replies: list[str] = []
        for start in range(0, len(prompts), self.batch_size):
            batch = prompts[start : start + self.batch_size]
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                replies += [""] * len(batch)
                continue
            encoded = tokenizer(batch, return_tensors="pt", padding=True).to(loaded.device)
            options: dict[str, Any] = {
                "max_new_tokens": limit,
                "pad_token_id": tokenizer.pad_token_id,
                "do_sample": temperature > 0,
                "stopping_criteria": [_progress_criterion(len(batch), limit)],
            }
            if remaining is not None:  # transformers' own MaxTimeCriteria
                options["max_time"] = remaining
            if temperature > 0:
                options.update(temperature=temperature, top_p=0.95)
            else:  # greedy: unset sampling defaults a model's generation_config may carry
                options.update(temperature=None, top_p=None, top_k=None)
            with torch.no_grad():
                output = model.generate(**encoded, **options)
            new_tokens = output[:, encoded["input_ids"].shape[1] :]
            replies += tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        return [reply.strip() for reply in replies]


def _progress_criterion(batch: int, limit: int) -> Any:
    """A stopping criterion that never stops: it reports tokens and seconds as they come."""
    import torch
    from transformers import StoppingCriteria

    class ReportProgress(StoppingCriteria):
        def __init__(self) -> None:
            self.tokens = 0
            self.started = time.monotonic()

        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
            self.tokens += 1
            elapsed = time.monotonic() - self.started
            progress.report(
                f"generating {batch} answer{'s' if batch > 1 else ''}: "
                f"{self.tokens}/{limit} tokens, {elapsed:.1f} s"
            )
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return ReportProgress()


def _render(tokenizer: Any, conversation: Conversation) -> str:
    if getattr(tokenizer, "chat_template", None):
        return str(
            tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        )
    lines = [f"{turn['role']}: {turn['content']}" for turn in conversation]
    return "\n".join([*lines, "assistant:"])


def _resolve_device(requested: str) -> str:
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if requested not in {"cpu", "cuda", "mps"}:
        raise ModelNotAvailableError(f"unknown device {requested!r}: use auto, cpu, cuda or mps")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelNotAvailableError("device 'cuda' was asked for but no CUDA GPU is visible")
    if requested == "mps" and not torch.backends.mps.is_available():
        raise ModelNotAvailableError("device 'mps' was asked for but MPS is not available")
    return requested


def _resolve_dtype(name: str, device: str) -> Any:
    import torch

    if name == "auto":
        if device == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    choices = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if name not in choices:
        raise ModelNotAvailableError(f"unknown dtype {name!r}: use auto, {', '.join(choices)}")
    return choices[name]


def _load(settings: ModelResource) -> LoadedModel:
    device = _resolve_device(settings.device)
    location, gguf_file = settings.model_name, settings.gguf_file
    if location.endswith(".gguf"):
        path = Path(location)
        if not path.is_file():
            raise ModelNotAvailableError(f"GGUF file {location} does not exist")
        location, gguf_file = str(path.parent), path.name
    elif location.startswith(("/", ".", "~")) and not Path(location).expanduser().exists():
        # hub ids contain a slash too; only an explicit path must exist on disk
        raise ModelNotAvailableError(f"model folder {location} does not exist")
    options: dict[str, Any] = {
        "revision": settings.revision,
        "cache_dir": settings.cache_dir,
        "local_files_only": settings.local_files_only,
    }
    if gguf_file:
        options["gguf_file"] = gguf_file
    model_options: dict[str, Any] = {"dtype": _resolve_dtype(settings.dtype, device)}
    if settings.load_in_8bit:
        if device != "cuda":
            raise ModelNotAvailableError(
                "load_in_8bit needs a CUDA device and the bitsandbytes package; "
                f"this run uses {device}: set load_in_8bit false or run on a GPU"
            )
        from transformers import BitsAndBytesConfig

        model_options["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(location, **options)
        model = AutoModelForCausalLM.from_pretrained(location, **options, **model_options)
    except (OSError, ValueError) as exc:
        raise ModelNotAvailableError(_not_found_message(settings, exc)) from None
    if not settings.load_in_8bit:
        model = model.to(device)  # type: ignore[arg-type]  # typeshed: @wraps on a method
    model.eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(model=model, tokenizer=tokenizer, device=device)


def _not_found_message(settings: ModelResource, exc: BaseException) -> str:
    name = settings.model_name
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"model {name!r} cannot be loaded: it is not in the local cache and cannot be downloaded "
        f"here ({first_line[:200]}). Download it on a machine with network access "
        f"(`huggingface-cli download {name}`) and copy the cache, or point model_name / "
        "IBERT_MODEL_NAME at a local folder or .gguf file."
    )
