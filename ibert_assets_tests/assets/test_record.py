import jsonschema
import pytest
from pydantic import ValidationError

from ibert_assets.record import Record, make_id, record_json_schema


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
    stored = Record.model_validate(pair_record()).to_json()
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
