"""Base model, base model with retrieved demonstrations, fine-tuned model: one task, three
ways, on the same test sample, split into templates held out from training and seen ones.

A test record's template is *held out* when no training record comes from it (or its ``meta``
says ``held_out``), *seen* when some do; records mined from repositories have no template and
are reported apart. The lift is the fine-tuned (or retrieval) score minus the base score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ibert_assets.evaluation.metrics import sample
from ibert_assets.tasks import parts
from ibert_assets.tasks.scoring import Row
from ibert_inference.dataset.record import Record

if TYPE_CHECKING:
    from ibert_inference.dataset.layout import StoreLayout
    from ibert_inference.model.language_model import LanguageModel

VARIANTS = ("base", "base+retrieval", "fine_tuned")
GROUPS = ("all", "held_out", "seen", "untemplated")


@dataclass(frozen=True)
class Variant:
    """One way of answering: a name and the model it uses (None: not available, skipped)."""

    name: str
    model: LanguageModel | None
    note: str = ""


@dataclass
class Comparison:
    """Per variant, group and metric: the mean score and the number of examples."""

    task: str
    scores: dict[tuple[str, str, str], float] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def score(self, variant: str, group: str, metric: str) -> float | None:
        return self.scores.get((variant, group, metric))


def template_group(record: Record, seen_templates: set[str]) -> str:
    """held_out, seen or untemplated (mined from a repository)."""
    if record.meta.extra("held_out"):
        return "held_out"
    template = record.meta.template
    if not template:
        return "untemplated"
    return "seen" if template in seen_templates else "held_out"


def templates_of(records: Iterable[Record]) -> set[str]:
    return {t for r in records if (t := r.meta.template)}


def compare_variants(
    task: str,
    test_records: Sequence[Record],
    train_records: Sequence[Record],
    variants: Sequence[Variant],
    *,
    sample_size: int = 50,
    store: StoreLayout | None = None,
) -> Comparison:
    """Every variant on one deterministic sample of the task's test records (``store``: the
    dataset store the tasks read, ``qa``'s mined documentation)."""
    chosen = sample(test_records, task, sample_size)
    seen = templates_of(train_records)
    group_of = {r.id: template_group(r, seen) for r in chosen}
    comparison = Comparison(task)
    for group in GROUPS:
        comparison.sizes[group] = sum(1 for g in group_of.values() if group in ("all", g))
    task_parts = parts(task)
    metrics = task_parts.model_metrics
    for variant in variants:
        if variant.model is None:
            comparison.skipped[variant.name] = variant.note or "no model"
            continue
        result = task_parts.evaluate(chosen, variant.model, store)
        for row in result.rows:
            comparison.rows.append({**row, "variant": variant.name, "group": group_of[row["id"]]})
        for group in GROUPS:
            rows = [r for r in result.rows if group in ("all", group_of[r["id"]])]
            if not rows:
                continue
            for metric, measure in metrics.items():
                value = sum(measure(r) for r in rows) / len(rows)
                comparison.scores[(variant.name, group, metric)] = round(value, 4)
    return comparison


def lift_table(comparison: Comparison) -> str:
    """Markdown: one row per metric and group, one column per variant, and the lifts."""
    header = (
        "| metric | templates | examples | base | base+retrieval | fine-tuned | "
        "retrieval lift | fine-tuning lift |\n|---|---|---:|---:|---:|---:|---:|---:|"
    )
    lines = [header]
    for metric in parts(comparison.task).model_metrics:
        for group in GROUPS:
            values = [comparison.score(v, group, metric) for v in VARIANTS]
            if all(value is None for value in values):
                continue
            base, retrieval, tuned = values
            lines.append(
                f"| {metric} | {group} | {comparison.sizes[group]} | {_cell(base)} | "
                f"{_cell(retrieval)} | {_cell(tuned)} | {_lift(retrieval, base)} | "
                f"{_lift(tuned, base)} |"
            )
    for name, why in comparison.skipped.items():
        lines.append(f"\n_{name} not evaluated: {why}_")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _lift(value: float | None, base: float | None) -> str:
    return "-" if value is None or base is None else f"{value - base:+.3f}"
