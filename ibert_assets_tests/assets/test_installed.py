"""The installed Ibis package as a mining source: no network, provenance by version."""

from pathlib import Path

import dagster as dg
import ibis
import pytest

from ibert_assets.mining.installed import PackageNotInstalledError, installed_files
from ibert_assets.mining.mine import mine_code, mine_docs
from ibert_assets.mining.repos import RepoSpec, load_repo_specs
from ibert_assets.mining.snapshots import Snapshot, snapshot_source
from ibert_assets.store import partition_path, read_jsonl, read_partition

SQL_DIR = "ibis/backends/tests/snapshots/test_sql/test_isin_bug"
PY_FILE = "ibis/expr/types/strings.py"
RELEASE = f"ibis-framework=={ibis.__version__}"


def installed(*dirs: str) -> Snapshot:
    return snapshot_source(RepoSpec("installed:ibis", "ibis-installed", dirs))


def test_the_project_mines_the_installed_ibis_first():
    project_repos = Path(__file__).resolve().parents[2] / "repos.txt"
    first = load_repo_specs(project_repos)[0]
    assert (first.url, first.name) == ("installed:ibis", "ibis-installed")


def test_a_snapshot_of_the_installed_package_names_its_release():
    snapshot = installed(SQL_DIR, PY_FILE)
    assert snapshot.kind == "installed" and snapshot.commit == RELEASE
    assert snapshot.license == "Apache-2.0"
    assert snapshot.url == f"https://pypi.org/project/ibis-framework/{ibis.__version__}/"
    assert (Path(snapshot.path) / PY_FILE).is_file()
    assert snapshot.file_counts[".py"] == 1 and snapshot.file_counts[".sql"] >= 4
    assert Snapshot.from_json(snapshot.to_json()) == snapshot


def test_the_distribution_name_works_as_well_as_the_import_name():
    by_dist = snapshot_source(RepoSpec("installed:ibis-framework", "x", (PY_FILE,)))
    assert by_dist.commit == RELEASE


def test_only_installed_source_files_are_listed():
    import importlib.metadata

    paths = installed_files(importlib.metadata.distribution("ibis-framework"))
    assert PY_FILE in paths
    assert not any(p.endswith(".pyc") or p.startswith("..") for p in paths)


def test_a_package_that_is_not_installed_is_a_clear_error():
    with pytest.raises(PackageNotInstalledError, match=r"no_such_pkg_xyz.*install it"):
        snapshot_source(RepoSpec("installed:no_such_pkg_xyz", "ghost"))


def test_mined_records_carry_package_and_version_for_provenance():
    snapshot = installed(SQL_DIR)
    outcome = mine_code(snapshot)
    assert outcome.records, outcome.rejects
    for record in outcome.records:
        provenance = record.provenance
        assert provenance.commit == RELEASE
        assert (provenance.package, provenance.version) == ("ibis-framework", ibis.__version__)
        assert provenance.path.startswith(SQL_DIR)
        assert record.verification.status == "verified"


def test_remining_the_same_release_reads_nothing_again():
    snapshot = installed(SQL_DIR)
    first = mine_code(snapshot)
    again = mine_code(snapshot, first.records, previous_rejects=first.rejects)
    assert again.counts["files_read"] == 0
    assert again.records == first.records


def test_another_release_rereads_every_file():
    snapshot = installed(SQL_DIR)
    first = mine_code(snapshot)
    older = [
        r.replace(provenance=r.provenance.model_copy(update={"commit": "ibis-framework==0.0.1"}))
        for r in first.records
    ]
    again = mine_code(snapshot, older)
    assert again.counts["files_read"] == snapshot.file_counts[".sql"]


def test_docstrings_of_the_installed_package_become_documentation_examples():
    outcome = mine_docs(installed(PY_FILE))
    assert outcome.counts["function_docstring"] >= 10
    assert {r.task for r in outcome.records} == {"documentation"}


def test_the_three_mining_assets_materialize_for_the_installed_package(tmp_path):
    from ibert_assets.assembly import build_definitions
    from ibert_assets.settings import Settings

    repos = tmp_path / "repos.txt"
    repos.write_text(f"installed:ibis|ibis-installed|{SQL_DIR},{PY_FILE}\n")
    base = str(tmp_path / "data")
    defs = build_definitions(Settings(data_dir=base, repos_file=str(repos)))
    result = dg.materialize(
        [*(defs.assets or ())],  # type: ignore[list-item]
        selection=dg.AssetSelection.assets("repo_snapshots", "mined_examples", "docs_examples"),
        partition_key="ibis-installed",
        resources=defs.resources,
    )
    assert result.success
    (snapshot,) = read_jsonl(partition_path(base, "repo_snapshots", "ibis-installed"))
    assert snapshot["commit"] == RELEASE and snapshot["kind"] == "installed"
    mined = read_partition(base, "mined_examples", "ibis-installed")
    docs = read_partition(base, "docs_examples", "ibis-installed")
    assert mined and docs
    assert all(r.provenance.version == ibis.__version__ for r in [*mined, *docs])
    (materialization,) = result.asset_materializations_for_node("mined_examples")
    assert materialization.metadata["records_all_partitions"].value == len(mined)
