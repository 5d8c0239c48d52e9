import docstring_parser
import pytest

from ibert_assets.splits.dedup import normalized_text
from ibert_assets.tasks import PARTS, build_task
from ibert_assets.tasks.documentation import docstring_documents, documentation_records
from ibert_assets.tasks.error_resolution import error_records
from ibert_assets.tasks.ibis_to_sql import ibis_to_sql_records
from ibert_assets_tests.conftest import make_record
from ibert_inference.dataset.record import TASKS, Record
from ibert_inference.tasks.registry import spec


def pair(
    sql: str,
    code: str,
    family: str = "per_status",
    description: str = "Total amount of large orders per status",
) -> Record:
    return make_record(
        "sql_to_ibis",
        {"sql": sql, "dialect": "duckdb"},
        {"ibis": code},
        tables={"orders": {"amount": "float64", "status": "string"}},
        template="shop",
        family=family,
        description=description,
        group=f"template:shop/{family}",
    )


PAIRS = [
    pair(
        "SELECT status, SUM(amount) AS total FROM orders WHERE amount > 10 GROUP BY status",
        "result = orders.filter(_.amount > 10).group_by('status').agg(total=_.amount.sum())",
    )
]


@pytest.mark.parametrize(
    "task",
    ["sql_to_ibis", "ibis_to_sql", "code_completion", "error_resolution", "qa", "documentation"],
)
def test_every_task_builds_records_carrying_the_pair_group(task: str):
    build = build_task(task, template_pairs=PAIRS, augmented_pairs=[], mined=[], docs=[])
    assert build.records, build.counts
    for record in build.records:
        assert isinstance(record, Record) and record.task == task
        assert Record.from_json(record.to_json()).to_json() == record.to_json()
        assert record.meta.group == "template:shop/per_status"


def test_ibis_to_sql_compiles_for_each_dialect():
    build = ibis_to_sql_records(PAIRS, ["duckdb", "postgres", "snowflake"])
    assert [r.input.dialect for r in build.records] == ["duckdb", "postgres", "snowflake"]
    assert len({normalized_text(r) for r in build.records}) == 3


def test_ibis_to_sql_compiles_pairs_on_every_sandbox_worker_at_once_in_their_order():
    from dataclasses import replace

    from ibert_inference import sandbox

    pairs = [
        pair(
            f"SELECT status FROM orders WHERE amount > {n}",
            f"result = orders.filter(_.amount > {n}).select('status')",
            family=f"f{n}",
        )
        for n in range(8)
    ]
    serial = ibis_to_sql_records(pairs, ["duckdb", "postgres"])
    before = sandbox.current_settings()
    sandbox.configure(replace(before, workers=2))
    try:
        sandbox.close_shared_pool()
        spread = ibis_to_sql_records(pairs, ["duckdb", "postgres"])
        workers = len(sandbox.shared_pool().worker_pids())
    finally:
        sandbox.configure(before)
        sandbox.close_shared_pool()
    assert workers == 2  # one pair at a time starts only one
    assert [r.to_json() for r in spread.records] == [r.to_json() for r in serial.records]
    assert [r.meta.family for r in spread.records][::2] == [f"f{n}" for n in range(8)]


def test_error_records_pair_a_failing_mutant_with_its_verified_fix():
    build = error_records(PAIRS, per_pair=5)
    mutations = {r.meta.mutation for r in build.records}
    assert {"misspelled_column", "string_compared_with_number", "missing_parenthesis"} <= mutations
    for record in build.records:
        assert record.target.code == PAIRS[0].target.ibis
        assert ":" in record.input.error


def test_each_pair_gives_one_mutant_and_the_operators_take_turns():
    # three pairs with one code (a SQL-only variant shares its Ibis): three different mistakes
    same_code = [
        PAIRS[0],
        pair("SELECT status, SUM(amount) AS total FROM orders WHERE 10 < amount GROUP BY status",
             PAIRS[0].target.ibis),
        pair("SELECT status, SUM(amount) total FROM orders WHERE amount > 10 GROUP BY 1",
             PAIRS[0].target.ibis),
    ]  # fmt: skip
    build = error_records(same_code)
    assert len(build.records) == 3
    assert len({r.meta.mutation for r in build.records}) == 3


def test_identical_examples_from_two_pairs_are_kept_once():
    twin = pair("SELECT status, SUM(amount) AS total FROM orders WHERE 10 < amount GROUP BY status",
                PAIRS[0].target.ibis)  # fmt: skip
    build = build_task("code_completion", template_pairs=[PAIRS[0], twin], augmented_pairs=[],
                       mined=[], docs=[])  # fmt: skip
    assert build.counts["duplicates"] == len(build.records) > 0
    assert len({r.id for r in build.records}) == len(build.records)


def test_documentation_wraps_queries_with_complete_docstrings():
    (record,) = documentation_records(PAIRS).records
    assert record.input.code.startswith("def per_status_query(orders):")
    assert docstring_documents(record.input.code, record.target.docstring)
    parsed = docstring_parser.parse(record.target.docstring)
    assert [p.arg_name for p in parsed.params] == ["orders"]
    # the return value is described by what this query returns, not one line for all
    assert parsed.returns.description == (
        "An Ibis table expression with the columns status (string), total (float64)."
    )


def test_docstring_check_notices_a_missing_parameter():
    assert not docstring_documents("def f(a, b):\n    return a\n", "Do.\n\nArgs:\n    a: x.\n")


def test_completion_instructions_carry_the_intent_and_inputs_have_one_target():
    from ibert_assets.quality import inputs_with_several_targets
    from ibert_assets.tasks.code_completion import completion_records

    code = "result = orders.filter(_.amount > 10).group_by('status').agg(total=_.amount.sum())"
    other = code.replace("total=_.amount.sum()", "total=_.amount.max()")
    pairs = [pair("SELECT 1", code), pair("SELECT 2", other)]  # one description, two queries
    build = completion_records(pairs)
    assert build.records
    for record in build.records:
        assert "total amount of large orders per status" in record.input.instruction
    assert inputs_with_several_targets(build.records) == {}
    assert build.counts["dropped_second_target"] >= 1


def test_template_qa_is_text_to_ibis_with_the_tables_in_the_question():
    from ibert_assets.tasks.qa import qa_records

    (record,) = qa_records(PAIRS).records
    assert "orders(amount, status)" in record.input.question
    assert "total amount of large orders per status" in record.input.question
    assert record.target.answer == f"```python\n{PAIRS[0].target.ibis}\n```"
    assert "SELECT" not in record.target.answer
    assert record.meta.qa_kind == "text_to_ibis"


def test_one_function_gets_one_docstring():
    code = "result = orders.filter(_.amount > 10).group_by('status').agg(total=_.amount.sum())"
    first = pair("SELECT 1", code)
    second = pair("SELECT 2", code, description="Another wording")
    build = build_task(
        "documentation", template_pairs=[first, second], augmented_pairs=[], mined=[], docs=[]
    )
    assert len(build.records) == 1 and build.counts["dropped_second_target"] == 1


def test_every_task_has_its_derivation_and_an_unknown_one_is_refused():
    assert set(PARTS) == set(TASKS)
    for task, found in PARTS.items():  # the figures the inference registry names
        assert tuple(found.model_metrics) == spec(task).metrics
    with pytest.raises(ValueError, match="unknown task 'translate': expected one of sql_to_ibis"):
        build_task("translate", template_pairs=[], augmented_pairs=[], mined=[], docs=[])


def test_the_completion_evaluation_scores_the_model_not_retrieval():
    from ibert_assets.tasks.code_completion import evaluate_code_completion
    from ibert_assets_tests.scripted_model import ScriptedModel

    tables = {"t": {"a": "int64"}}
    given, wanted = {"prefix": "result = t", "instruction": "a"}, {"completion": ".select('a')"}
    record = make_record("code_completion", given, wanted, tables=tables)
    model = ScriptedModel([".nope()", ".nope()"])  # the model's candidates do not run
    model.examples = [record]  # retrieval would give back the verified completion itself
    scores = evaluate_code_completion([record], model)
    assert scores.rows[0]["valid"] is False and scores.rows[0]["exact"] is False
