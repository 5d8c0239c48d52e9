from ibert_assets.mining.docs import examples_from_markdown, function_docstrings
from ibert_assets_tests.mining_repo import PY_WITH_SQL, QUARTO_PAGE


def test_sections_become_questions_and_code_examples_keep_their_explanation():
    examples = list(examples_from_markdown(QUARTO_PAGE, "docs/filtering.qmd"))
    questions = {e.input["question"] for e in examples if e.kind == "section_qa"}
    assert questions == {"How does filtering rows work in Ibis?", "How do I install Ibis?"}
    code = [e for e in examples if e.kind == "code_example"]
    assert code[0].input["question"].endswith("selects recent, large payments")
    assert "SELECT payment_id" in code[0].target["answer"]
    assert all(e.line_start > 4 for e in examples)  # front matter lines are counted


def test_only_functions_documenting_every_parameter_are_kept():
    (example,) = function_docstrings(PY_WITH_SQL, "analytics.py")
    assert example.input["function"] == "spend_report"
    assert example.target["docstring"].startswith("Spend per customer")
    assert '"""' not in example.input["code"]
    assert example.input["code"].startswith("def spend_report(threshold):")
    assert example.meta["parameters"] == ["threshold"]
