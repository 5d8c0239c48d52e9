from ibert_assets.quality import task_figures
from ibert_assets.splits.assign import assign_splits
from ibert_assets.splits.export import dataset_card
from ibert_assets_tests.assets.test_assign import TEMPLATED
from ibert_inference.dataset.record import Meta, make_id


def test_the_card_reports_sources_per_split_held_out_templates_and_quality_figures():
    mined = [  # copies of template inputs with other ids
        r.replace(
            id=make_id("mined copy", r.input, r.target),
            meta=Meta(source="mined", group=f"file:{r.id}"),
        )
        for r in TEMPLATED[:50]
    ]
    records = [*TEMPLATED, *mined]
    splits = assign_splits(records, cluster_of={})
    card = dataset_card(splits, {"input": len(records)}, before=task_figures(records))
    assert "## Examples per source and split" in card
    assert "| mined |" in card and "| template |" in card
    held = sorted(
        {r.meta.template for r in splits["test"] if r.meta.extra("held_out") == "template"}
    )
    assert f"Held-out templates: {', '.join(held)}." in card
    assert "| test | template |" in card and "| test | group |" in card
    # before: the mined copies repeat template inputs with other ids; the figures say so
    assert "records as they came in" in card and "inputs with >1 target" in card
    after = card.split("## Quality figures per task (after")[1].split("## ")[0]
    (after_row,) = [line for line in after.splitlines() if line.startswith("| sql_to_ibis")]
    assert f"| {len(records)} |" in after_row
