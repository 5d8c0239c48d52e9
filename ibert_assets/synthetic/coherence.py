"""Whether a generated world reads as one business: the spirit of the template coherence check
(:mod:`ibert_assets.templates.coherence`) applied to synthetic worlds.

* every table and column name comes from the world's own vocabulary (or the few words every
  table may use: its key, its name, when it was created, whether it is active);
* each category belongs to one table, with its vocabulary's pool (no ``cabin`` on both the
  airports and the bookings);
* references go the way the domain means: an event references the things it involves, a line
  item its event, a link table the two things it links, a thing its lookup or itself; never an
  entity another entity, never a thing its event.

>>> from ibert_assets.synthetic.worlds import generate_world
>>> world_problems(generate_world("world-0000"))
[]
"""

from __future__ import annotations

from collections import Counter

from ibert_assets.synthetic.vocabularies import VOCABULARIES, Vocabulary
from ibert_assets.synthetic.worlds import Table, World

# child kind -> the kinds of table it may reference
REFERENCES = {
    "fact": ("dimension",),
    "line": ("fact",),
    "link": ("dimension",),
    "dimension": ("lookup",),
    "lookup": (),
}
GENERIC_COLUMNS = ("created_at", "is_active", "date")


def world_problems(world: World) -> list[str]:
    """What makes ``world`` incoherent, as sentences (empty: none)."""
    vocabulary = VOCABULARIES.get(world.domain)
    if vocabulary is None:
        return [f"world {world.key}: unknown domain {world.domain!r}"]
    problems = []
    kinds = {t.name: t.kind for t in world.tables}
    for table in world.tables:
        if not _table_words_fit(table, vocabulary):
            problems.append(f"table {table.name} is not a {world.domain} thing or event")
        for column in table.columns:
            if not _column_words_fit(column.words, column.role, vocabulary):
                problems.append(f"{table.name}.{column.name} is not {world.domain} vocabulary")
            pool = vocabulary.categories.get(column.words)
            if column.role == "category" and column.values != pool:
                problems.append(f"{table.name}.{column.name} has another column's values")
    shared = Counter(
        c.words for t in world.tables for c in t.columns if c.role == "category"
    )  # fmt: skip
    problems += [f"category {words} is on {n} tables" for words, n in shared.items() if n > 1]
    for r in world.relationships:
        child, parent = kinds[r.child], kinds[r.parent]
        if r.kind == "self":
            if r.child != r.parent or child != "dimension":
                problems.append(f"{r.child}.{r.column} is a self-reference off an entity")
        elif parent not in REFERENCES[child]:
            problems.append(
                f"{r.child}.{r.column} references {r.parent}: a {child} table does not "
                f"reference a {parent} table"
            )
    return problems


def _table_words_fit(table: Table, vocabulary: Vocabulary) -> bool:
    things, events = set(vocabulary.things), set(vocabulary.events)
    words = table.words
    if table.kind == "dimension":
        return words in things
    if table.kind == "fact":
        return words in events
    if table.kind == "lookup":
        return words.removesuffix("_group") in things and words.endswith("_group")
    if table.kind == "line":
        return words.removesuffix("_line") in events and words.endswith("_line")
    # a link table: two things joined by an underscore
    return any(
        words == f"{a}_{b}" for a in vocabulary.things for b in vocabulary.things if a != b
    )  # fmt: skip


def _column_words_fit(words: str, role: str, vocabulary: Vocabulary) -> bool:
    names = {f"{t}_group" for t in vocabulary.things} | set(vocabulary.things)
    names |= set(vocabulary.events) | {f"{e}_line" for e in vocabulary.events}
    by_role = {
        "key": {f"{n}_id" for n in names},
        "foreign_key": {f"{n}_id" for n in names} | {f"parent_{n}_id" for n in names},
        "dimension": {f"{n}_name" for n in names},
        "category": set(vocabulary.categories),
        "count": set(vocabulary.counts),
        "money": set(vocabulary.money),
        "measure": set(vocabulary.measures),
        "text": set(vocabulary.texts),
        "date": set(vocabulary.dates),
        "flag": set(vocabulary.flags),
    }
    return words in by_role.get(role, set()) or words in GENERIC_COLUMNS
