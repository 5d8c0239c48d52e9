"""Seeded relational worlds: the tables, keys and typed columns of one made-up business.

A world is drawn from one vocabulary (:mod:`.vocabularies`) in one of three layouts: a *star*
(one fact table with foreign keys to its dimensions), a *snowflake* (a star whose dimensions
point at lookup tables of their own) or an *OLTP* schema (entities in one-to-many chains, a
many-to-many link table, a self-reference, line items). Every column has a role, and its type
fits the role: keys are integers, money is a decimal, a category is a string with a pool of
values, a flag is a boolean. Same seed, same world, byte for byte.

>>> world = generate_world("world-0000")
>>> 3 <= len(world.tables) <= 12
True
>>> world.to_json() == generate_world("world-0000").to_json()
True
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Collection, Iterator
from dataclasses import asdict, dataclass, field

from ibert_assets.synthetic.vocabularies import VOCABULARIES, Vocabulary

LAYOUTS = ("star", "snowflake", "oltp")
STYLES = ("snake", "camel", "quoted")
ROLES = (
    "key", "foreign_key", "measure", "count", "money", "dimension", "category", "text",
    "flag", "date", "timestamp",
)  # fmt: skip
# roles that may be summed or averaged: never a key
NUMERIC_ROLES = ("measure", "count", "money")


@dataclass(frozen=True)
class Column:
    """One column: its name as the schema spells it, the words it stands for, its role and
    type. ``values`` are a category's pool; ``references`` the table a foreign key points at."""

    name: str
    words: str
    role: str
    dtype: str
    nullable: bool = False
    values: tuple[str, ...] = ()
    references: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    words: str
    kind: str  # fact, dimension, lookup, link, line
    columns: tuple[Column, ...]

    @property
    def key(self) -> Column | None:
        return next((c for c in self.columns if c.role == "key"), None)

    def of_role(self, *roles: str) -> list[Column]:
        return [c for c in self.columns if c.role in roles]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True)
class Relationship:
    """``child.column`` references ``parent``'s key: one parent row, many child rows."""

    child: str
    column: str
    parent: str
    parent_column: str
    kind: str  # one_to_many, self, many_to_many (child is the link table)


@dataclass(frozen=True)
class World:
    key: str
    seed: int
    domain: str
    layout: str
    style: str
    tables: tuple[Table, ...]
    relationships: tuple[Relationship, ...] = field(default=())

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    def schema(self, only: Collection[str] | None = None) -> dict[str, dict[str, str]]:
        """``{table: {column: dtype}}``, the shape the translator and verifier take; ``only``
        those tables when given (in the world's order)."""
        return {
            t.name: {c.name: c.dtype for c in t.columns}
            for t in self.tables
            if only is None or t.name in only
        }

    def structure(self) -> str:
        """The schema with names abstracted: each table's column types, tables sorted."""
        return json.dumps(sorted(sorted(c.dtype for c in t.columns) for t in self.tables))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def world_seed(key: str, base_seed: int = 0) -> int:
    """A stable seed for the world named ``key`` (independent of how many worlds there are)."""
    digest = hashlib.sha256(f"{base_seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def world_keys(count: int) -> list[str]:
    """The partition keys of ``count`` worlds: ``world-0000``, ``world-0001``, ..."""
    return [f"world-{index:04d}" for index in range(count)]


class _Namer:
    """Spells words as the world's style says: snake_case, camelCase, or some quoted names
    (capitalised, with spaces) among snake_case ones."""

    def __init__(self, style: str, rng: random.Random) -> None:
        self.style, self.rng = style, rng

    def __call__(self, words: str, *, table: bool = False) -> str:
        # a table is a variable of the Ibis code: a name with a space cannot be one
        if self.style == "camel":
            head, *rest = words.split("_")
            return head + "".join(part.capitalize() for part in rest)
        if self.style == "quoted" and "_" in words and self.rng.random() < 0.3 and not table:
            return " ".join(part.capitalize() for part in words.split("_"))
        return words


@dataclass
class _Draft:
    words: str
    kind: str
    columns: list[Column] = field(default_factory=list)


@dataclass(frozen=True)
class _Types:
    """The types one world's designer chose: its key width, its money type; counts and
    measures vary per column as real schemas' do."""

    key: str
    money: str
    counts: tuple[str, ...]
    measures: tuple[str, ...]


def _types(rng: random.Random) -> _Types:
    return _Types(
        key=rng.choices(("int64", "int32"), weights=(3, 1))[0],
        money=rng.choice(("decimal(12, 2)", "decimal(10, 2)", "decimal(18, 2)", "float64")),
        counts=rng.choice((("int64",), ("int32",), ("int32", "int16"), ("int64", "int32"))),
        measures=rng.choice((("float64",), ("float32",), ("float64", "float32"))),
    )


def generate_world(key: str, base_seed: int = 0) -> World:
    """The world named ``key``: 3 to 12 tables of one domain, in one layout."""
    seed = world_seed(key, base_seed)
    rng = random.Random(seed)
    vocabulary = VOCABULARIES[rng.choice(sorted(VOCABULARIES))]
    layout = rng.choice(LAYOUTS)
    style = rng.choices(STYLES, weights=(7, 2, 1))[0]
    name = _Namer(style, rng)
    types = _types(rng)
    drafts, links = _layout(layout, vocabulary, rng, rng.randint(3, 12))
    # each category belongs to one table: dealt out in turn, events first and most (a status,
    # a cabin, a channel describe what happened: a booking's cabin, not an airport's), then the
    # entities and their lookups, until none is left
    categories = sorted(vocabulary.categories)
    rng.shuffle(categories)
    order = sorted(drafts.values(), key=lambda d: _DEALING.index(d.kind))
    for draft in order:
        _attributes(draft, vocabulary, rng, name, types, categories)
    tables, relationships = _keys(drafts, links, rng, name, types)
    return World(key, seed, vocabulary.domain, layout, style, tables, relationships)


# the order in which tables are given their categories
_DEALING = ("fact", "dimension", "lookup", "line", "link")


def _layout(
    layout: str, vocabulary: Vocabulary, rng: random.Random, wanted: int
) -> tuple[dict[str, _Draft], list[tuple[str, str, str]]]:
    """Tables by their words, and links ``(child, parent, kind)`` between them."""
    things = list(vocabulary.things)
    rng.shuffle(things)
    events = list(vocabulary.events)
    drafts: dict[str, _Draft] = {}
    links: list[tuple[str, str, str]] = []

    def add(words: str, kind: str) -> str:
        drafts[words] = _Draft(words, kind)
        return words

    if layout in ("star", "snowflake"):
        fact = add(events[0], "fact")
        dimensions = things[: max(2, min(len(things), wanted - 1 - (layout == "snowflake")))]
        for thing in dimensions:
            links.append((fact, add(thing, "dimension"), "one_to_many"))
        if layout == "snowflake":
            for thing in dimensions[: max(1, min(len(dimensions), wanted - len(drafts)))]:
                lookup = add(f"{thing}_group", "lookup")
                links.append((thing, lookup, "one_to_many"))
        if len(drafts) < wanted and len(events) > 1:  # a second fact on the same dimensions
            second = add(events[1], "fact")
            for thing in dimensions[:2]:
                links.append((second, thing, "one_to_many"))
        return drafts, links
    # OLTP: entities, a self-reference, events that reference the entities they involve, line
    # items, a many-to-many link. No entity references another: which of two things owns the
    # other ("a store has customers"?) the vocabulary does not say, and a guess reads wrong
    entities = things[: max(2, min(len(things), wanted - 2))]
    for thing in entities:
        add(thing, "dimension")
    links.append((entities[0], entities[0], "self"))
    event = add(events[0], "fact")
    links.append((event, entities[-1], "one_to_many"))
    if len(entities) > 2:
        links.append((event, entities[1], "one_to_many"))
    if len(drafts) < wanted:
        line = add(f"{event}_line", "line")
        links.append((line, event, "one_to_many"))
    if len(drafts) < wanted and len(entities) >= 2:
        a, b = entities[-1], entities[0]
        link = add(f"{a}_{b}", "link")
        links += [(link, a, "many_to_many"), (link, b, "many_to_many")]
    if len(drafts) < wanted and len(events) > 1:
        other = add(events[1], "fact")
        links.append((other, entities[0], "one_to_many"))
    return drafts, links


def _attributes(
    draft: _Draft,
    vocabulary: Vocabulary,
    rng: random.Random,
    name: _Namer,
    types: _Types,
    categories: list[str],
) -> None:
    """The non-key columns of one table, chosen for its kind from the vocabulary; its
    categories taken from ``categories`` (the world's not yet given to a table)."""

    def category() -> None:
        if categories:
            cat = categories.pop()
            column(cat, "category", "string", values=vocabulary.categories[cat])

    def column(words: str, role: str, dtype: str, **extra: object) -> None:
        nullable = role not in ("dimension",) and rng.random() < 0.2
        spelled = name(words)
        # SQL names are case-blind: `exposures` and `exposureS` (exposure_s) are one name
        if any(c.name.lower() == spelled.lower() for c in draft.columns):
            return
        draft.columns.append(Column(spelled, words, role, dtype, nullable, **extra))  # type: ignore[arg-type]

    def pick(words: tuple[str, ...]) -> str:
        return rng.choice(words)

    if draft.kind == "dimension":
        # an entity has its name, its categories and the record of its own life (when it was
        # registered, whether it is still active); the domain's measures, counts, texts, dates
        # and flags describe what happens (a ticket's replies, not a product's)
        column(f"{draft.words}_name", "dimension", "string")
        if rng.random() < 0.5:
            category()
        if rng.random() < 0.3:
            column("created_at", "timestamp", "timestamp")
        if rng.random() < 0.3:
            column("is_active", "flag", "boolean")
    elif draft.kind == "lookup":
        category()
        column(f"{draft.words}_name", "dimension", "string")
    elif draft.kind in ("fact", "line"):
        for words in rng.sample(vocabulary.money, k=min(len(vocabulary.money), rng.randint(1, 2))):
            column(words, "money", types.money)
        column(pick(vocabulary.counts), "count", rng.choice(types.counts))
        if rng.random() < 0.6:
            column(pick(vocabulary.measures), "measure", rng.choice(types.measures))
        if draft.kind == "fact":
            date_words = "date" if rng.random() < 0.25 else pick(vocabulary.dates)
            column(date_words, "date", "date")
            if rng.random() < 0.5:
                column("created_at", "timestamp", "timestamp")
            for _ in range(rng.randint(1, 2)):
                category()
            if rng.random() < 0.5:
                column(pick(vocabulary.flags), "flag", "boolean")
            if rng.random() < 0.3:
                column(pick(vocabulary.texts), "text", "string")
    else:  # a link table: when the pair began, and how much
        column(pick(vocabulary.dates), "date", "date")
        if rng.random() < 0.5:
            column(pick(vocabulary.counts), "count", rng.choice(types.counts))


def _keys(
    drafts: dict[str, _Draft],
    links: list[tuple[str, str, str]],
    rng: random.Random,
    name: _Namer,
    types: _Types,
) -> tuple[tuple[Table, ...], tuple[Relationship, ...]]:
    """Primary keys first, foreign keys after them, then the attributes; tables named."""
    table_name = {words: name(words, table=True) for words in drafts}
    key_of = {words: name(f"{words}_id") for words in drafts if drafts[words].kind != "link"}
    foreign: dict[str, list[Column]] = {words: [] for words in drafts}
    relationships = []
    for child, parent, kind in links:
        words = f"parent_{parent}_id" if kind == "self" else f"{parent}_id"
        column = Column(
            name(words), words, "foreign_key", types.key,
            nullable=kind == "self" or rng.random() < 0.15, references=table_name[parent],
        )  # fmt: skip
        if any(c.name == column.name for c in foreign[child]):
            continue
        foreign[child].append(column)
        relationships.append(
            Relationship(table_name[child], column.name, table_name[parent], key_of[parent], kind)
        )
    tables = []
    for words, draft in drafts.items():
        keys = [Column(key_of[words], f"{words}_id", "key", types.key)] if words in key_of else []
        columns = [*keys, *foreign[words], *draft.columns]
        tables.append(Table(table_name[words], words, draft.kind, tuple(columns)))
    return tuple(tables), tuple(relationships)


def iter_worlds(count: int, base_seed: int = 0) -> Iterator[World]:
    for key in world_keys(count):
        yield generate_world(key, base_seed)
