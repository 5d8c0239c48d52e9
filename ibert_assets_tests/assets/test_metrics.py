"""Scoring the tasks on test records: the deterministic path beside a model at its boundary."""

from pathlib import Path
from typing import Any

from ibert_assets.evaluation.metrics import evaluate_task, sample
from ibert_assets.tasks.scoring import token_f1
from ibert_assets_tests.conftest import make_record
from ibert_assets_tests.scripted_model import ScriptedModel
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.dataset.record import Record

ORDERS = {"orders": {"id": "int64", "amount": "float64", "status": "string"}}
BIG = "result = orders.filter(_.amount > 10).select('id')"
PAID = "result = orders.filter(_.status == 'paid').select('id', 'amount')"


def record(task: str, input: dict[str, Any], target: dict[str, Any]) -> Record:
    return make_record(task, input, target, tables=ORDERS)


SQL_TO_IBIS = [
    record("sql_to_ibis", {"sql": "SELECT id FROM orders WHERE amount > 10"}, {"ibis": BIG}),
    record(
        "sql_to_ibis",
        {"sql": "SELECT id, amount FROM orders WHERE status = 'paid'"},
        {"ibis": PAID},
    ),
]


def test_sql_to_ibis_scores_the_model_by_execution_beside_the_translator():
    by_sql = {r.input.sql: r for r in SQL_TO_IBIS}
    ordered = sample(SQL_TO_IBIS, "sql_to_ibis", 10)
    replies = [
        # right for the first sampled record, an off-by-one boundary for the second
        f"```python\n{by_sql[ordered[0].input.sql].target.ibis}\n```",
        "```python\nresult = orders.filter(_.amount >= 10).select('id')\n```",
    ]
    scores = evaluate_task("sql_to_ibis", SQL_TO_IBIS, ScriptedModel(replies), sample_size=10)
    assert scores.summary["execution_accuracy_deterministic"] == 1.0
    assert scores.summary["execution_accuracy_model"] == 0.5
    assert [row["model"] for row in scores.rows] == [True, False]
    assert scores.summary["examples"] == 2


def test_ibis_to_sql_samples_the_records_it_can_execute():
    duckdb = record("ibis_to_sql", {"ibis": BIG, "dialect": "duckdb"}, {"sql": "-"})
    snowflake = record("ibis_to_sql", {"ibis": BIG, "dialect": "snowflake"}, {"sql": "-"})
    assert sample([duckdb, snowflake] * 30, "ibis_to_sql", 50) == [duckdb] * 30
    model = ScriptedModel(["```sql\nSELECT id FROM orders WHERE amount > 10\n```"])
    scores = evaluate_task("ibis_to_sql", [duckdb, snowflake], model)
    assert scores.summary == {
        "execution_accuracy_deterministic": 1.0,
        "execution_accuracy_model": 1.0,
        "examples": 1,
    }


def test_without_a_model_only_the_deterministic_paths_score():
    broken = "result = orders.filter(_.amout > 10).select('id')"
    fix = record("error_resolution", {"code": broken, "error": "AttributeError"}, {"code": BIG})
    scores = evaluate_task("error_resolution", [fix], None)
    assert scores.rows[0]["deterministic"] is True and scores.rows[0]["model"] is None
    assert scores.summary["verified_fix_rate_model"] == 0.0


def test_documentation_coverage_counts_documented_parameters():
    code = "def big(orders, minimum):\n    return orders.filter(orders.amount > minimum)\n"
    doc = record("documentation", {"code": code}, {"docstring": "Orders over a minimum."})
    scores = evaluate_task("documentation", [doc], None)
    assert scores.summary["parameter_coverage_deterministic"] == 1.0


def test_token_f1_is_word_overlap():
    assert token_f1("filter the rows", "filter rows") == 0.8
    assert token_f1("", "anything") == 0.0


def test_qa_hits_count_the_mined_passage_among_the_citations(tmp_path: Path):
    mined = record(
        "qa",
        {"question": "How do I pivot a table wider in Ibis?"},
        {"answer": "Use pivot_wider with names_from and values_from to spread a column."},
    )
    template = record(
        "qa",
        {"question": "How do I count orders per status?"},
        {"answer": "result = orders.group_by('status').agg(n=_.count())"},
    )
    docs = tmp_path / "docs_examples"
    docs.mkdir()
    (docs / "demo.jsonl").write_text(mined.to_json() + "\n")
    scores = evaluate_task("qa", [mined, template], None, store=StoreLayout(str(tmp_path)))
    assert scores.summary["retrievable_examples"] == 1.0  # the template's question has no passage
    assert scores.summary["retrieval_hit_rate"] == 1.0
    by_id = {row["id"]: row for row in scores.rows}
    assert by_id[template.id]["retrieval_hit"] is None
