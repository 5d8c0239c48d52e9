"""Synthetic worlds: seeded, varied, typed by role, keyed along their relationships."""

from collections import Counter

import pytest

from ibert_assets.quality import role_contradictions
from ibert_assets.synthetic.vocabularies import VOCABULARIES
from ibert_assets.synthetic.worlds import NUMERIC_ROLES, generate_world, iter_worlds, world_keys

ROLE_DTYPES = {
    "key": ("int64", "int32"),
    "foreign_key": ("int64", "int32"),
    "measure": ("float64", "float32"),
    "count": ("int64", "int32", "int16"),
    "money": ("decimal(12, 2)", "decimal(10, 2)", "decimal(18, 2)", "float64"),
    "dimension": ("string",),
    "category": ("string",),
    "text": ("string",),
    "flag": ("boolean",),
    "date": ("date",),
    "timestamp": ("timestamp",),
}


@pytest.fixture(scope="module")
def worlds():
    return list(iter_worlds(120))


def test_the_same_seed_gives_the_same_world_byte_for_byte():
    assert generate_world("world-0042").to_json() == generate_world("world-0042").to_json()
    assert generate_world("world-0042").to_json() != generate_world("world-0043").to_json()
    assert generate_world("world-0042", 1).to_json() != generate_world("world-0042").to_json()


def test_worlds_are_varied(worlds):
    assert all(3 <= len(w.tables) <= 12 for w in worlds)
    assert {w.layout for w in worlds} == {"star", "snowflake", "oltp"}
    assert {w.style for w in worlds} == {"snake", "camel", "quoted"}
    assert len({w.domain for w in worlds}) >= 30
    assert len({w.structure() for w in worlds}) == len(worlds)
    kinds = Counter(r.kind for w in worlds for r in w.relationships)
    assert kinds["one_to_many"] and kinds["self"] and kinds["many_to_many"]


def test_at_least_forty_domains_with_values_for_every_category():
    assert len(VOCABULARIES) >= 40
    for vocabulary in VOCABULARIES.values():
        assert vocabulary.things and vocabulary.events
        assert all(len(values) >= 2 for values in vocabulary.categories.values())


def test_every_column_has_a_type_that_fits_its_role(worlds):
    for world in worlds:
        for table in world.tables:
            for column in table.columns:
                assert column.dtype in ROLE_DTYPES[column.role], (world.key, column)
                assert (column.role == "category") == bool(column.values)
        assert role_contradictions(world.schema()) == []


def test_foreign_keys_point_at_keys_of_their_parents(worlds):
    for world in worlds:
        for r in world.relationships:
            parent, child = world.table(r.parent), world.table(r.child)
            assert parent.key is not None and parent.key.name == r.parent_column
            assert child.column(r.column).role == "foreign_key"
            assert child.column(r.column).references == parent.name


def test_keys_are_never_measures(worlds):
    for world in worlds:
        for table in world.tables:
            for column in table.of_role(*NUMERIC_ROLES):
                assert not column.words.endswith("_id")


def test_some_names_need_quoting_or_collide_with_keywords(worlds):
    names = [c.name for w in worlds for t in w.tables for c in t.columns]
    assert any(" " in n for n in names)
    assert any(n != n.lower() and " " not in n for n in names)  # camelCase
    assert "date" in names


def test_world_keys_are_the_partition_keys():
    assert world_keys(3) == ["world-0000", "world-0001", "world-0002"]


def test_every_table_name_may_be_bound_by_evaluated_code(worlds):
    """A table is a variable of the Ibis code: a name the evaluator reserves (``property``,
    ``type``) would make every query over it unverifiable."""
    from ibert_inference.safe_eval.evaluator import check_bindable_name

    for world in worlds:
        for table in world.tables:
            check_bindable_name(table.name, "a table")
            assert table.name.isidentifier(), (world.key, table.name)  # "Work Order" is none
