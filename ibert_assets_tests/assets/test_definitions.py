import dagster as dg

from ibert_assets.definitions import defs
from ibert_assets.partitions import template_names, template_partitions, templates_dir
from ibert_assets.record import TASKS


def asset_graph() -> dict[str, dg.AssetSpec]:
    return {spec.key.to_user_string(): spec for spec in defs.resolve_all_asset_specs()}


def test_assets_have_plain_names_and_the_design_partitions():
    specs = asset_graph()
    assert {
        "template_examples",
        "augmented_examples",
        "multitask_examples",
        "train_complete",
    } <= set(specs)
    templates = specs["template_examples"]
    assert templates.group_name == "templates"
    assert templates.partitions_def is not None
    assert templates.partitions_def.get_partition_keys() == template_names(templates_dir())
    assert specs["multitask_examples"].partitions_def.get_partition_keys() == list(TASKS)
    # one step cuts all three splits: they come from the same data by construction
    assert specs["train_complete"].partitions_def is None
    assert specs["train_complete"].metadata["splits"] == ["train", "validation", "test"]


def test_template_examples_has_blocking_per_partition_checks():
    graph = defs.resolve_asset_graph()
    checks = {
        key.name: graph.get_check_spec(key)
        for key in graph.get_check_keys_for_assets({dg.AssetKey("template_examples")})
    }
    assert set(checks) >= {
        "records_match_schema", "ids_unique", "reverified_on_fresh_seed", "rejection_rate",
    }  # fmt: skip
    assert checks["records_match_schema"].blocking
    assert checks["reverified_on_fresh_seed"].blocking
    assert not checks["rejection_rate"].blocking  # a warning, not a stop
    assert {spec.partitions_def for spec in checks.values()} == {template_partitions}
