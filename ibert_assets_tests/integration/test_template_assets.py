import json

import pytest

from ibert_assets.store import read_partition, read_rejects
from ibert_assets_tests.dagster_cli import Workspace
from ibert_assets_tests.sample_templates import ORDERS_TEMPLATE as GOOD

# the Ibis side keeps rows the SQL drops: every example is rejected
ALL_WRONG = GOOD.replace("_.amount > {value}", "_.amount >= 0").replace(
    "agg(n=_.count())", "agg(n=_.amount.count())"
)
BROKEN = """\
description: A broken template.
tables:
  orders: {id: int64, amount: money}
families:
  - id: x
    description: d
    sql: SELECT id FROM orders
    ibis: result = orders.select('id')
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("template-assets")
    templates = root / "templates"
    templates.mkdir()
    (templates / "good.yaml").write_text(GOOD)
    (templates / "all_wrong.yaml").write_text(ALL_WRONG)
    (templates / "broken.yaml").write_text(BROKEN)
    return Workspace(root, {"IBERT_TEMPLATES_DIR": str(templates)})


def test_a_good_template_materializes_verified_records_with_checks(workspace: Workspace):
    result = workspace.materialize("template_examples", "good")
    assert result.returncode == 0, result.stderr[-3000:]
    records = read_partition(str(workspace.data), "template_examples", "good")
    assert len(records) == 4
    assert {r.verification.status for r in records} == {"verified"}
    assert {r.meta.family for r in records} == {"above", "per_status"}
    assert read_rejects(str(workspace.data), "template_examples", "good") == []
    for check in ("records_match_schema", "ids_unique", "reverified_on_fresh_seed"):
        assert check in result.stderr


def test_augmented_variants_verify_and_are_stored(workspace: Workspace):
    result = workspace.materialize("augmented_examples", "good")
    assert result.returncode == 0, result.stderr[-3000:]
    variants = read_partition(str(workspace.data), "augmented_examples", "good")
    assert len(variants) >= 3 * 4
    assert {v.meta.source for v in variants} == {"augmented"}
    originals = {r.id for r in read_partition(str(workspace.data), "template_examples", "good")}
    assert {v.meta.extra("derived_from") for v in variants} <= originals


def test_a_broken_template_fails_only_its_partition_naming_file_line_field(workspace: Workspace):
    result = workspace.materialize("template_examples", "broken")
    assert result.returncode != 0
    assert "broken.yaml:3: tables.orders.amount: unknown dtype 'money'" in result.stderr
    assert not (workspace.data / "template_examples" / "broken.jsonl").exists()
    again = workspace.materialize("template_examples", "good")
    assert again.returncode == 0


def test_a_template_whose_examples_all_fail_fails_its_blocking_check(workspace: Workspace):
    result = workspace.materialize("template_examples", "all_wrong")
    assert result.returncode != 0
    assert "reverified_on_fresh_seed" in result.stderr
    rejects = read_rejects(str(workspace.data), "template_examples", "all_wrong")
    assert len(rejects) == 4 and {r["status"] for r in rejects} == {"mismatch"}


def test_a_failed_run_keeps_what_was_stored(workspace: Workspace):
    path = workspace.data / "template_examples" / "good.jsonl"
    assert workspace.materialize("template_examples", "good").returncode == 0
    before = path.read_text()
    (workspace.root / "templates" / "good.yaml").write_text(GOOD.replace("tables:", "tables: ["))
    try:
        assert workspace.materialize("template_examples", "good").returncode != 0
    finally:
        (workspace.root / "templates" / "good.yaml").write_text(GOOD)
    assert path.read_text() == before
    assert all(json.loads(line)["id"] for line in before.splitlines())
