"""Coherent renaming of a verified pair: new names keep each column's type and role.

A table becomes another entity (``customers`` -> ``clients``), a key that names a table of the
schema follows it (``customer_id`` -> ``client_id``, so joins still read as joins), ``id`` stays
``id``, and every other column takes a name from a pool of its own dtype (a float becomes
``price`` or ``weight``, never ``city``). String literals compared with a renamed column take a
value of the new column's domain (``region = 'north'``, not ``region = 'shipped'``).

>>> plan = rename_plan({"customers": {"id": "int64", "city": "string"}}, taken=set(), seed=3)
>>> plan.tables["customers"], plan.columns.get("id", "id")
('projects', 'id')
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

ENTITIES = (
    ("clients", "client"), ("members", "member"), ("vendors", "vendor"), ("projects", "project"),
    ("devices", "device"), ("tickets", "ticket"), ("shipments", "shipment"),
    ("patients", "patient"), ("courses", "course"), ("invoices", "invoice"),
    ("players", "player"), ("branches", "branch"), ("trips", "trip"), ("loans", "loan"),
)  # fmt: skip
# column names by dtype family; each pool keeps the role its names announce (see quality.py)
COLUMN_POOLS: Mapping[str, tuple[str, ...]] = {
    "int": ("quantity", "units", "visits", "seats", "stock_level", "rank_value", "attempts"),
    "float": ("price", "weight", "score", "budget", "rate", "balance", "distance", "fee"),
    "string": ("region", "category", "channel", "tier", "brand", "city", "station", "label"),
    "boolean": ("is_active", "is_flagged", "has_discount", "is_verified"),
    "date": ("start_date", "due_date", "event_date", "renewal_date"),
    "timestamp": ("created_at", "updated_at", "logged_at", "closed_at"),
}
# values a string column of that name plausibly holds
DOMAINS: Mapping[str, tuple[str, ...]] = {
    "region": ("north", "south", "east", "west"),
    "category": ("books", "garden", "toys", "grocery"),
    "channel": ("web", "mobile", "store", "phone"),
    "tier": ("gold", "silver", "bronze", "basic"),
    "brand": ("Acme", "Globex", "Initech", "Umbrella"),
    "city": ("Oslo", "Lima", "Osaka", "Porto"),
    "station": ("central", "harbour", "airport", "museum"),
    "label": ("urgent", "normal", "low", "review"),
}
_FAMILY = (
    ("bool", "boolean"), ("int", "int"), ("uint", "int"), ("float", "float"),
    ("decimal", "float"), ("string", "string"), ("timestamp", "timestamp"), ("date", "date"),
)  # fmt: skip


@dataclass
class RenamePlan:
    """Old name -> new name for tables and columns, and old string literal -> new value."""

    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    literals: dict[str, str] = field(default_factory=dict)


def dtype_family(dtype: str) -> str | None:
    """``int``, ``float``, ``string``, ``boolean``, ``date`` or ``timestamp``; None otherwise."""
    lowered = dtype.lower().lstrip("!")
    return next((family for prefix, family in _FAMILY if lowered.startswith(prefix)), None)


def singular(table: str) -> str:
    if table.endswith("ies"):
        return table[:-3] + "y"
    if table.endswith(("ches", "shes", "sses")):
        return table[:-2]
    return table[:-1] if table.endswith("s") else table


def rename_plan(
    schema: Mapping[str, Mapping[str, str]], *, taken: set[str], seed: int
) -> RenamePlan | None:
    """A coherent renaming of ``schema`` avoiding ``taken`` names; None if none is possible."""
    rng = random.Random(seed)
    free_entities = [e for e in ENTITIES if e[0] not in taken and e[0] not in schema]
    if len(free_entities) < len(schema):
        return None
    plan = RenamePlan()
    entities = dict(zip(schema, rng.sample(free_entities, len(schema)), strict=True))
    plan.tables = {table: plural for table, (plural, _) in entities.items()}
    keys = {f"{singular(table)}_id": f"{one}_id" for table, (_, one) in entities.items()}
    dtypes: dict[str, set[str]] = {}
    for columns in schema.values():
        for column, dtype in columns.items():
            dtypes.setdefault(column, set()).add(dtype)
    used = set(taken) | set(dtypes)
    for column in sorted(dtypes):
        if column == "id" or re.search(r"_id$", column):
            if column in keys:
                plan.columns[column] = keys[column]
            continue  # a key keeps its name unless the table it names was renamed
        family = dtype_family(next(iter(dtypes[column]))) if len(dtypes[column]) == 1 else None
        pool = [name for name in COLUMN_POOLS.get(family or "", ()) if name not in used]
        if not pool:
            continue  # no name of the same kind is free: the column keeps its name
        plan.columns[column] = rng.choice(pool)
        used.add(plan.columns[column])
    return plan


def literal_for(column: str, old: str, seed: int) -> str | None:
    """A value from the domain of the (renamed) ``column`` in place of ``old``, if it has one."""
    domain = DOMAINS.get(column)
    if not domain:
        return None
    return random.Random(f"{seed}:{old}").choice(domain)


def word_forms(plan: RenamePlan) -> dict[str, str]:
    """Every word a description may use for a renamed thing: a table and its singular
    (``orders``/``order``), a column and its plural (``amount``/``amounts``), a literal."""
    forms: dict[str, str] = {}
    for old, new in plan.tables.items():
        forms[singular(old)] = singular(new)
        forms[old] = new
    for old, new in plan.columns.items():
        forms[f"{old}s"] = f"{new}s"
        forms[old] = new
    forms.update(plan.literals)
    return forms


def retell(description: str, replacements: Mapping[str, str]) -> str:
    """``description`` with whole words replaced in one pass (``customer_id`` also as
    ``customer id``, ``Orders`` as well as ``orders``), so one rename never feeds another.

    >>> retell("Orders with amount above 5", {"orders": "trips", "amount": "price", "price": "fee"})
    'Trips with price above 5'
    """
    spelled: dict[str, str] = {}
    for old, new in replacements.items():
        for a, b in ((old, new), (old.replace("_", " "), new.replace("_", " "))):
            spelled[a] = b
            spelled[a[:1].upper() + a[1:]] = b[:1].upper() + b[1:]
    if not spelled:
        return description
    words = "|".join(re.escape(word) for word in sorted(spelled, key=len, reverse=True))
    return re.sub(rf"(?<!\w)(?:{words})(?!\w)", lambda m: spelled[m.group(0)], description)
