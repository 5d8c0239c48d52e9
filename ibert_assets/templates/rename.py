"""Re-targeting a verified pair onto one domain's vocabulary, or not renaming it at all.

The template's schema is mapped onto one domain of :mod:`ibert_assets.templates.vocabulary`: each
table becomes a distinct entity of that domain, each column a column of *that* entity with the
role the old one had (a price stays money, a minute count stays minutes, a flag a flag), the
dtype kept. A key that names a table of the schema follows it (``customer_id`` ->
``patient_id``) where the new entity may reference that one (an admission has a
``patient_id``, a patient no ``admission_id``); ``id`` stays ``id``; a key naming no table of
the schema becomes the key of an entity its table may reference. String literals compared with
a renamed column take one of its values. Aliases and output names are re-spelled from the new
names (``avg_amount`` -> ``avg_unit_price``), and the question is retold: where an alias, an
output name or a word of the question cannot follow (it says "delayed" of a column now called
``copay``), the pair is not renamed (:func:`retarget` returns None).

>>> plan = rename_plan({"customers": {"id": "int64", "city": "string"}}, taken=set(), seed=3)
>>> plan.domain, plan.tables["customers"], plan.columns["city"]
('banking', 'clients', 'city')
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from functools import cache
from itertools import permutations

from sqlglot import exp

from ibert_assets.templates.coherence import (
    foreign_literals,
    foreign_words,
    literal_words,
    schema_domain,
    value_words,
)
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


def retarget(
    tree: exp.Expr,
    code: ast.Module,
    schema: Mapping[str, Mapping[str, str]],
    description: str,
    seed: int,
) -> tuple[str, str, dict[str, dict[str, str]], str] | None:
    """The SQL (``tree``, changed in place), Ibis code (``code``, changed in place), schema and
    description re-targeted onto one domain; None where a name, an alias or a word of the
    question cannot follow."""
    old_names = set(schema) | {c for columns in schema.values() for c in columns}
    taken = _identifiers(tree, code) - old_names
    plan = rename_plan(schema, taken=taken, seed=seed, joined=_joined_columns(tree))
    if plan is None or set(plan.columns.values()) & _ibis_attributes():
        return None
    for literal in tree.find_all(exp.Literal):
        column = compared_column(literal)
        if literal.is_string and column in plan.columns:
            new_value = literal_for(plan.columns[column], literal.this, seed)
            if new_value is None:
                return None  # the new column has no known values to compare with
            plan.literals.setdefault(literal.this, new_value)
    new_schema = {
        plan.tables[t]: {plan.columns.get(c, c): d for c, d in cols.items()}
        for t, cols in schema.items()
    }
    allowed = new_words(plan, schema)
    for alias in sorted(_aliases(tree, code) - old_names):
        renamed = alias_name(alias, plan, allowed)
        if renamed is None:
            return None  # an output name of the old schema (``avg_delay``) cannot follow
        if renamed != alias:
            plan.aliases[alias] = renamed
    new_names = set(new_schema) | {c for columns in new_schema.values() for c in columns}
    if len(set(plan.aliases.values())) < len(plan.aliases) or set(plan.aliases.values()) & (
        new_names | taken
    ):
        return None
    new_code = _rename_ibis(code, plan)
    if new_code is None:
        return None
    sql = _rename_sql(tree, plan).sql(dialect="duckdb")
    said = {word.lower() for word in re.findall(r"\w+", description)}
    if said & ambiguous_words(schema):
        return None  # "per venue" of a table venues with a column venue: which one is meant?
    new_description = retell(description, word_forms(plan), plan.literals)
    if foreign_words(new_description, allowed | literal_words(sql)):
        return None  # the question says something of the old schema the new one cannot mean
    if foreign_literals(sql, allowed | value_words(new_schema)):
        return None  # a value of the old schema (``COALESCE(insurer, 'self-pay')``) stays
    if schema_domain(new_schema) != plan.domain:
        return None
    return sql, new_code, new_schema, new_description


def compared_column(literal: exp.Literal) -> str | None:
    """The column a literal is compared with (``city = 'Oslo'``, ``city IN ('Oslo')``)."""
    parent = literal.parent
    if isinstance(parent, exp.EQ | exp.NEQ):
        other = parent.left if parent.right is literal else parent.right
        return other.name if isinstance(other, exp.Column) else None
    if isinstance(parent, exp.In) and isinstance(parent.this, exp.Column):
        return parent.this.name
    return None


def _rename_sql(tree: exp.Expr, plan: RenamePlan) -> exp.Expr:
    names = {**plan.tables, **plan.aliases, **plan.columns}
    relations = {**plan.aliases, **plan.tables}  # a CTE's name is an alias

    def rename(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Identifier):
            mapping = relations if isinstance(node.parent, exp.Table) else names
            if node.name in mapping:
                node.set("this", mapping[node.name])
        elif isinstance(node, exp.Literal) and node.is_string and node.this in plan.literals:
            node.set("this", plan.literals[node.this])
        return node

    return tree.transform(rename)


def _joined_columns(tree: exp.Expr) -> set[str]:
    """Columns compared with another column (join keys, correlated subqueries)."""
    return {
        side.name
        for eq in tree.find_all(exp.EQ)
        if isinstance(eq.left, exp.Column) and isinstance(eq.right, exp.Column)
        for side in (eq.left, eq.right)
    }


# Ibis calls whose keyword arguments name output columns
_OUTPUT_CALLS = frozenset({"agg", "aggregate", "select", "mutate", "group_by", "rename"})


def _aliases(tree: exp.Expr, code: ast.Module) -> set[str]:
    """Names either side gives its results: SQL aliases, CTE and table aliases, Ibis variables
    and output names (``agg(avg_delay=...)``, ``.name("total")``)."""
    names = {node.alias for node in tree.find_all(exp.Alias)}
    names |= {node.name for node in tree.find_all(exp.TableAlias)}
    for node in ast.walk(code):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _OUTPUT_CALLS:
                names |= {k.arg for k in node.keywords if k.arg}
            elif node.func.attr == "name" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
    return names - {"result", "", "_", "s", "ibis"}


def _identifiers(tree: exp.Expr, code: ast.Module) -> set[str]:
    """Every name either side already uses: aliases, variables, keywords, strings."""
    names = {node.name for node in tree.find_all(exp.Identifier, exp.TableAlias)}
    names |= {node.alias for node in tree.find_all(exp.Alias)}
    for node in ast.walk(code):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(node.arg)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.add(node.value)
    return names


@cache
def _ibis_attributes() -> frozenset[str]:
    """Names of Ibis table and column members: a column named like one cannot be ``t.name``."""
    import ibis

    table = ibis.table({"x": "int64", "y": "string", "z": "float64"}, name="t")
    return frozenset(dir(table) + dir(table.x) + dir(table.y) + dir(table.z))


def _rename_ibis(tree: ast.Module, plan: RenamePlan) -> str | None:
    tables = plan.tables
    bound = {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    if bound & set(tables.values()) or bound & set(tables):
        return None  # a variable shadows a table name: renaming would be ambiguous
    names = {**tables, **plan.aliases, **plan.columns}
    variables = {**plan.aliases, **tables}

    class Renamer(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            node.id = variables.get(node.id, node.id)
            return node

        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            self.generic_visit(node)
            node.attr = names.get(node.attr, node.attr)
            return node

        def visit_keyword(self, node: ast.keyword) -> ast.AST:
            self.generic_visit(node)
            if node.arg is not None:
                node.arg = names.get(node.arg, node.arg)
            return node

        def visit_Constant(self, node: ast.Constant) -> ast.AST:
            if isinstance(node.value, str) and node.value in names:
                node.value = names[node.value]
            elif isinstance(node.value, str) and node.value in plan.literals:
                node.value = plan.literals[node.value]
            return node

    return ast.unparse(Renamer().visit(tree))


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
