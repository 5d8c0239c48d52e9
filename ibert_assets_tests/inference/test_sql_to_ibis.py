import pytest

from ibert_assets_tests.scripted_model import ScriptedModel
from ibert_inference.errors import SQLParseError, UnknownNameError
from ibert_inference.tasks.sql_to_ibis import from_sql

SCHEMA = {"orders": {"id": "int64", "amount": "float64", "status": "string"}}
# A construct the translator refuses (recursion), so that the model is asked.
UNSUPPORTED = (
    "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r"
)


def test_supported_sql_never_touches_the_model():
    model = ScriptedModel([])
    result = from_sql("SELECT id FROM orders WHERE amount > 5", schema=SCHEMA, model=model)
    assert result.source == "deterministic" and result.verified is True
    assert "result" in result.output and model.calls == []


def test_model_fallback_is_verified_and_retried_with_feedback():
    model = ScriptedModel([
        "```python\nresult = ibis.range(1, 3).unnest().name('n').as_table()\n```",  # wrong: 1, 2
        "```python\nresult = ibis.range(1, 4).unnest().name('n').as_table()\n```",
    ])  # fmt: skip
    result = from_sql(UNSUPPORTED, schema=SCHEMA, model=model, retries=3)
    assert result.verified is True and result.source == "model"
    assert [a["status"] for a in result.details["attempts"]] == ["mismatch", "verified"]
    assert "That was wrong" in model.calls[1][0][-1]["content"]


def test_unverifiable_answers_are_marked_unverified():
    model = ScriptedModel(["result = orders.select('id')"] * 2)
    result = from_sql(UNSUPPORTED, schema=SCHEMA, model=model, retries=2)
    assert result.verified is False and not result.ok
    assert len(result.details["attempts"]) == 2


def test_no_model_means_no_answer_for_unsupported_sql():
    result = from_sql(UNSUPPORTED, schema=SCHEMA)
    assert result.verified is False and "RECURSIVE" in result.details["unsupported"].upper()


@pytest.mark.parametrize(
    ("sql", "error"),
    [("SELEC id FROM orders", SQLParseError), ("SELECT nme FROM orders", UnknownNameError)],
)
def test_input_errors_are_raised_not_sent_to_the_model(sql, error):
    model = ScriptedModel(["result = orders"])
    with pytest.raises(error):
        from_sql(sql, schema=SCHEMA, model=model)
    assert model.calls == []


def test_without_a_schema_one_is_inferred_and_the_translation_verified_on_it():
    sql = "SELECT status, SUM(amount) AS total FROM orders WHERE amount > 5 GROUP BY status"
    result = from_sql(sql)
    assert result.verified is True and result.source == "deterministic"
    assert result.details["inferred_schema"] == {"orders": {"amount": "int64", "status": "string"}}
    assert result.details["verification"]["databases"] >= 3


def test_a_wrong_translation_on_an_inferred_schema_is_not_called_verified(monkeypatch):
    import ibert_inference.translate as translate

    wrong = translate.Translation("result = orders.filter(_.amount < 5).select('id')", None)
    monkeypatch.setattr(translate, "sql_to_ibis", lambda sql, schema, dialect: wrong)
    result = from_sql("SELECT id FROM orders WHERE amount > 5")
    assert result.verified is False and not result.ok
    assert "does not verify" in result.details["reason"]


def test_sql_that_names_no_table_asks_for_a_schema():
    from ibert_inference.schema.infer_sql import SchemaInferenceError

    with pytest.raises(SchemaInferenceError, match="pass --schema"):
        from_sql("SELECT 1 + 1 AS two")
    with pytest.raises(SQLParseError):
        from_sql("SELECT FROM WHERE (")


# --- the rule: "verified" only when the verification engine checked that very answer -----------

REGEX_SQL = r"SELECT id, regexp_replace(status, '\s+', ' ') AS s FROM orders"


def _translator_answers(monkeypatch, code: str) -> None:
    """The translator at its boundary returns ``code``, as a translator bug would."""
    from ibert_inference import translate

    monkeypatch.setattr(
        translate,
        "sql_to_ibis",
        lambda sql, schema, dialect="duckdb": translate.Translation(code, None),
    )


def test_a_wrong_deterministic_translation_is_not_called_verified(monkeypatch):
    # DuckDB's regexp_replace replaces the first match; Ibis's re_replace replaces them all
    _translator_answers(
        monkeypatch, r"result = orders.select('id', s=_.status.re_replace(r'\s+', ' '))"
    )
    result = from_sql(REGEX_SQL, schema=SCHEMA)
    assert result.verified is False and not result.ok and result.source == "deterministic"
    assert result.details["verification"]["status"] == "mismatch"
    assert "does not verify" in result.details["reason"]


def test_a_wrong_translation_goes_to_the_model_which_must_verify(monkeypatch):
    _translator_answers(monkeypatch, "result = orders.filter(_.amount >= 5).select('id')")
    model = ScriptedModel(["result = orders.filter(_.amount > 5).select('id')"])
    result = from_sql("SELECT id FROM orders WHERE amount > 5", schema=SCHEMA, model=model)
    assert result.verified is True and result.source == "model"
    assert result.output == "result = orders.filter(_.amount > 5).select('id')"


def test_a_verified_translation_says_how_it_was_checked():
    result = from_sql("SELECT id FROM orders WHERE amount > 5", schema=SCHEMA)
    how = result.details["verification"]
    assert result.verified is True and how["status"] == "verified"
    assert how["databases"] >= 5 and how["rows_compared"] > 0 and how["seed"] == 0


def test_a_model_answer_that_is_wrong_is_not_verified():
    wrong = "```python\nresult = orders.agg(s=_.amount.mean())\n```"  # mean, not SUM(DISTINCT)
    result = from_sql(UNSUPPORTED, schema=SCHEMA, model=ScriptedModel([wrong]), retries=1)
    assert result.verified is False and result.details["attempts"][0]["status"] == "mismatch"
    assert result.details["reason"].startswith("no answer verifies")


# --- issue 25, "Why" 1: ordinary warehouse SQL ------------------------------------------------

SESSIONS = {"sessions": {"session_id": "int64", "country": "string", "seconds": "int64"}}
BIGQUERY_SESSIONS = (
    "SELECT country, COUNT(*) AS n FROM `proj.analytics.sessions` "
    "WHERE seconds > 30 GROUP BY country"
)


@pytest.mark.parametrize("schema", [SESSIONS, None], ids=["schema", "inferred"])
def test_a_bigquery_project_dataset_table_name_verifies(schema):
    result = from_sql(BIGQUERY_SESSIONS, schema=schema, dialect="bigquery")
    assert result.verified is True, result.details.get("reason")
    assert "sessions.filter" in result.output


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id, amount FROM orders WHERE created_at > NOW() - INTERVAL '7 days'",
        "SELECT id FROM orders WHERE created_on >= CURRENT_DATE - 30 AND amount > 10",
    ],
)
def test_a_query_relative_to_now_verifies_on_rows_not_vacuously(sql):
    result = from_sql(sql, dialect="postgres")
    assert result.verified is True, result.details.get("reason")
    assert result.details["verification"]["rows_compared"] > 0


def test_a_translation_off_at_the_bound_relative_to_now_is_a_mismatch():
    from ibert_inference.verify.pair import verify_pair

    schema = {"orders": {"id": "int64", "created_at": "timestamp"}}
    sql = "SELECT id FROM orders WHERE created_at > NOW() - INTERVAL '7 days'"
    wrong = "orders.filter(_.created_at >= ibis.now() - ibis.interval(days=7)).select('id')"
    assert verify_pair(sql, wrong, schema, dialect="postgres").status == "mismatch"


def test_two_ctes_over_one_table_translate_and_verify_without_a_schema():
    sql = """
        WITH monthly AS (
            SELECT date_trunc('month', created_at) AS month, SUM(amount) AS revenue
            FROM orders GROUP BY 1
        ), ranked AS (
            SELECT month, revenue, RANK() OVER (ORDER BY revenue DESC) AS r FROM monthly
        )
        SELECT month, revenue FROM ranked WHERE r <= 3
    """
    result = from_sql(sql, dialect="postgres")
    assert result.verified is True, result.details.get("reason")


def test_a_mismatch_says_which_side_is_the_sql_and_which_the_ibis():
    from ibert_inference.verify.pair import verify_pair

    verdict = verify_pair(
        "SELECT id FROM orders WHERE amount > 10", "orders.filter(_.amount >= 10).select('id')",
        SCHEMA,
    )  # fmt: skip
    assert verdict.status == "mismatch"
    assert "the SQL returned" in verdict.reason and "the Ibis code returned" in verdict.reason
