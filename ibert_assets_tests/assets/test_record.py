import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from ibert_inference.dataset.record import (
    IbisToSqlInput,
    QaInput,
    Record,
    RecordError,
    SqlToIbisInput,
    SqlToIbisTarget,
    make_id,
    record_json_schema,
)


def pair_record(**overrides) -> dict:
    base = {
        "id": make_id(
            "sql_to_ibis", {"sql": "SELECT a FROM t"}, {"ibis": "result = t.select('a')"}
        ),
        "task": "sql_to_ibis",
        "context": {"tables": {"t": {"schema": {"a": "int64"}}}},
        "input": {"sql": "SELECT a FROM t", "dialect": "duckdb"},
        "target": {"ibis": "result = t.select('a')"},
        "meta": {"source": "template", "template": "basics", "features": ["projection"]},
        "verification": {"method": "differential_execution", "status": "verified", "databases": 5},
    }
    return {**base, **overrides}


def test_ids_are_content_hashes_independent_of_key_order():
    assert make_id("qa", {"a": 1, "b": 2}, {"x": 1}) == make_id("qa", {"b": 2, "a": 1}, {"x": 1})
    assert make_id("qa", {"a": 1}, {"x": 1}) != make_id("documentation", {"a": 1}, {"x": 1})


def test_stored_json_validates_against_the_exported_schema():
    stored = json.loads(Record.model_validate(pair_record()).to_json())
    assert stored["context"]["tables"]["t"]["schema"] == {"a": "int64"}
    jsonschema.validate(stored, record_json_schema())


@pytest.mark.parametrize(
    "broken",
    [{"task": "translate"}, {"id": "not-a-hash"}, {"meta": {"source": "elsewhere"}}, {"extra": 1}],
)
def test_malformed_records_fail_both_pydantic_and_json_schema(broken: dict):
    data = pair_record(**broken)
    with pytest.raises(ValidationError):
        Record.model_validate(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, record_json_schema())


# One stored line from each builder, written by the builders of before records were typed
# (plain dicts through json.dumps): template, augmented, mined SQL and Ibis, docs, each task of
# multitask, and a train_complete split.
STORED = Path(__file__).with_name("stored_records.jsonl")


@pytest.mark.parametrize(
    "line", STORED.read_text().splitlines(), ids=lambda line: json.loads(line)["meta"]["source"]
)
def test_a_stored_record_round_trips_byte_for_byte(line: str):
    record = Record.from_json(line)
    assert record.to_json() == line
    assert Record.model_validate(json.loads(line)).to_json() == line  # dict -> Record -> JSON


def test_fields_a_record_was_not_given_are_not_written():
    record = Record.model_validate(pair_record())
    stored = json.loads(record.to_json())
    assert (
        "dialect" not in stored
        and "provenance" not in stored
        and "seed" not in stored["verification"]
    )
    assert record.dialect == "duckdb" and record.provenance is None  # read as their defaults


def test_changed_copies_keep_the_stored_key_order():
    record = Record.model_validate(pair_record(meta={"source": "template", "group": "g"}))
    derived = record.with_meta(derived_from=record.id, group="h")
    assert list(json.loads(derived.to_json())["meta"]) == ["source", "group", "derived_from"]
    assert record.meta.extra("group") == "g"  # the original is untouched


def test_schema_of_tables_is_a_property_of_the_record():
    assert Record.model_validate(pair_record()).table_schemas == {"t": {"a": "int64"}}


def test_a_line_that_is_not_a_record_names_where_and_which_field():
    with pytest.raises(RecordError, match=r"^f\.jsonl:7: verification\.status: "):
        line = json.dumps(pair_record(verification={"method": "m", "status": "perhaps"}))
        Record.from_json(line, where="f.jsonl:7")


def test_input_and_target_are_the_tasks_own_types():
    record = Record.model_validate(pair_record())
    assert isinstance(record.input, SqlToIbisInput) and isinstance(record.target, SqlToIbisTarget)
    assert record.input.sql == "SELECT a FROM t" and record.ibis_code == "result = t.select('a')"
    with pytest.raises(ValidationError):
        record.input.sql = "DROP TABLE t"  # type: ignore[misc]  # frozen


@pytest.mark.parametrize(
    "broken",
    [
        {"task": "qa"},  # a question record holding a SQL input
        {"input": {"sql": "SELECT 1", "dialect": "duckdb", "run": "os.system"}},  # unknown field
        {"input": {"dialect": "duckdb"}},  # no SQL
        {"target": {"ibis": 3}},  # code that is not text
        {"target": {"sql": "SELECT 1"}},  # the other direction's target
    ],
)
def test_an_input_or_target_of_another_shape_is_refused_naming_the_field(broken: dict):
    with pytest.raises(RecordError, match=r"^f\.jsonl:2: (input|target)[.:]"):
        Record.from_json(json.dumps(pair_record(**broken)), where="f.jsonl:2")


def test_copies_take_the_types_of_their_task():
    record = Record.model_validate(pair_record())
    question = record.replace(task="qa", input={"question": "q"}, target={"answer": "a"})
    assert question.input == QaInput(question="q") and question.input_as(QaInput).question == "q"
    with pytest.raises(TypeError, match="target of a qa record must be a QaTarget"):
        record.replace(task="qa", input={"question": "q"})  # the SQL pair's target kept
    with pytest.raises(TypeError, match="input of a sql_to_ibis record"):
        record.replace(input=IbisToSqlInput(ibis="result = t"))
    with pytest.raises(RecordError, match="is a sql_to_ibis record: no QaInput"):
        record.input_as(QaInput)


def test_typed_fields_hash_and_store_as_the_dicts_they_replace():
    typed = make_id("qa", QaInput(question="q"), {"answer": "a"})
    assert typed == make_id("qa", {"question": "q"}, {"answer": "a"})
    assert SqlToIbisInput(sql="s", dialect=None).to_dict() == {"sql": "s", "dialect": None}
    assert SqlToIbisInput(sql="s").to_dict() == {"sql": "s"}  # a field not given is not stored


def test_the_group_key_prefers_the_stored_group_then_the_file_then_the_template():
    meta = {"source": "template", "template": "shop", "family": "joins"}
    assert Record.model_validate(pair_record(meta=meta)).group_key() == "template:shop/joins"
    grouped = Record.model_validate(pair_record(meta={**meta, "group": "g"}))
    assert grouped.group_key() == "g"
    mined = pair_record(
        meta={"source": "mined", "template": "shop"},
        provenance={"repo": "r", "url": "u", "commit": "c", "path": "a.py", "line_start": 1,
                    "line_end": 2, "license": "MIT"},
    )  # fmt: skip
    assert Record.model_validate(mined).group_key() == "file:r/a.py"


def test_the_examples_in_the_docstrings_hold():
    import doctest

    from ibert_assets.splits import assign
    from ibert_inference.dataset import record

    assert doctest.testmod(record).failed == 0
    assert doctest.testmod(assign).failed == 0
