from pathlib import Path

import pytest

from ibert_assets.templates.loader import expand_template, load_template, render
from ibert_inference.errors import TemplateError

VALID = """\
description: Shop queries.
difficulty: medium
tables:
  orders: {id: int64, amount: float64}
families:
  - id: compare
    description: "Orders with amount {op} {value}"
    features: [where]
    sql: "SELECT id FROM orders WHERE amount {op} {value}"
    ibis: "result = orders.filter(_.amount {op} {value}).select('id')"
    variations:
      op:
        - {sql: "=", ibis: "==", text: "equal to"}
        - {sql: ">", ibis: ">", text: "above"}
      value: [1, 2, 3]
  - id: listed
    description: "Orders with id {id}"
    difficulty: easy
    sql: "SELECT id FROM orders WHERE id = {id}"
    ibis: "result = orders.filter(_.id == {id}).select('id')"
    cases:
      - {id: 7}
      - {id: 9}
"""


def write(tmp_path: Path, text: str, name: str = "shop.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_expansion_is_a_deterministic_cartesian_product(tmp_path: Path):
    template = load_template(write(tmp_path, VALID))
    examples = expand_template(template)
    assert len(examples) == 6 + 2
    assert examples == expand_template(load_template(write(tmp_path, VALID)))
    first = examples[0]
    assert first.sql == "SELECT id FROM orders WHERE amount = 1"
    assert first.ibis == "result = orders.filter(_.amount == 1).select('id')"
    assert first.description == "Orders with amount equal to 1"
    assert first.difficulty == "medium" and examples[-1].difficulty == "easy"
    assert first.template == "shop" and first.variation == {"op": "=", "value": 1}


def test_max_examples_spreads_the_kept_combinations(tmp_path: Path):
    capped = VALID.replace("      value: [1, 2, 3]", "      value: [1, 2, 3]\n    max_examples: 3")
    examples = [
        e for e in expand_template(load_template(write(tmp_path, capped))) if e.family == "compare"
    ]
    assert [e.variation for e in examples] == [
        {"op": "=", "value": 1},
        {"op": "=", "value": 3},
        {"op": ">", "value": 2},
    ]


def test_escaped_braces_and_explicit_spellings():
    values = {"op": {"sql": "=", "ibis": "==", "text": "equal to"}}
    assert render("{{'a': 1}} {op.text}", values, "ibis") == "{'a': 1} equal to"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (VALID.replace("tables:\n", "tables: [\n"), r"shop.yaml:\d+: \(YAML\)"),
        (VALID.replace("description: Shop queries.\n", ""), "shop.yaml:1: .*'description'"),
        (VALID.replace("amount: float64", "amount: money"), r"shop.yaml:4: tables.orders.amount"),
        (
            VALID.replace("      value: [1, 2, 3]\n", ""),
            r"shop.yaml:9: families\[0\].sql: .*\{value\}",
        ),
        (
            VALID.replace('    sql: "SELECT id FROM orders WHERE id = {id}"\n', ""),
            r"shop.yaml:16: families\[1\]: .*'sql'",
        ),
        (
            VALID.replace("features: [where]", "features: where"),
            r"shop.yaml:8: families\[0\].features",
        ),
        (
            VALID.replace("      - {id: 9}", "      - {id: 9, other: 1}"),
            r"shop.yaml:\d+: families\[1\].cases\[1\]",
        ),
        (VALID.replace("id: listed", "id: compare"), r"families\[1\].id: duplicate"),
        (VALID.replace("difficulty: medium", "difficulty: extreme"), r"shop.yaml:2: difficulty"),
        (
            VALID.replace("families:", "domains:\n  city: [Oslo, Lima]\nfamilies:"),
            r"shop.yaml:6: domains.city: no table has this column",
        ),
        (
            VALID.replace("families:", "domains:\n  amount: [one]\nfamilies:"),
            r"shop.yaml:6: domains.amount: must be a list of two or more distinct strings",
        ),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, text: str, where: str):
    with pytest.raises(TemplateError, match=where):
        load_template(write(tmp_path, text))


def test_missing_file_is_a_template_error(tmp_path: Path):
    with pytest.raises(TemplateError, match="cannot read"):
        load_template(tmp_path / "absent.yaml")


def test_a_spelling_may_hold_placeholders_one_question_in_several_sql_forms():
    values = {
        "form": {
            "sql": "(SELECT a, {rank.sql}() OVER (ORDER BY a) AS r FROM t) AS q WHERE r",
            "ibis": "ignored",
        },
        "rank": {"sql": "RANK", "ibis": "ibis.rank"},
    }
    assert render("SELECT a FROM {form} <= 2", values, "sql") == (
        "SELECT a FROM (SELECT a, RANK() OVER (ORDER BY a) AS r FROM t) AS q WHERE r <= 2"
    )


def test_placeholders_nested_without_end_are_refused():
    values = {"a": {"sql": "{b}"}, "b": {"sql": "{a}"}}
    with pytest.raises(KeyError, match="nested deeper"):
        render("{a}", values, "sql")


def test_examples_carry_the_domains_of_the_columns_they_name(tmp_path: Path):
    text = VALID.replace(
        "  orders: {id: int64, amount: float64}",
        "  orders: {id: int64, amount: float64, city: string}",
    )
    text = text.replace("families:", "domains:\n  city: [Oslo, Lima, Porto]\nfamilies:")
    text = text.replace(
        "SELECT id FROM orders WHERE id = {id}", "SELECT id, city FROM orders WHERE id = {id}"
    )
    examples = expand_template(load_template(write(tmp_path, text)))
    assert {e.family: e.domains for e in examples} == {
        "compare": {},
        "listed": {"city": ["Oslo", "Lima", "Porto"]},
    }


def test_variations_are_counted_before_they_expand(tmp_path: Path):
    values = "[" + ", ".join(str(i) for i in range(10)) + "]"
    placeholders = "".join(f"      p{i}: {values}\n" for i in range(10))  # 10^10 combinations
    text = VALID.replace("      value: [1, 2, 3]\n", "      value: [1, 2, 3]\n" + placeholders)
    with pytest.raises(TemplateError, match=r"shop\.yaml:\d+: families\[0\]\.variations: .*"
                       r"60,000,000,000 combinations; the limit is 100,000"):  # fmt: skip
        load_template(write(tmp_path, text))


def test_yaml_aliases_are_refused_before_they_expand(tmp_path: Path):
    bomb = VALID + "extra: &a [x, x, x]\nmore: [*a, *a, *a]\n"
    with pytest.raises(TemplateError, match=r"shop\.yaml:\d+: \(YAML\): YAML aliases \(\*a\)"):
        load_template(write(tmp_path, bomb))
