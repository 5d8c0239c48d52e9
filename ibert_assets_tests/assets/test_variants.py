"""Comparing base, base + retrieval and fine-tuned on held-out and seen templates."""

from __future__ import annotations

from ibert_assets.evaluation.variants import (
    Variant,
    compare_variants,
    lift_table,
    template_group,
)
from ibert_assets_tests.conftest import make_record
from ibert_assets_tests.scripted_model import ModelDouble
from ibert_inference.dataset.record import Record

SCHEMA = {"orders": {"id": "int64", "amount": "float64"}}


def record(threshold: int, template: str | None, **meta) -> Record:
    return make_record(
        "sql_to_ibis",
        {"sql": f"SELECT id FROM orders WHERE amount > {threshold}"},
        {"ibis": f"result = orders.filter(_.amount > {threshold}).select('id')"},
        tables=SCHEMA,
        source="template" if template else "mined",
        template=template,
        **meta,
    )


class Answers(ModelDouble):
    """A model at its boundary that gets right exactly the thresholds it knows."""

    def __init__(self, known: set[int]):
        self.known = known

    def generate(self, conversations, *, max_new_tokens=None, temperature=None):
        replies = []
        for conversation in conversations:
            sql = conversation[-1]["content"].split("```sql\n")[1].split("\n```")[0]
            threshold = int(sql.rsplit(" ", 1)[1])
            shown = threshold if threshold in self.known else threshold + 1
            replies.append(
                f"```python\nresult = orders.filter(_.amount > {shown}).select('id')\n```"
            )
        return replies


TRAIN = [record(1, "seen_t")]
TEST = [record(10, "seen_t"), record(20, "seen_t"), record(30, "new_t"), record(40, None)]


def test_template_groups():
    seen = {"seen_t"}
    assert template_group(record(1, "seen_t"), seen) == "seen"
    assert template_group(record(1, "new_t"), seen) == "held_out"
    assert template_group(record(1, None), seen) == "untemplated"
    flagged = record(1, "seen_t", held_out=True)
    assert template_group(flagged, seen) == "held_out"


def test_each_variant_is_scored_by_execution_per_template_group():
    variants = [
        Variant("base", Answers(set())),
        Variant("base+retrieval", Answers({10})),
        Variant("fine_tuned", Answers({10, 20, 30})),
    ]
    comparison = compare_variants("sql_to_ibis", TEST, TRAIN, variants, sample_size=10)
    assert comparison.sizes == {"all": 4, "held_out": 1, "seen": 2, "untemplated": 1}
    score = comparison.score
    assert score("base", "all", "execution_accuracy") == 0.0
    assert score("base+retrieval", "seen", "execution_accuracy") == 0.5
    assert score("fine_tuned", "seen", "execution_accuracy") == 1.0
    assert score("fine_tuned", "held_out", "execution_accuracy") == 1.0
    assert score("fine_tuned", "untemplated", "execution_accuracy") == 0.0
    assert score("fine_tuned", "all", "execution_accuracy") == 0.75
    assert {r["variant"] for r in comparison.rows} == {"base", "base+retrieval", "fine_tuned"}
    table = lift_table(comparison)
    assert "| execution_accuracy | all | 4 | 0.000 | 0.250 | 0.750 | +0.250 | +0.750 |" in table
    assert (
        "| execution_accuracy | held_out | 1 | 0.000 | 0.000 | 1.000 | +0.000 | +1.000 |" in table
    )


def test_a_variant_without_a_model_is_reported_not_scored():
    variants = [
        Variant("base", Answers(set())),
        Variant("fine_tuned", None, "no fine_tuned_model built"),
    ]
    comparison = compare_variants("sql_to_ibis", TEST, TRAIN, variants, sample_size=10)
    assert comparison.score("fine_tuned", "all", "execution_accuracy") is None
    table = lift_table(comparison)
    assert "fine_tuned not evaluated: no fine_tuned_model built" in table
    assert "| execution_accuracy | all | 4 | 0.000 | - | - | - | - |" in table
