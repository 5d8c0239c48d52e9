from ibert_assets.mining.docs import examples_from_markdown, function_docstrings
from ibert_assets_tests.mining_repo import PY_WITH_SQL, QUARTO_PAGE


def test_sections_become_questions_and_code_examples_keep_their_explanation():
    examples = list(examples_from_markdown(QUARTO_PAGE, "docs/filtering.qmd"))
    questions = {e.input["question"] for e in examples if e.kind == "section_qa"}
    assert questions == {"How does filtering rows work in Ibis?", "How do I install Ibis?"}
    kept = {e.input["question"] for e in examples if e.kind == "section_qa" and not e.rejected}
    assert kept == {"How do I install Ibis?"}
    code = [e for e in examples if e.kind == "code_example"]
    assert code[0].input["question"] == (
        "How do I write a query written as SQL that selects recent, large payments in Ibis?"
    )
    assert "SELECT payment_id" in code[0].target["answer"]
    assert all(e.line_start > 4 for e in examples)  # front matter lines are counted


def test_only_functions_documenting_every_parameter_are_kept():
    (example,) = function_docstrings(PY_WITH_SQL, "analytics.py")
    assert example.input["function"] == "spend_report"
    assert example.target["docstring"].startswith("Spend per customer")
    assert '"""' not in example.input["code"]
    assert example.input["code"].startswith("def spend_report(threshold):")
    assert example.meta["parameters"] == ["threshold"]


def test_sql_only_and_prose_only_answers_are_rejected_with_their_reason():
    examples = list(examples_from_markdown(QUARTO_PAGE, "docs/filtering.qmd"))
    rejected = {e.input["question"]: e.rejected for e in examples if e.rejected}
    assert rejected["How does filtering rows work in Ibis?"].startswith("no_ibis_code")
    (sql_example,) = [e for e in examples if e.kind == "code_example" and "SELECT" in str(e.target)]
    assert sql_example.rejected.startswith("no_ibis_code")


QUARTO_NOISE = """\
# Group and count

::: {.callout-tip}
Grouping collects the rows that share a key; counting them tells how many rows each key has,
which is the first thing to look at in a new table.
:::

```{python}
#| code-fold: true
t.group_by("key").agg(n=_.count())  # <1>
```

# Pandas interop

Sometimes you want to compare Ibis against a plain pandas computation on the same file:

```python
import pandas as pd
df = pd.read_csv("x.csv").groupby("key").size()
```
"""


def test_quarto_markup_is_stripped_and_foreign_code_is_rejected():
    examples = list(examples_from_markdown(QUARTO_NOISE, "docs/group.qmd"))
    (group,) = [
        e for e in examples if e.kind == "section_qa" and "group and count" in e.input["question"]
    ]
    answer = group.target["answer"]
    assert group.rejected is None
    assert ":::" not in answer and "#|" not in answer and "# <1>" not in answer
    assert 't.group_by("key").agg(n=_.count())' in answer
    (pandas,) = [e for e in examples if e.kind == "code_example" and "pd." in str(e.target)]
    assert pandas.rejected == "not_about_ibis: the code uses 'import pandas', not Ibis"


def test_tests_and_private_helpers_are_not_documentation_targets():
    code = (
        "def test_spend(threshold):\n"
        '    """Spend per customer above the threshold, checked against a fixture."""\n'
        "    return threshold\n"
    )
    assert list(function_docstrings(code, "analytics.py")) == []
    assert list(function_docstrings(PY_WITH_SQL, "tests/analytics.py")) == []
    assert list(function_docstrings(PY_WITH_SQL, "pkg/test_analytics.py")) == []
