"""Every DuckDB connection for untrusted work is locked, and a statement ends at its time limit."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pytest

from ibert_inference.sandbox.locked_duckdb import (
    QueryTimeout,
    locked_connection,
    statement_time_limit,
)
from ibert_inference.verify.pair import verify_pair, verify_runs

SCHEMA = {"t": {"a": "int64", "b": "string"}}
CROSS_JOIN = "SELECT count(*) FROM range(100000) a, range(100000) b, range(100000) c"


@pytest.mark.parametrize(
    "setting",
    [
        "autoinstall_known_extensions = true",
        "autoload_known_extensions = true",
        "allow_community_extensions = true",
        "enable_external_access = true",
        "memory_limit = '100GB'",
        "threads = 8",
    ],
)
def test_sql_cannot_unlock_a_connection(setting: str):
    with pytest.raises(duckdb.Error, match="locked"):
        locked_connection().execute(f"SET {setting}")


def test_no_file_or_extension_is_reached(tmp_path: Path):
    con = locked_connection()
    with pytest.raises(duckdb.Error):
        con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    with pytest.raises(duckdb.Error):
        con.execute("INSTALL spatial")
    assert list(tmp_path.iterdir()) == []
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ("
            "'autoinstall_known_extensions', 'autoload_known_extensions', 'threads')"
        ).fetchall()
    )
    assert settings == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "threads": "1",
    }


def test_a_slow_statement_is_interrupted_with_a_reason():
    cursor = locked_connection().cursor()
    started = time.monotonic()
    with (
        pytest.raises(QueryTimeout, match=r"query ran longer than 0.5 s"),
        statement_time_limit(cursor, 0.5),
    ):
        cursor.execute(CROSS_JOIN).fetchall()
    assert time.monotonic() - started < 3
    with statement_time_limit(cursor, 0.5):  # the connection still works
        assert cursor.execute("SELECT 1").fetchall() == [(1,)]


def test_a_cross_join_through_verify_pair_ends_with_a_timeout_verdict(configure_sandbox):
    configure_sandbox(statement_timeout_s=1)
    sql = "SELECT count(*) AS n FROM t a, t b, t c, t d, t e, t f, t g, t h"
    started = time.monotonic()
    verdict = verify_pair(sql, "t.select('a')", SCHEMA)
    assert verdict.status == "timeout" and "query ran longer than 1 s" in (verdict.reason or "")
    assert time.monotonic() - started < 10
    code = "x = t.cross_join(t.view())\n" + "x = x.cross_join(t.view())\n" * 6
    verdict = verify_runs(code + "x.select(n=x.a.count())", SCHEMA)
    assert verdict.status == "timeout" and "query ran longer than 1 s" in (verdict.reason or "")
    assert time.monotonic() - started < 20


def test_no_package_module_opens_duckdb_but_the_locked_way():
    """A new ``duckdb.connect`` in the packages would open an unlocked connection."""
    import ast

    import ibert_assets
    import ibert_inference

    allowed = {"locked_duckdb.py", "limits.py"}  # the one function, and the worker's own patch
    found = []
    for package in (ibert_inference, ibert_assets):
        for path in Path(package.__file__).parent.rglob("*.py"):
            if path.name in allowed and path.parent.name == "sandbox":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "connect"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "duckdb"
                ):
                    found.append(f"{path}:{node.lineno}")
    assert found == [], "open DuckDB connections with sandbox.locked_duckdb.locked_connection"
