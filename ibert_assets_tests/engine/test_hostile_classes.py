"""The third round of the hostile corpus through the Python API: each class ends fast, with a
reason, writing nothing (no ``$HOME/.duckdb``), starting nothing, and leaving the API working."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ibert_assets_tests.engine.hostile_payloads import Payload, by_kind
from ibert_inference.compiler import ibis_to_sql
from ibert_inference.errors import IbertError
from ibert_inference.sandbox import close_shared_pool, shared_pool
from ibert_inference.translate import sql_to_ibis
from ibert_inference.verify.pair import verify_pair, verify_runs

SCHEMA = {"t": {"a": "int64", "b": "string"}}
DONE_WITHIN_S = 20.0
CODE_CLASSES = ["protocol", "rebind", "runaway", "output"]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh $HOME for this process and its workers: DuckDB would install extensions there."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    close_shared_pool()
    yield home
    close_shared_pool()


def descendants(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = {int(c) for c in children.read_text().split()} if children.exists() else set()
    return found | {g for c in set(found) for g in descendants(c)}


def assert_contained(home: Path, marker: Path, started: float, workers_before: set[int]) -> None:
    assert time.monotonic() - started < DONE_WITHIN_S
    assert not marker.exists()
    assert list(home.iterdir()) == [], "something was written in $HOME (.duckdb extensions?)"
    for pid in shared_pool().worker_pids():
        assert descendants(pid) == set(), "a worker started a process"
    assert "SELECT" in ibis_to_sql("t.select('a')", SCHEMA)  # ordinary calls still work


@pytest.mark.parametrize(
    "payload", [p for kind in CODE_CLASSES for p in by_kind(kind)], ids=lambda p: p.name
)
def test_hostile_code_ends_with_a_reason(payload: Payload, home: Path, tmp_path: Path):
    marker = tmp_path / "pwned"
    code = payload.render(str(marker))
    started = time.monotonic()
    verdict = verify_runs(code, SCHEMA)  # evaluate, compile and run: the whole way
    assert not verdict.ok and verdict.status in {"unsafe", "timeout", "ibis_error"}, verdict
    assert verdict.reason and "\n" not in verdict.reason
    if payload.kind == "runaway" and payload.name in {"self_cross_join_8", "levenshtein_100k"}:
        assert verdict.status == "timeout" and "query ran longer than" in verdict.reason
    else:
        with pytest.raises(IbertError) as refused:
            ibis_to_sql(code, SCHEMA)
        assert "\n" not in str(refused.value)
    assert_contained(home, marker, started, set())


@pytest.mark.parametrize(
    "payload", by_kind("sql_runaway") + by_kind("sql")[:3], ids=lambda p: p.name
)
def test_hostile_sql_ends_with_a_reason(payload: Payload, home: Path, tmp_path: Path):
    marker = tmp_path / "pwned"
    sql = payload.render(str(marker))
    started = time.monotonic()
    verdict = verify_pair(sql, "t.select('a')", SCHEMA)
    assert not verdict.ok and verdict.status in {"sql_error", "timeout", "unsafe"}, verdict
    assert verdict.reason and "\n" not in verdict.reason
    try:
        sql_to_ibis(sql, SCHEMA)  # translation runs nothing; a too-large input is refused
    except IbertError as exc:
        assert "\n" not in str(exc)
    assert_contained(home, marker, started, set())


def test_the_geometry_escape_fetches_no_extension(home: Path):
    """The issue's route: DuckDB auto-installing `spatial` from inside `ibis.memtable(expr)`."""
    code = next(p for p in by_kind("protocol") if p.name == "memtable_of_geometry").code
    with pytest.raises(IbertError, match="plain data only"):
        ibis_to_sql(code, SCHEMA)
    assert not (home / ".duckdb").exists()
