"""What a fine-tuning run is told (TrainingSettings) and what it reports (TrainingReport).

Kept apart from the training loop so that the model card and the checkpoints read them without
importing the loop.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from ibert_inference.errors import IbertError

Method = Literal["auto", "full", "lora"]


class TrainingError(IbertError):
    """Fine-tuning cannot run as configured (no examples, no such device, bad base model)."""


@dataclass(frozen=True)
class TrainingSettings:
    """How to train. Budgets: whichever of steps, tokens and seconds runs out first."""

    method: Method = "auto"
    lora_above_parameters: int = 500_000_000
    lora_rank: int = 16
    lora_alpha: int = 32
    learning_rate: float = 5e-5
    warmup_steps: int = 10
    batch_size: int = 8
    max_length: int = 512
    max_steps: int = 200
    max_tokens: int | None = None
    max_seconds: float | None = 3600.0
    eval_every: int = 50
    eval_examples: int = 64
    checkpoint_every: int = 50
    seed: int = 0
    device: str = "auto"
    tasks: tuple[str, ...] = ()
    max_examples: int | None = None

    def resumable_part(self) -> dict[str, Any]:
        """What must match for a checkpoint to be resumed (budgets may grow between runs)."""
        values = asdict(self)
        for budget in ("max_steps", "max_tokens", "max_seconds", "device"):
            values.pop(budget)
        return values


@dataclass
class TrainingReport:
    """What a run did: the loss curve, throughput, why it stopped, what it kept."""

    base_model: str
    output: str
    method: str
    parameters: int
    trainable_parameters: int
    device: str
    precision: str
    steps: int = 0
    tokens: int = 0
    seconds: float = 0.0
    step_seconds: float = 0.0
    stopped_because: str = ""
    resumed_from_step: int = 0
    curve: list[dict[str, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    data_fingerprint: str = ""

    @property
    def tokens_per_second(self) -> float:
        """Training throughput: tokens over the time spent in training steps (validation and
        checkpoints, which count against the wall-clock budget, left out)."""
        return self.tokens / self.step_seconds if self.step_seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tokens_per_second": round(self.tokens_per_second, 1)}
