"""Table schemas declared in a repository's code, read without running it, used by the miner."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from ibert_assets.mining.declared import declared_schemas, refine_schema
from ibert_assets.mining.files import SourceFile
from ibert_assets.mining.mine import mine_code
from ibert_assets.mining.repos import RepoSpec
from ibert_assets.mining.snapshots import snapshot_repo
from ibert_assets_tests.mining_repo import commit_all


def _source(path: str, text: str) -> SourceFile:
    return SourceFile(path=path, suffix=Path(path).suffix, text=text)


def test_each_way_of_declaring_a_table_is_read(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    found = declared_schemas(
        [
            _source(
                "tests/conftest.py",
                f"open({str(marker)!r}, 'w')  # would show that the file ran\n"
                "TABLES = {\n"
                '    "orders": [("id", "int32"), ("amount", "double")],\n'
                '    "users": ibis.schema({"id": "int64", "name": "string"}),\n'
                '    "events": {"at": "timestamp", "kind": "string"},\n'
                "}\n"
                'shops = ibis.table({"shop_id": "int64"}, name="shops")\n'
                'zones = ibis.table(schema=[("zone", "string")], name="zones")\n',
            ),
        ]
    )
    assert not marker.exists()
    assert {name: found.for_query(name, set()) for name in found.declarations} == {
        "orders": {"id": "int32", "amount": "float64"},
        "users": {"id": "int64", "name": "string"},
        "events": {"at": "timestamp", "kind": "string"},
        "shops": {"shop_id": "int64"},
        "zones": {"zone": "string"},
    }


@pytest.mark.parametrize(
    "text",
    [
        'T = {"places": [("area", "geography")]}',  # no generated database holds it
        'T = {"places": [("area", "no_such_type")]}',
        'T = {"places": [("area", "int64"), ("area", "string")]}',  # a column twice
        'T = {"places": [("area", "int64", "extra")]}',
        'T = {"places": [(name, "int64")]}',  # not a literal
        'T = {"places": [("area", "int64")]',  # not Python
        'ibis.table({"area": "int64"})',  # no name
    ],
)
def test_what_is_not_a_literal_table_of_plain_types_is_not_a_declaration(text: str) -> None:
    assert declared_schemas([_source("schemas.py", text)]).declarations == {}


def test_the_declaration_nearest_the_query_then_the_most_frequent_wins() -> None:
    found = declared_schemas(
        [
            _source("a/conftest.py", 'T = {"t": [("x", "int64"), ("y", "string")]}'),
            _source("a/other.py", 'T = {"t": [("x", "int64"), ("y", "string")]}'),
            _source("a/third.py", 'T = {"t": [("x", "float64")]}'),
            _source("b/deep/test_b.py", 'T = {"t": [("x", "date")]}'),
        ]
    )
    # in a/: two of three declarations agree (and the third one lacks y)
    assert found.for_query("t", {"x"}, "a/snapshots/q.sql") == {"x": "int64", "y": "string"}
    assert found.for_query("t", {"x"}, "b/deep/snapshots/q.sql") == {"x": "date"}
    assert found.for_query("t", {"y"}, "b/deep/q.sql") == {"x": "int64", "y": "string"}
    assert found.for_query("t", {"z"}, "a/q.sql") is None  # another table named t
    fixture = declared_schemas([_source("a.py", 'T = {"t": [("date", "int32")]}')])
    assert fixture.for_query("t", {"date"}, "q.sql") is None  # its name says it is a date
    tied = declared_schemas(
        [_source("one.py", 'T = {"t": [("x", "int64")]}'),
         _source("two.py", 'T = {"t": [("x", "string")]}')]
    )  # fmt: skip
    assert tied.for_query("t", {"x"}, "q.sql") is None


def test_refining_replaces_a_guessed_or_unknown_table_and_keeps_the_rest() -> None:
    found = declared_schemas(
        [_source("conftest.py", 'T = {"orders": [("id", "int32"), ("amount", "double")]}')]
    )
    inferred = {"orders": {"unknown_columns": "int64"}, "users": {"name": "string"}}
    assert refine_schema(inferred, found) == (
        {"orders": {"id": "int32", "amount": "float64"}, "users": {"name": "string"}},
        ["orders"],
    )


CONFTEST = """\
TABLES = {
    "payments": [("id", "int32"), ("amount", "double"), ("note", "string")],
    "ledger": [("entry", "string")],
}
"""

QUERIES = {
    # usage says nothing of amount's type: guessed a string before
    "approx.sql": "SELECT APPROX_COUNT_DISTINCT(amount) AS n FROM payments",
    # read whole: one stand-in column before
    "everything.sql": "SELECT * FROM payments WHERE id > 3",
    # a column the declaration lacks: another table called payments
    "other.sql": "SELECT customer FROM payments WHERE customer LIKE 'A%'",
    # the declaration fits the columns but not the query (SUM of a string): the guess is used
    "misfit.sql": "SELECT SUM(entry) AS total FROM ledger",
}


def test_mined_sql_takes_the_tables_the_repository_declares(tmp_path: Path) -> None:
    root = tmp_path / "origin"
    root.mkdir()
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "t").set_value("user", "email", "t@example.com")
    (root / "tests").mkdir()
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    for name, sql in QUERIES.items():
        (root / "tests" / name).write_text(sql + "\n")
    commit_all(repo, "queries")
    snapshot = snapshot_repo(RepoSpec(url=str(root), name="declared"), tmp_path / "cache")

    outcome = mine_code(snapshot)

    schemas = {Path(r.provenance.path).name: r.table_schemas for r in outcome.records}
    payments = {"id": "int32", "amount": "float64", "note": "string"}
    assert schemas["approx.sql"] == {"payments": payments}
    assert schemas["everything.sql"] == {"payments": payments}
    assert schemas["other.sql"] == {"payments": {"customer": "string"}}
    assert schemas["misfit.sql"]["ledger"] != {"entry": "string"}
    assert outcome.counts["tables_from_declarations"] == 2
    assert outcome.counts["declarations_not_fitting"] == 1
