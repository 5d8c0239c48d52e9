"""Re-targeting a verified pair onto one domain's vocabulary, or not renaming it at all.

The template's schema is mapped onto one domain of :mod:`ibert_assets.templates.vocabulary`: each
table becomes a distinct entity of that domain, each column a column of *that* entity with the
role the old one had (a price stays money, a minute count stays minutes, a flag a flag), the
dtype kept. A key that names a table of the schema follows it (``customer_id`` ->
``patient_id``), ``id`` stays ``id``, a key naming no table of the schema becomes the key of
another entity of the domain. String literals compared with a renamed column take one of its
values. Aliases and output names are re-spelled from the new names (``avg_amount`` ->
``avg_unit_price``), and the question is retold: where an alias, an output name or a word of the
question cannot follow (it says "delayed" of a column now called ``copay``), the pair is not
renamed (:func:`rename_plan` and :func:`alias_name` return None).

>>> plan = rename_plan({"customers": {"id": "int64", "city": "string"}}, taken=set(), seed=3)
>>> plan.domain, plan.tables["customers"], plan.columns["city"]
('banking', 'clients', 'city')
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from itertools import permutations

from ibert_assets.templates.vocabulary import (
    DOMAINS,
    GENERAL_WORDS,
    POOLS,
    REFERENCES,
    column_role,
    entity_columns,
    is_key,
    vocabulary_words,
)


@dataclass
class RenamePlan:
    """Old name -> new name for tables, columns and aliases, old string literal -> new value,
    and the domain the new names come from."""

    domain: str = ""
    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    literals: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)


def singular(table: str) -> str:
    if table.endswith("ies"):
        return table[:-3] + "y"
    if table.endswith(("ches", "shes", "sses")):
        return table[:-2]
    return table[:-1] if table.endswith("s") else table


def rename_plan(
    schema: Mapping[str, Mapping[str, str]],
    *,
    taken: Set[str],
    seed: int,
    joined: Set[str] = frozenset(),
) -> RenamePlan | None:
    """A renaming of ``schema`` onto one domain, avoiding ``taken`` names; None if no domain
    fits. ``joined`` are the columns compared with another column (join keys): a key among them
    that names no table of the schema cannot be re-targeted."""
    if set(schema) & {c for columns in schema.values() for c in columns}:
        return None  # a table named like a column: renaming one would rename the other
    rng = random.Random(seed)
    domains = sorted(DOMAINS)
    rng.shuffle(domains)
    for domain in domains:
        plan = _plan_onto(domain, schema, taken, joined, rng)
        if plan is not None:
            return plan
    return None


def _plan_onto(
    domain: str,
    schema: Mapping[str, Mapping[str, str]],
    taken: Set[str],
    joined: Set[str],
    rng: random.Random,
) -> RenamePlan | None:
    """The first assignment of the schema's tables to distinct entities of ``domain`` (in a
    seeded order) under which every reference keeps its direction (a table's key naming
    another table becomes a key of an entity it may reference) and every column has a column of
    its role in its entity."""
    entities = [e for e in sorted(DOMAINS[domain]) if e not in taken]
    if len(entities) < len(schema):
        return None
    references = {
        (table, owner)
        for table, columns in schema.items()
        for column in columns
        if column.endswith("_id")
        for owner in [_owner(column, schema)]
        if owner is not None and owner != table
    }
    orders = list(permutations(entities, len(schema)))
    rng.shuffle(orders)
    for order in orders[:_ASSIGNMENTS_TRIED]:
        tables = dict(zip(schema, order, strict=True))
        if any(tables[owner] not in REFERENCES[domain][tables[t]] for t, owner in references):
            continue
        plan = RenamePlan(domain=domain, tables=tables)
        for table, entity in tables.items():
            columns = _columns_onto(schema[table], entity_columns(domain, entity), plan, taken, rng)
            if columns is None:
                break
            plan.columns.update(columns)
        else:
            if _keys_onto(domain, schema, plan, joined):
                return plan
    return None


_ASSIGNMENTS_TRIED = 24  # every order of three tables over four entities


def _columns_onto(
    columns: Mapping[str, str],
    vocabulary: Mapping[str, object],
    plan: RenamePlan,
    taken: Set[str],
    rng: random.Random,
) -> dict[str, str] | None:
    """Each non-key column -> a column of ``vocabulary`` with its role, None if one has none."""
    chosen: dict[str, str] = {}
    used = set(plan.columns.values())
    for column, dtype in sorted(columns.items()):
        if is_key(column):
            continue
        if column in plan.columns:  # named in another table too: the same new name here
            target = plan.columns[column]
            if target not in vocabulary or target in chosen.values():
                return None
            chosen[column] = target
            continue
        role = column_role(column, dtype)
        options = sorted(
            name
            for name, spec in vocabulary.items()
            if getattr(spec, "role", None) == role
            and name not in used
            and name not in chosen.values()
            and (name not in taken or name == column)
        )
        if not options:
            return None
        # the same name where the entity has it (``city`` stays ``city``), else one sharing a
        # word with it (``category`` -> ``drug_category``), else any of the role
        parts = set(column.split("_"))
        preferred = [n for n in options if n == column] or [
            n for n in options if parts & set(n.split("_"))
        ]
        chosen[column] = rng.choice(preferred or options)
    return chosen


def _keys_onto(
    domain: str, schema: Mapping[str, Mapping[str, str]], plan: RenamePlan, joined: Set[str]
) -> bool:
    """Add every ``*_id`` key to ``plan``: after the table it names, or, for a key naming no
    table of the schema, the key of an entity every table holding it may reference."""
    one = {entity: single for entity, (single, _) in DOMAINS[domain].items()}
    keys = sorted({c for columns in schema.values() for c in columns if c.endswith("_id")})
    for key in keys:
        owner = _owner(key, schema)
        if owner is not None:
            new = f"{one[plan.tables[owner]]}_id"
        elif key in joined:
            return False  # a join key naming no table here (``manager_id``) keeps no meaning
        else:
            holders = [plan.tables[t] for t, columns in schema.items() if key in columns]
            spare = [
                e
                for e in sorted(DOMAINS[domain])
                if e not in plan.tables.values()
                and f"{one[e]}_id" not in plan.columns.values()
                and all(e in REFERENCES[domain][holder] for holder in holders)
            ]
            if not spare:
                return False
            new = f"{one[spare[0]]}_id"
        if new in plan.columns.values():
            return False
        plan.columns[key] = new
    return True


def _owner(key: str, schema: Mapping[str, Mapping[str, str]]) -> str | None:
    """The table of the schema a ``*_id`` key names (``dept_id`` -> ``departments``)."""
    named = key.removesuffix("_id")
    for table in schema:
        one = singular(table)
        if named in (table, one) or one.startswith(named) or one.endswith(f"_{named}"):
            return table
    return None


def literal_for(column: str, old: str, seed: int) -> str | None:
    """A value of the (renamed) ``column`` in place of ``old``; None if it has no known values."""
    pool = POOLS.get(column)
    if not pool:
        return None
    return random.Random(f"{seed}:{old}").choice(pool)


def new_words(plan: RenamePlan, schema: Mapping[str, Mapping[str, str]]) -> set[str]:
    """The words the renamed pair may use: its tables, their singulars, its columns."""
    words: set[str] = set()
    for table in plan.tables.values():
        words |= vocabulary_words(table) | vocabulary_words(singular(table))
    for columns in schema.values():
        for column in columns:
            words |= vocabulary_words(plan.columns.get(column, column).removesuffix("_id"))
    return words


def alias_name(alias: str, plan: RenamePlan, allowed: Set[str]) -> str | None:
    """``alias`` re-spelled with the new names (``avg_amount`` -> ``avg_unit_price``); None where
    a part of it still belongs to the old schema (``avg_delay`` of a renamed ``delay_min``)."""
    names = {**plan.tables, **{singular(k): singular(v) for k, v in plan.tables.items()}}
    names.update(plan.columns)
    parts = alias.split("_")
    out: list[str] = []
    index = 0
    while index < len(parts):
        for end in range(len(parts), index, -1):  # the longest run of parts that is a name
            run = "_".join(parts[index:end])
            if run in names:
                out.append(names[run])
                index = end
                break
        else:
            out.append(parts[index])
            index += 1
    renamed = "_".join(out)
    for part in renamed.split("_"):
        lowered = part.lower()
        if len(lowered) > 2 and not lowered.isdigit() and lowered not in allowed | GENERAL_WORDS:
            return None
    return renamed


def ambiguous_words(schema: Mapping[str, Mapping[str, str]]) -> set[str]:
    """Words that name both a table (or its singular) and a column (``venue`` of ``venues`` and
    ``venues.venue``): a question using one cannot say which a renaming should follow."""
    tables = {form for table in schema for form in (table, singular(table))}
    return tables & {column for columns in schema.values() for column in columns}


def word_forms(plan: RenamePlan) -> dict[str, str]:
    """Every word a description may use for a renamed thing: a table and its singular
    (``orders``/``order``), a column and its plural (``amount``/``amounts``)."""
    forms: dict[str, str] = {}
    for old, new in plan.tables.items():
        forms[singular(old)] = singular(new)
        forms[old] = new
    for old, new in plan.columns.items():
        forms[f"{old}s"] = f"{new}s"
        forms[old] = new
    return forms


def retell(
    description: str, replacements: Mapping[str, str], exact: Mapping[str, str] | None = None
) -> str:
    """``description`` with whole words replaced in one pass (``customer_id`` also as
    ``customer id``, ``Orders`` as well as ``orders``), so one rename never feeds another;
    ``exact`` words (literal values) are replaced as they are spelled.

    >>> retell("Orders with amount above 5", {"orders": "trips", "amount": "price", "price": "fee"})
    'Trips with price above 5'
    """
    spelled: dict[str, str] = {}
    for old, new in replacements.items():
        for a, b in ((old, new), (old.replace("_", " "), new.replace("_", " "))):
            spelled[a] = b
            spelled[a[:1].upper() + a[1:]] = b[:1].upper() + b[1:]
    spelled.update(exact or {})
    if not spelled:
        return description
    words = "|".join(re.escape(word) for word in sorted(spelled, key=len, reverse=True))
    return re.sub(rf"(?<!\w)(?:{words})(?!\w)", lambda m: spelled[m.group(0)], description)
