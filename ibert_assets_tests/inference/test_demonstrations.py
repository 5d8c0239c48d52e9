"""Few-shot demonstrations: nearest verified examples by SQL/Ibis structure."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ibert_assets_tests.scripted_model import ScriptedModel
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.dataset.record import Record
from ibert_inference.errors import DataStoreError
from ibert_inference.model.demonstrations import (
    ExampleIndex,
    ibis_features,
    nearest_demonstrations,
    sql_features,
)
from ibert_inference.model.language_model import Model

SCHEMA = {"tables": {"orders": {"schema": {"amount": "float64", "status": "string"}}}}


def record_id(key: str) -> str:
    """A record id (16 hex digits) that stands for ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def example(task: str, key: str, text: str, target: dict[str, Any] | None = None) -> Record:
    field = {"sql_to_ibis": "sql", "code_completion": "prefix"}.get(task, "code")
    given = {field: text, **({"error": "NameError: x"} if task == "error_resolution" else {})}
    wanted = {
        "sql_to_ibis": {"ibis": "result = orders"},
        "code_completion": {"completion": ".limit(1)"},
        "error_resolution": {"code": "result = orders"},
    }[task]
    return Record.from_dict(
        {
            "id": record_id(key),
            "task": task,
            "context": SCHEMA,
            "input": given,
            "target": target or wanted,
            "meta": {"source": "template"},
        }
    )


def test_sql_shape_beats_shared_words():
    grouped = example(
        "sql_to_ibis", "grouped", "SELECT region, COUNT(*) AS n FROM shops GROUP BY region"
    )
    # same table and columns as the query, but a different shape
    same_words = example("sql_to_ibis", "words", "SELECT status, amount FROM orders")
    index = ExampleIndex("sql_to_ibis", [same_words, grouped])
    query = "SELECT status, COUNT(*) AS c FROM orders GROUP BY status"
    assert [r.id for r in index.nearest(query, k=2)] == [
        record_id("grouped"),
        record_id("words"),
    ]


def test_literals_and_names_do_not_change_the_shape():
    one = sql_features("SELECT a FROM t WHERE a > 1")
    other = sql_features("SELECT b FROM u WHERE b > 99")
    structural = {f for f in one if not f.startswith("name:")}
    assert structural == {f for f in other if not f.startswith("name:")}


def test_ibis_method_chains_are_features_even_in_a_prefix_that_does_not_parse():
    prefix = "result = orders.filter(_.amount > 1).group_by('status').agg("
    features = ibis_features(prefix)
    assert features["chain:filter>group_by"] == 1 and features["chain:group_by>agg"] == 1


def test_a_record_is_never_its_own_demonstration_and_other_tasks_are_ignored():
    code = "result = orders.filter(_.amount > 1)"
    itself = example("code_completion", "self", code)
    near = example("code_completion", "near", "result = orders.filter(_.amount > 5)")
    other_task = example("error_resolution", "fix", code)
    index = ExampleIndex("code_completion", [itself, near, other_task])
    assert [r.id for r in index.nearest(code, k=3)] == [record_id("near")]


def sql_examples(path: Path) -> Path:
    records = [
        example("sql_to_ibis", f"r{i}", f"SELECT status FROM orders WHERE amount > {i}")
        for i in range(5)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(r.to_json() + "\n" for r in records))
    return path


QUERY = {"sql": "SELECT status FROM orders WHERE amount > 100"}


def test_demonstrations_follow_the_model_settings(tmp_path: Path):
    path = sql_examples(tmp_path / "train.jsonl")
    store = StoreLayout(str(tmp_path / "empty"))
    assert Model(store=store, few_shot=0, examples_path=str(path)).demonstrations(
        "sql_to_ibis", QUERY
    ) == []  # fmt: skip
    shown = Model(store=store, few_shot=2, examples_path=str(path)).demonstrations(
        "sql_to_ibis", QUERY
    )
    assert len(shown) == 2 and all("```python" in reply for _, reply in shown)
    missing = Model(store=store, few_shot=2, examples_path=str(tmp_path / "missing.jsonl"))
    assert missing.demonstrations("sql_to_ibis", QUERY) == []


def test_by_default_they_come_from_the_train_split_of_the_model_s_store(tmp_path: Path):
    store = StoreLayout(str(tmp_path / "data"))
    sql_examples(tmp_path / "data" / "train_complete" / "train.jsonl")
    model = Model(store=store, cache=tmp_path / "cache", few_shot=3)
    assert model.examples_file() == tmp_path / "data" / "train_complete" / "train.jsonl"
    assert len(model.demonstrations("sql_to_ibis", QUERY)) == 3
    elsewhere = Model(store=StoreLayout(str(tmp_path / "other")), few_shot=3)
    assert elsewhere.demonstrations("sql_to_ibis", QUERY) == []  # nothing stored there
    assert Model(store=StoreLayout("s3://bucket/ibert")).examples_file() is None


def test_nearest_demonstrations_of_a_file(tmp_path: Path):
    path = sql_examples(tmp_path / "train.jsonl")
    shown = nearest_demonstrations("sql_to_ibis", QUERY, k=1, examples=path)
    assert len(shown) == 1 and "amount >" in shown[0][0]
    assert nearest_demonstrations("sql_to_ibis", QUERY, k=0, examples=path) == []


def test_the_completion_task_shows_the_demonstrations(tmp_path: Path):
    from ibert_inference.tasks.code_completion import complete_code

    path = tmp_path / "train.jsonl"
    shown = example("code_completion", "a", "result = orders.filter(_.amount > 3)")
    path.write_text(shown.to_json() + "\n")
    demonstrations = nearest_demonstrations(
        "code_completion", {"prefix": "result = orders"}, k=3, examples=path
    )
    model = ScriptedModel(["```python\n.limit(1)\n```"], shown=demonstrations)
    complete_code("result = orders.filter(_.amount > 7)", model=model, candidates=1)
    roles = [turn["role"] for turn in model.calls[0][0]]
    assert roles == ["system", "user", "assistant", "user"]
    assert model.asked == [("code_completion", {"prefix": "result = orders.filter(_.amount > 7)"})]


def test_the_features_are_computed_once_per_version_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from ibert_inference.model import demonstrations

    cache = tmp_path / "cache"
    path = tmp_path / "train.jsonl"
    records = [example("sql_to_ibis", f"r{i}", f"SELECT a FROM t WHERE a > {i}") for i in range(3)]
    path.write_text("".join(r.to_json() + "\n" for r in records))
    first = demonstrations.example_index("sql_to_ibis", path, cache)
    assert first is not None and len(list((tmp_path / "cache").rglob("*.json"))) == 1

    def no_parsing(*args: Any) -> None:
        raise AssertionError("features were computed again")

    monkeypatch.setattr(demonstrations, "query_features", no_parsing)
    demonstrations._INDEXES.clear()  # a new process: only the disk cache is left
    with pytest.raises(AssertionError):  # a query is parsed, never the stored records
        demonstrations.example_index("sql_to_ibis", path, cache).nearest("SELECT 1")  # type: ignore[union-attr]
    assert demonstrations.example_index("sql_to_ibis", path, cache).records == records  # type: ignore[union-attr]
    path.write_text(records[0].to_json() + "\n")  # a new version of the split
    demonstrations._INDEXES.clear()
    with pytest.raises(AssertionError, match="computed again"):
        demonstrations.example_index("sql_to_ibis", path, cache)


def test_a_stored_line_that_is_not_a_record_is_named(tmp_path: Path):
    path = tmp_path / "train.jsonl"
    good = example("sql_to_ibis", "r1", "SELECT a FROM t WHERE a > 1")
    broken = {**good.to_dict(), "target": {"completion": ".limit(1)"}}  # a pair's target is code
    path.write_text(good.to_json() + "\n" + json.dumps(broken) + "\n")
    with pytest.raises(DataStoreError, match=r"train\.jsonl:2: target\.ibis: Field required"):
        nearest_demonstrations("sql_to_ibis", QUERY, k=1, examples=path)


def completion_with(key: str, instruction: str) -> Record:
    record = example("code_completion", key, "result = orders")
    return record.model_copy(
        update={"input": record.input.model_copy(update={"instruction": instruction})}
    )


def test_instructions_are_compared_by_what_they_ask_not_by_the_schema_they_name():
    total = completion_with("total", "total per customer, largest first")
    amounts = completion_with("amounts", "orders with amount and status")  # the schema's words
    index = ExampleIndex("code_completion", [amounts, total])
    schema = {"rentals": {"customer": "string", "km": "int64"}}
    found = index.nearest_instructions("total km per customer, largest first", schema, k=2)
    assert [r.id for r in found] == [total.id]  # 'orders', 'amount', 'status' name nothing asked
    assert index.nearest_instructions("km customer rentals", schema, k=2) == []
