"""Synthetic worlds read as one business: own vocabulary, own categories, references that go
the way the domain means."""

import dataclasses

import pytest

from ibert_assets.synthetic.coherence import world_problems
from ibert_assets.synthetic.worlds import Relationship, generate_world, iter_worlds


@pytest.fixture(scope="module")
def worlds():
    return list(iter_worlds(300))


def test_generated_worlds_are_coherent(worlds):
    assert {w.key: world_problems(w) for w in worlds if world_problems(w)} == {}


def test_each_category_is_on_one_table_only(worlds):
    for world in worlds:
        found = [c.words for t in world.tables for c in t.columns if c.role == "category"]
        assert len(found) == len(set(found)), world.key


def _world_with(layout: str):
    return next(w for w in iter_worlds(300) if w.layout == layout)


def test_an_entity_that_references_another_entity_is_incoherent():
    world = _world_with("oltp")
    a, b = [t for t in world.tables if t.kind == "dimension"][:2]
    column = dataclasses.replace(a.key, name=f"{b.words}_id", role="foreign_key")
    wrong = dataclasses.replace(
        world,
        tables=tuple(
            dataclasses.replace(t, columns=(*t.columns, column)) if t is a else t
            for t in world.tables
        ),
        relationships=(
            *world.relationships,
            Relationship(a.name, column.name, b.name, b.key.name, "one_to_many"),
        ),
    )
    assert any("a dimension table does not reference a dimension table" in p
               for p in world_problems(wrong))  # fmt: skip


def test_a_thing_that_references_its_event_is_incoherent():
    world = _world_with("star")
    fact = next(r for r in world.relationships if r.kind == "one_to_many")
    backwards = Relationship(fact.parent, fact.column, fact.child, fact.parent_column, fact.kind)
    wrong = dataclasses.replace(world, relationships=(*world.relationships, backwards))
    assert any("does not reference a fact table" in p for p in world_problems(wrong))


def test_a_shared_category_and_a_foreign_column_are_incoherent():
    world = generate_world("world-0003")
    owner = next(t for t in world.tables if t.of_role("category"))
    category = owner.of_role("category")[0]
    other = next(t for t in world.tables if t is not owner and t.kind == "dimension")
    cabin = dataclasses.replace(category, name="cabin", words="cabin")
    if world.domain == "aviation":  # the foreign column must be foreign to this domain
        cabin = dataclasses.replace(category, name="blood_type", words="blood_type")
    wrong = dataclasses.replace(
        world,
        tables=tuple(
            dataclasses.replace(t, columns=(*t.columns, category, cabin)) if t is other else t
            for t in world.tables
        ),
    )
    problems = world_problems(wrong)
    assert f"category {category.words} is on 2 tables" in problems
    assert any(f"{cabin.name} is not {world.domain} vocabulary" in p for p in problems)
