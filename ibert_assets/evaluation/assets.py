"""``model_evaluation``: each task of the inference package run over the test split."""

import time

import dagster as dg
from pydantic import Field

from ibert_assets.charts import chart_metadata
from ibert_assets.evaluation.metrics import evaluate_task
from ibert_assets.metadata import OWNERS, counts_table
from ibert_assets.outcome import Outcome
from ibert_assets.partitions import task_partitions
from ibert_inference.model import ModelResource


class EvaluationConfig(dg.Config):
    sample_size: int = Field(default=50, gt=0, description="test examples per task")
    use_model: bool = Field(default=True, description="false: deterministic paths only")


@dg.asset(
    partitions_def=task_partitions,
    group_name="evaluation",
    owners=OWNERS,
    kinds={"python", "pytorch"},
    description=(
        "One task of the inference package over a sample of train_complete's test split, with "
        "the shared model resource: execution accuracy (sql_to_ibis, ibis_to_sql), verified-fix "
        "rate (error_resolution), validity and exact match (code_completion), retrieval hit "
        "rate and answer overlap (qa), parameter coverage (documentation), each beside the "
        "deterministic path. Per-example results are stored. Run it with the in-process "
        "executor (job evaluate_models): the model loads once."
    ),
    ins={"train_complete": dg.AssetIn(metadata={"split": "test"})},
)
def model_evaluation(
    context: dg.AssetExecutionContext,
    config: EvaluationConfig,
    model: ModelResource,
    train_complete: list[dict],
) -> dg.Output[Outcome]:
    start = time.perf_counter()
    scores = evaluate_task(
        context.partition_key,
        train_complete,
        model if config.use_model else None,
        sample_size=config.sample_size,
    )
    summary = {k: float(v) for k, v in scores.summary.items()}
    metadata: dict[str, dg.MetadataValue | str | float] = {
        "scores": counts_table(summary, title="score"),
        "scores_chart": chart_metadata(
            {k: v for k, v in summary.items() if k != "examples"},
            title=f"{context.partition_key}: scores",
        ),
        "model": model.model_name if config.use_model else "(deterministic only)",
        "seconds": round(time.perf_counter() - start, 1),
        **{k: dg.MetadataValue.float(v) for k, v in summary.items()},
    }
    return dg.Output(Outcome(scores.rows), metadata=metadata)


evaluate_models = dg.define_asset_job(
    "evaluate_models",
    selection=[model_evaluation],
    partitions_def=task_partitions,
    executor_def=dg.in_process_executor,
    description="Evaluate every task with the configured model, loading it once per process.",
)
