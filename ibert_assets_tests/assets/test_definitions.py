from pathlib import Path

import dagster as dg

from ibert_assets.definitions import defs
from ibert_assets.mining.repos import repo_names
from ibert_assets.partitions import template_names
from ibert_assets.settings import Settings
from ibert_assets.synthetic.worlds import world_keys
from ibert_inference.dataset.record import TASKS

SETTINGS = Settings.from_environment()
TEMPLATES = Path(SETTINGS.templates_dir)


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
    assert templates.partitions_def.get_partition_keys() == template_names(TEMPLATES)
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
    partitions = asset_graph()["template_examples"].partitions_def
    assert {spec.partitions_def for spec in checks.values()} == {partitions}


# asset -> (group, partitioned by, upstream assets, kinds); None: not partitioned
ASSETS = {
    "template_examples": ("templates", "templates", set(), {"ibis", "duckdb"}),
    "augmented_examples": ("templates", "templates", {"template_examples"}, {"ibis", "duckdb"}),
    "repo_snapshots": ("mining", "repos", set(), {"git"}),
    "mined_examples": ("mining", "repos", {"repo_snapshots"}, {"python", "duckdb"}),
    "docs_examples": ("mining", "repos", {"repo_snapshots"}, {"python"}),
    "synthetic_examples": ("synthetic", "worlds", set(), {"ibis", "duckdb"}),
    "multitask_examples": (
        "multitask", "tasks",
        {"template_examples", "augmented_examples", "mined_examples", "docs_examples",
         "synthetic_examples"},
        {"python"},
    ),
    "train_complete": ("splits", None, {"multitask_examples"}, {"python", "parquet"}),
    "fine_tuned_model": ("training", None, {"train_complete"}, {"huggingface", "pytorch"}),
    "model_evaluation": (
        "evaluation", "tasks", {"train_complete", "fine_tuned_model"}, {"python", "pytorch"},
    ),
}  # fmt: skip
BLOCKING = {"records_match_schema", "ids_unique", "reverified_on_fresh_seed", "minimum_examples",
            "reverified_sample", "no_leakage"}  # fmt: skip
WARNING = {"rejection_rate", "one_target_per_input", "schemas_match_roles", "coherent_records"}
# asset -> its checks
CHECKS = {
    "template_examples": {"records_match_schema", "ids_unique", "reverified_on_fresh_seed",
                          "rejection_rate", "one_target_per_input", "schemas_match_roles",
                          "coherent_records"},
    "augmented_examples": {"records_match_schema", "ids_unique", "reverified_on_fresh_seed",
                           "rejection_rate", "one_target_per_input", "schemas_match_roles",
                           "coherent_records"},
    "mined_examples": {"records_match_schema", "ids_unique", "reverified_on_fresh_seed",
                       "rejection_rate"},
    "docs_examples": {"records_match_schema", "ids_unique", "rejection_rate"},
    "synthetic_examples": {"records_match_schema", "ids_unique", "reverified_on_fresh_seed",
                           "rejection_rate", "one_target_per_input", "schemas_match_roles"},
    "multitask_examples": {"records_match_schema", "ids_unique", "minimum_examples",
                           "reverified_sample", "one_target_per_input", "schemas_match_roles"},
    "train_complete": {"records_match_schema", "ids_unique", "no_leakage",
                       "one_target_per_input", "schemas_match_roles"},
}  # fmt: skip


def test_the_asset_graph_has_exactly_the_assets_and_checks_of_the_pipeline():
    partitions = {
        "templates": template_names(TEMPLATES),
        "repos": repo_names(SETTINGS.repos_file),
        "tasks": list(TASKS),
        "worlds": world_keys(SETTINGS.synthetic_worlds),
        None: None,
    }
    specs = asset_graph()
    assert set(specs) == set(ASSETS)
    for name, (group, partitioned_by, upstream, kinds) in ASSETS.items():
        spec = specs[name]
        keys = spec.partitions_def.get_partition_keys() if spec.partitions_def else None
        described = (spec.group_name, keys, {d.asset_key.to_user_string() for d in spec.deps})
        assert described == (group, partitions[partitioned_by], upstream), name
        assert spec.kinds == kinds and spec.owners == ["team:ibert-data"], name
    graph = defs.resolve_asset_graph()
    found: dict[str, set[str]] = {}
    for key in graph.asset_check_keys:
        found.setdefault(key.asset_key.to_user_string(), set()).add(key.name)
        check = graph.get_check_spec(key)
        assert key.name in BLOCKING | WARNING and check.blocking == (key.name in BLOCKING), key
        assert check.partitions_def == specs[key.asset_key.to_user_string()].partitions_def, key
    assert found == CHECKS


def test_building_the_definitions_warns_of_nothing():
    """`dagster dev` loads them at every start: a notice there is noise at every start."""
    import warnings

    from ibert_assets.assembly import build_definitions

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = build_definitions(SETTINGS)
        built.resolve_job_def("remine_repositories")
        built.resolve_job_def("evaluate_models")
    assert built.resolve_job_def("remine_repositories").partitions_def is not None
