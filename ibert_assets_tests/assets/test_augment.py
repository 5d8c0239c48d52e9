import pytest

from ibert_assets.quality import role_contradictions
from ibert_assets.templates.augment import (
    INPUT_DIALECTS,
    INPUT_OPERATORS,
    Pair,
    change_literals,
    change_string_literal,
    flip_comparison,
    rename_identifiers,
    sql_in_dialect,
    sql_rewritten,
    variants,
)
from ibert_inference.verify.pair import verify_pair

JOIN = Pair(
    "SELECT c.name, SUM(o.amount) AS total FROM orders o JOIN customers c "
    "ON o.customer_id = c.id WHERE o.amount > 25 AND c.city = 'Oslo' GROUP BY c.name",
    "j = orders.join(customers, orders.customer_id == customers.id)\n"
    "result = j.filter((_.amount > 25) & (_.city == 'Oslo')).group_by('name')"
    ".agg(total=_.amount.sum())",
    {
        "orders": {"amount": "float64", "customer_id": "int64"},
        "customers": {"id": "int64", "name": "string", "city": "string"},
    },
    description="Total amount per customer name in Oslo, orders with amount greater than 25",
)
RANGE = Pair(
    "SELECT id FROM (SELECT id, amount FROM orders WHERE amount BETWEEN 10 AND 90) AS cheap",
    "result = orders.filter(_.amount.between(10, 90)).select('id')",
    {"orders": {"id": "int64", "amount": "float64"}},
)


def verified(pair: Pair) -> bool:
    return verify_pair(pair.sql, pair.ibis, pair.schema, dialect=pair.dialect).ok


@pytest.mark.parametrize("operator", [rename_identifiers, change_literals, flip_comparison])
def test_each_question_operator_makes_a_verified_variant(operator):
    variant = operator(JOIN, 3)
    assert variant is not None
    assert variant.sql != JOIN.sql and variant.ibis != JOIN.ibis
    assert verified(variant), variant


@pytest.mark.parametrize("seed", range(4))
def test_input_operators_respell_the_sql_and_keep_the_one_target(seed):
    for operator in INPUT_OPERATORS:
        variant = operator(RANGE, seed)
        if variant is None:
            continue
        assert variant.ibis == RANGE.ibis
        assert variant.sql != RANGE.sql
        assert verified(variant), variant


def test_sql_rewrites_spell_between_and_derived_tables_differently():
    spellings = {sql_rewritten(RANGE, seed).sql for seed in range(4)}
    assert any("WITH cheap AS" in sql for sql in spellings)
    assert any(">= 10 AND" in sql and "BETWEEN" not in sql for sql in spellings)


def test_sql_in_dialect_is_read_in_its_dialect():
    pair = Pair(
        "SELECT id, CAST(amount AS DOUBLE) AS a FROM orders WHERE name ILIKE 'a%'",
        "result = orders.filter(_.name.ilike('a%')).select('id', a=_.amount.cast('float64'))",
        {"orders": {"id": "int64", "amount": "int64", "name": "string"}},
    )
    variant = sql_in_dialect(pair, 0)
    assert variant is not None and variant.dialect == "postgres"
    assert "DOUBLE PRECISION" in variant.sql
    assert verified(variant)


def test_renames_keep_types_and_roles_and_keys_still_join():
    for seed in range(10):
        variant = rename_identifiers(JOIN, seed)
        assert variant is not None
        assert role_contradictions(variant.schema) == []
        (key,) = [c for cols in variant.schema.values() for c in cols if c.endswith("_id")]
        assert f".{key} = " in variant.sql  # the renamed key is still the join key
        types = sorted(d for cols in variant.schema.values() for d in cols.values())
        assert types == sorted(d for cols in JOIN.schema.values() for d in cols.values())


def test_a_key_follows_the_table_it_names():
    variant = rename_identifiers(JOIN, 1)
    (new_customers,) = [t for t, cols in variant.schema.items() if "id" in cols]
    singular = new_customers[:-2] if new_customers.endswith("ches") else new_customers[:-1]
    assert f"{singular}_id" in {c for cols in variant.schema.values() for c in cols}


def test_string_literals_follow_the_renamed_columns_domain():
    import sqlglot
    from sqlglot import exp

    from ibert_assets.templates.vocabulary import POOLS

    for seed in range(6):
        variant = rename_identifiers(JOIN, seed)
        literal = [
            eq for eq in sqlglot.parse_one(variant.sql).find_all(exp.EQ) if eq.expression.is_string
        ]
        column, value = literal[0].this.name, literal[0].expression.this
        assert value in POOLS[column]
        assert f"'{value}'" in variant.ibis
        assert verified(variant)


def test_descriptions_are_retold_or_dropped_never_stale():
    renamed = rename_identifiers(JOIN, 1)
    assert "customer" not in renamed.description and "amount" not in renamed.description
    changed = change_literals(JOIN, 0)
    new_value = next(w for w in changed.sql.split() if w.isdigit() and w != "25")
    assert changed.description.endswith(f"greater than {new_value}")
    flipped = flip_comparison(JOIN, 0)
    assert flipped.description.endswith("at least 25")
    unsure = flip_comparison(Pair(JOIN.sql, JOIN.ibis, JOIN.schema, description="Big orders"), 0)
    assert unsure.description == ""


def test_operators_that_do_not_apply_return_none():
    plain = Pair("SELECT a FROM t", "result = t.select('a')", {"t": {"a": "int64"}})
    assert flip_comparison(plain, 0) is None
    assert change_literals(plain, 0) is None
    assert sql_rewritten(plain, 0) is None
    assert sql_in_dialect(plain, 0) is None


def test_no_variant_gives_one_input_two_targets():
    produced = [JOIN, *variants(JOIN, seed=2, renames=2), *variants(RANGE, seed=1)]
    targets: dict[tuple[str, str], set[str]] = {}
    for pair in produced:
        targets.setdefault((pair.sql, pair.dialect), set()).add(pair.ibis)
    assert all(len(found) == 1 for found in targets.values())
    operators = {v.operator for v in produced}
    assert {"rename", "flip_comparison", "flip_comparison+rename"} <= operators


def test_a_string_literal_changes_to_another_value_of_its_columns_domain():
    pair = Pair(
        "SELECT id FROM orders WHERE status = 'shipped' AND region = 'north'",
        "result = orders.filter((_.status == 'shipped') & (_.region == 'north')).select('id')",
        {"orders": {"id": "int64", "status": "string", "region": "string"}},
        description="Orders with status 'shipped' from the north",
        domains={"status": ["shipped", "returned", "north"], "region": ["north", "south"]},
    )
    variant = change_string_literal(pair, 0)
    assert variant.sql == "SELECT id FROM orders WHERE status = 'returned' AND region = 'north'"
    assert "'returned'" in variant.ibis and "'shipped'" not in variant.ibis
    assert variant.description == "Orders with status 'returned' from the north"
    assert verified(variant)
    assert change_string_literal(Pair(pair.sql, pair.ibis, pair.schema), 0) is None  # no domains


def test_sql_a_dialect_cannot_say_gives_no_variant():
    # sqlglot 30.17 raises AttributeError (not its own error) for a named window's NULL order
    # in BigQuery; the variant is skipped, the partition still builds
    pair = Pair(
        "SELECT DISTINCT s, FIRST_VALUE(p) OVER w AS f FROM t "
        "WINDOW w AS (PARTITION BY s ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING "
        "AND UNBOUNDED FOLLOWING)",
        "result = t.select('s', f=_.p.first().over(group_by='s', order_by='d')).distinct()",
        {"t": {"s": "string", "p": "float64", "d": "date"}},
    )
    bigquery = INPUT_DIALECTS.index("bigquery")
    assert sql_in_dialect(pair, bigquery) is None
