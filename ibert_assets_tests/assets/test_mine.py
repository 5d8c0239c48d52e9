import json
import logging
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from ibert_assets.mining.mine import mine_code, mine_docs
from ibert_assets.mining.repos import RepoSpec
from ibert_assets.mining.snapshots import snapshot_repo
from ibert_assets_tests.mining_repo import commit_all, make_mining_repo
from ibert_inference.dataset.record import record_json_schema


@pytest.fixture(scope="module")
def mined(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("mining")
    marker = root / "code-ran"
    origin = make_mining_repo(root / "origin", marker=marker)
    snapshot = snapshot_repo(RepoSpec(url=origin.working_dir, name="demo"), root / "cache")
    return {
        "root": root,
        "origin": origin,
        "marker": marker,
        "snapshot": snapshot,
        "code": mine_code(snapshot),
        "docs": mine_docs(snapshot),
    }


def test_sql_and_ibis_from_python_notebooks_quarto_and_sql_files_are_verified(mined):
    records = mined["code"].records
    origins = Counter(r.provenance.origin for r in records)
    assert origins["py_string"] >= 1 and origins["py_call"] >= 1
    assert origins["notebook_sql_cell"] == 1 and origins["sql_file"] == 1
    assert origins["markdown_sql_block"] == 1
    assert {"py_function", "markdown_python_block", "notebook_py_module"} <= set(origins)
    for record in records:
        assert record.verification.status == "verified"
        jsonschema.validate(json.loads(record.to_json()), record_json_schema())


def test_every_record_carries_provenance(mined):
    snapshot = mined["snapshot"]
    for record in mined["code"].records + mined["docs"].records:
        provenance = record.provenance
        assert provenance.commit == snapshot.commit and provenance.license == "MIT"
        assert provenance.line_start <= provenance.line_end
        assert (Path(mined["origin"].working_dir) / provenance.path).exists()


def test_unsafe_and_broken_files_are_skipped_and_counted_never_run(mined):
    code = mined["code"]
    assert code.skipped["symlink_outside_repo"] == 1
    assert code.skipped["binary"] == 1 and code.skipped["too_large"] == 1
    assert code.skipped["malformed_notebook"] == 1 and code.skipped["python_syntax_error"] == 1
    assert not mined["marker"].exists()
    hostile = [r for r in code.records if r.provenance.path == "hostile.py"]
    assert [r.input.sql for r in hostile] == ["SELECT\n  id\nFROM accounts\nWHERE\n  balance < 0"]


def test_ibis_code_must_compile_to_sql_that_runs_and_names_its_tables(mined):
    reasons = {r["status"]: r["reason"] for r in mined["code"].rejects}
    assert "unbound_table_" in reasons["unnamed_table"]
    assert not any("unbound_table" in getattr(r.target, "sql", "") for r in mined["code"].records)
    compiled = [r for r in mined["code"].records if r.task == "ibis_to_sql"]
    assert compiled and all(r.verification.databases >= 5 for r in compiled)


def test_duplicates_within_the_repository_are_dropped(mined):
    keys = Counter(
        getattr(r.input, "sql", None) or getattr(r.input, "ibis", None)
        for r in mined["code"].records
    )
    assert max(keys.values()) == 1
    assert mined["code"].counts["duplicates"] >= 1  # queries_copy.sql repeats queries.sql


def test_docs_give_qa_code_examples_and_function_docstrings(mined):
    kinds = Counter(r.meta.extra("kind") for r in mined["docs"].records)
    assert kinds["section_qa"] == 1 and kinds["function_docstring"] == 1
    assert kinds["code_example"] >= 1
    # the SQL-only section and code examples teach no Ibis: rejects with their reason
    rejected = Counter((r["kind"], r["status"]) for r in mined["docs"].rejects)
    assert rejected[("section_qa", "no_ibis_code")] == 1
    assert rejected[("code_example", "no_ibis_code")] >= 1


def test_remining_an_unmoved_head_extracts_nothing(mined):
    code = mined["code"]
    again = mine_code(mined["snapshot"], previous=code.records, previous_rejects=code.rejects)
    assert again.counts["files_read"] == 0
    assert len(again.records) == len(code.records)
    assert again.rejects == code.rejects  # the reasons stay readable, not dropped by a re-run


def test_a_moved_head_rereads_only_changed_files(mined):
    origin = mined["origin"]
    (Path(origin.working_dir) / "new_report.sql").write_text(
        "SELECT region, MAX(price) AS top FROM sales WHERE price < 80 GROUP BY region"
    )
    commit_all(origin, "a new report")
    spec = RepoSpec(url=origin.working_dir, name="demo")
    moved = snapshot_repo(spec, mined["root"] / "cache")
    code = mined["code"]
    again = mine_code(moved, previous=code.records, previous_rejects=code.rejects)
    assert again.counts["files_read"] == 1
    assert len(again.rejects) == len(code.rejects)  # new_report.sql verifies; nothing else read
    assert {r["provenance"]["commit"] for r in again.rejects} == {moved.commit}
    assert again.counts["kept_unchanged"] == len(mined["code"].records)
    assert any(r.provenance.path == "new_report.sql" for r in again.records)
    # every record kept from before now names the commit it was read at
    assert {r.provenance.commit for r in again.records} == {moved.commit}


def test_foreign_code_does_not_flood_the_log_with_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    import warnings

    import git

    root = tmp_path / "noisy"
    root.mkdir()
    repo = git.Repo.init(root, initial_branch="main")
    (root / "stage.sql").write_text("CREATE TEMP STAGE load_csv_stage")  # sqlglot warns
    (root / "old.py").write_text(  # Table.__getitem__ with an expression is deprecated
        "import ibis\nt = ibis.table({'a': 'int64'}, name='t')\nresult = t[t.a > 1]\n"
    )
    repo.git.add(A=True)
    repo.index.commit("noise", author=git.Actor("t", "t@t.invalid"))
    snapshot = snapshot_repo(RepoSpec(url=str(root), name="noisy"), tmp_path / "cache")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = mine_code(snapshot)
    assert outcome.counts["snippets_sql"] == 1 and outcome.rejects
    assert not [r for r in caplog.records if r.name.startswith("sqlglot")]
    assert not caught
    assert logging.getLogger("sqlglot").level == logging.NOTSET  # restored afterwards


def test_wrong_pairs_of_issue_17_are_rejects_with_their_reasons(tmp_path: Path):
    import git

    root = tmp_path / "wrong"
    root.mkdir()
    repo = git.Repo.init(root, initial_branch="main")
    # verified before: the sample keeps every row of a small database, and a translation
    # without the sample returned the same rows
    (root / "sample.sql").write_text(
        "SELECT id, amount FROM orders TABLESAMPLE RESERVOIR (50 ROWS) WHERE amount > 10"
    )
    # verified before: customer_id was placed in customers, where SQL then finds it
    (root / "correlated.sql").write_text(
        "SELECT o.id FROM orders o WHERE EXISTS "
        "(SELECT 1 FROM customers c WHERE c.id = customer_id)"
    )
    repo.git.add(A=True)
    repo.index.commit("wrong pairs", author=git.Actor("t", "t@t.invalid"))
    snapshot = snapshot_repo(RepoSpec(url=str(root), name="wrong"), tmp_path / "cache")
    outcome = mine_code(snapshot)
    assert outcome.records == []
    reasons = {r["provenance"]["path"]: (r["status"], r["reason"]) for r in outcome.rejects}
    status, reason = reasons["sample.sql"]
    assert status == "nondeterministic" and "TABLESAMPLE" in reason
    status, reason = reasons["correlated.sql"]
    assert status == "schema_inference"
    assert "'customer_id' is unqualified in a subquery" in reason and "'orders'" in reason


def test_mined_sql_says_who_wrote_it_and_weighs_ibis_output_less(mined):
    sql_records = [r for r in mined["code"].records if r.task == "sql_to_ibis"]
    assert sql_records
    for record in sql_records:
        assert record.meta.extra("sql_author") == "person"  # the demo repository's SQL is by hand
        assert record.meta.extra("sample_weight") == 1.0
