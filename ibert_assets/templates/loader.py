"""SQL<->Ibis templates: YAML files of query families, expanded into examples.

The format is documented in ``templates/README.md``. A family's ``sql``, ``ibis`` and
``description`` texts hold ``{placeholders}``; its ``variations`` give each placeholder a list of
values (expanded as a cartesian product) or its ``cases`` give the combinations explicitly. A value
is a scalar, written the same in SQL, Ibis and prose, or a mapping with per-language spellings
(``{sql: "=", ibis: "==", text: "equal to"}``); ``{op.text}`` picks a spelling explicitly.

Every error names the file, the line and the field, and says what to do.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ibert_inference.bounded_yaml import YamlInputError, compose_yaml, load_yaml
from ibert_inference.errors import SchemaError, TemplateError
from ibert_inference.sandbox import current_settings
from ibert_inference.schema.tables import parse_dtype

DIFFICULTIES = ("easy", "medium", "hard")
DEFAULT_MAX_EXAMPLES = 60
_MAX_NESTING = 3
MAX_COMBINATIONS = 100_000
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_]+))?\}(?!\})")
_FAMILY_FIELDS = {
    "id", "description", "features", "difficulty", "sql", "ibis", "variations", "cases",
    "max_examples",
}  # fmt: skip


@dataclass(frozen=True)
class Family:
    id: str
    description: str
    sql: str
    ibis: str
    features: tuple[str, ...]
    difficulty: str
    combinations: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    description: str
    tables: dict[str, dict[str, str]]
    families: tuple[Family, ...]
    domains: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class TemplateExample:
    template: str
    family: str
    variation: dict[str, Any]
    sql: str
    ibis: str
    schema: dict[str, dict[str, str]]
    description: str
    features: list[str] = field(default_factory=list)
    difficulty: str = "easy"
    # values the columns this example names may hold (from the template's ``domains``)
    domains: dict[str, list[str]] = field(default_factory=dict)


class _Located:
    """Line numbers of YAML nodes by path (``("families", 2, "sql")``)."""

    def __init__(self, node: yaml.Node | None):
        self.lines: dict[tuple[Any, ...], int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                self.lines[(*path, key.value)] = key.start_mark.line + 1
                self._walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, (*path, index))

    def line(self, path: tuple[Any, ...]) -> int:
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def _field_name(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def load_template(path: str | Path) -> Template:
    """Load and check one template file."""
    path = Path(path)
    try:
        limit = current_settings().max_template_bytes
        if path.stat().st_size > limit:
            raise TemplateError(
                f"{path}: {path.stat().st_size:,} bytes; a template is at most {limit:,} "
                "(max_template_bytes)"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read the template: {exc.strerror}") from None
    try:
        # aliases refused and size bounded: an alias bomb fails here, before it expands
        node = compose_yaml(text, str(path))
        data = load_yaml(text, str(path))
    except YamlInputError as exc:
        raise TemplateError(f"{path}:{exc.line}: (YAML): {exc.problem} — fix the YAML") from None
    located = _Located(node)

    def fail(where: tuple[Any, ...], message: str) -> TemplateError:
        return TemplateError(f"{path}:{located.line(where)}: {_field_name(where)}: {message}")

    if not isinstance(data, dict):
        raise fail((), "expected a mapping with description, tables and families")
    for required in ("description", "tables", "families"):
        if required not in data:
            raise fail((), f"missing required field {required!r} — add it at the top level")
    if not isinstance(data["description"], str):
        raise fail(("description",), "must be a string")
    tables = data["tables"]
    if not isinstance(tables, dict) or not tables:
        raise fail(("tables",), "must map table names to {column: dtype} mappings")
    for table, columns in tables.items():
        if not isinstance(columns, dict) or not columns:
            raise fail(("tables", table), "must map column names to Ibis dtype strings")
        for column, dtype in columns.items():
            if not isinstance(dtype, str):
                raise fail(("tables", table, column), "the dtype must be a string")
            try:
                parse_dtype(dtype)
            except SchemaError as exc:
                raise fail(("tables", table, column), str(exc)) from None
    domains = _domains(data.get("domains", {}), tables, fail)
    default_difficulty = data.get("difficulty", "easy")
    if default_difficulty not in DIFFICULTIES:
        raise fail(("difficulty",), f"must be one of {', '.join(DIFFICULTIES)}")
    families = data["families"]
    if not isinstance(families, list) or not families:
        raise fail(("families",), "must be a non-empty list of query families")
    checked = tuple(
        _family(item, ("families", index), default_difficulty, fail)
        for index, item in enumerate(families)
    )
    ids = [family.id for family in checked]
    for index, family_id in enumerate(ids):
        if ids.index(family_id) != index:
            raise fail(("families", index, "id"), f"duplicate family id {family_id!r}")
    return Template(
        name=path.stem,
        path=path,
        description=data["description"],
        tables={t: {c: str(d) for c, d in cols.items()} for t, cols in tables.items()},
        families=checked,
        domains=domains,
    )


def _domains(value: Any, tables: dict[str, Any], fail: Any) -> dict[str, tuple[str, ...]]:
    """``domains: {column: [value, ...]}``: the string values a column really holds."""
    if not isinstance(value, dict):
        raise fail(("domains",), "must map column names to lists of values")
    columns = {column for cols in tables.values() for column in cols}
    for column, values in value.items():
        if column not in columns:
            raise fail(("domains", column), "no table has this column — check its name")
        if (
            not isinstance(values, list)
            or len(values) < 2
            or not all(isinstance(v, str) for v in values)
            or len(set(values)) != len(values)
        ):
            raise fail(("domains", column), "must be a list of two or more distinct strings")
    return {column: tuple(values) for column, values in value.items()}


def _family(item: Any, where: tuple[Any, ...], default_difficulty: str, fail: Any) -> Family:
    if not isinstance(item, dict):
        raise fail(where, "each family must be a mapping")
    unknown = set(item) - _FAMILY_FIELDS
    if unknown:
        raise fail(
            (*where, sorted(unknown)[0]), f"unknown field; allowed: {sorted(_FAMILY_FIELDS)}"
        )
    for required in ("id", "description", "sql", "ibis"):
        if required not in item:
            raise fail(where, f"missing required field {required!r} — add it to this family")
        if not isinstance(item[required], str) or not item[required].strip():
            raise fail((*where, required), "must be a non-empty string")
    features = item.get("features", [])
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise fail((*where, "features"), "must be a list of strings")
    difficulty = item.get("difficulty", default_difficulty)
    if difficulty not in DIFFICULTIES:
        raise fail((*where, "difficulty"), f"must be one of {', '.join(DIFFICULTIES)}")
    limit = item.get("max_examples", DEFAULT_MAX_EXAMPLES)
    if not isinstance(limit, int) or limit < 1:
        raise fail((*where, "max_examples"), "must be a positive integer")
    combinations = _combinations(item, where, fail)
    names = {name for combination in combinations for name in combination}
    for text_field in ("sql", "ibis", "description"):
        for match in _PLACEHOLDER.finditer(item[text_field]):
            if match.group(1) not in names:
                raise fail(
                    (*where, text_field),
                    f"placeholder {{{match.group(1)}}} has no value — add it to variations "
                    "or cases",
                )
    return Family(
        id=item["id"],
        description=item["description"],
        sql=item["sql"],
        ibis=item["ibis"],
        features=tuple(features),
        difficulty=difficulty,
        combinations=tuple(_spread(combinations, limit)),
    )


def _combinations(item: dict[str, Any], where: tuple[Any, ...], fail: Any) -> list[dict[str, Any]]:
    variations, cases = item.get("variations"), item.get("cases")
    if variations is not None and cases is not None:
        raise fail((*where, "cases"), "give either variations or cases, not both")
    if cases is not None:
        if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases) or not cases:
            raise fail((*where, "cases"), "must be a non-empty list of {placeholder: value}")
        keys = set(cases[0])
        for index, case in enumerate(cases):
            if set(case) != keys:
                raise fail((*where, "cases", index), f"must set exactly {sorted(keys)}")
        return [dict(case) for case in cases]
    if variations is None:
        return [{}]
    if not isinstance(variations, dict):
        raise fail((*where, "variations"), "must map each placeholder to a list of values")
    for name, values in variations.items():
        if not isinstance(values, list) or not values:
            raise fail((*where, "variations", name), "must be a non-empty list of values")
    names = list(variations)
    # counted before the product is built: 20 placeholders of 10 values are 10^20 examples
    count = math.prod(len(values) for values in variations.values())
    if count > MAX_COMBINATIONS:
        raise fail(
            (*where, "variations"),
            f"the placeholders multiply to {count:,} combinations; the limit is "
            f"{MAX_COMBINATIONS:,} — use fewer values, or list the wanted cases",
        )
    return [
        dict(zip(names, combo, strict=True)) for combo in itertools.product(*variations.values())
    ]


def _spread(items: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """At most ``limit`` items, evenly spread over the list (deterministic)."""
    if len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def render(text: str, values: dict[str, Any], language: str) -> str:
    """Fill ``{placeholders}`` of ``text`` with the spelling for ``language`` (sql|ibis|text).

    A spelling may itself name placeholders (a whole FROM clause holding ``{rank.sql}``): one
    question written in several SQL forms shares the other values.
    """

    def spelling(match: re.Match[str], depth: int) -> str:
        value = values[match.group(1)]
        key = match.group(2) or language
        if isinstance(value, dict):
            if key in value:
                return fill(str(value[key]), depth + 1)
            fallback = "sql" if language == "text" else None
            if fallback and fallback in value:
                return fill(str(value[fallback]), depth + 1)
            raise KeyError(f"{match.group(1)} has no {key!r} spelling")
        return str(value)

    def fill(part: str, depth: int) -> str:
        if depth > _MAX_NESTING:
            raise KeyError(f"placeholders nested deeper than {_MAX_NESTING} levels")
        return _PLACEHOLDER.sub(lambda match: spelling(match, depth), part)

    return fill(text, 0).replace("{{", "{").replace("}}", "}")


def expand_template(template: Template) -> list[TemplateExample]:
    """Every example of every family, in file order."""
    examples = []
    for family in template.families:
        for values in family.combinations:
            try:
                sql = render(family.sql, values, "sql")
                code = render(family.ibis, values, "ibis")
                description = render(family.description, values, "text")
            except KeyError as exc:
                raise TemplateError(
                    f"{template.path}: families.{family.id}: {exc.args[0]} — give the value "
                    "a spelling for each language it is used in"
                ) from None
            named = {
                column: list(values)
                for column, values in template.domains.items()
                if re.search(rf"\b{re.escape(column)}\b", sql)
            }
            examples.append(
                TemplateExample(
                    template=template.name,
                    family=family.id,
                    variation={k: v if not isinstance(v, dict) else v.get("sql", v)
                               for k, v in values.items()},
                    sql=sql.strip(),
                    ibis=code.strip(),
                    schema=template.tables,
                    description=description.strip(),
                    features=list(family.features),
                    difficulty=family.difficulty,
                    domains=named,
                )
            )  # fmt: skip
    return examples
