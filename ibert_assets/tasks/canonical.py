"""One canonical target per input: the documented Ibis style, and a choice among rivals.

The style (templates/README.md, "Canonical Ibis style"): columns as attributes of the deferred
``_`` or of a table (``_.amount``), subscripts only where a name cannot be an attribute (spaces,
keywords, names of Ibis methods, attributes the safe evaluator refuses to read such as
``format``). Rewriting ``_["amount"]`` to ``_.amount`` changes no meaning,
so a restyled target needs no new verification.

>>> canonical_style("result = t.filter(_['amount'] > 5).select(t['id'], _['count'])")
"result = t.filter(_.amount > 5).select(t.id, _['count'])"
>>> canonical_style("result = t.filter(_['format'] != 'pdf')")
"result = t.filter(_['format'] != 'pdf')"
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Iterable
from functools import cache

from ibert_assets.quality import input_key
from ibert_inference.dataset.record import Record, SqlToIbisTarget
from ibert_inference.safe_eval.evaluator import attribute_allowed

# who wins when two records give one input different targets: hand-written templates first
SOURCE_RANK = {"template": 0, "augmented": 1, "mined": 2, "docs": 3}


@cache
def _ibis_attributes() -> frozenset[str]:
    import ibis

    table = ibis.table({"x": "int64", "y": "string"}, name="t")
    return frozenset(dir(table) + dir(table.x) + dir(table.y) + dir(ibis._))


def canonical_style(code: str) -> str:
    """``code`` with column subscripts written as attributes where that means the same."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code
    changed = False

    class Attributes(ast.NodeTransformer):
        def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
            nonlocal changed
            self.generic_visit(node)
            name = node.slice.value if isinstance(node.slice, ast.Constant) else None
            if (
                isinstance(node.value, ast.Name)
                and isinstance(name, str)
                and name.isidentifier()
                and not keyword.iskeyword(name)
                and not name.startswith("_")
                and name not in _ibis_attributes()
                and attribute_allowed(name)  # `_.format` would be refused, `_['format']` runs
            ):
                changed = True
                return ast.copy_location(ast.Attribute(node.value, name, node.ctx), node)
            return node

    new_tree = Attributes().visit(tree)
    return ast.unparse(new_tree) if changed else code


def one_target_per_input(records: Iterable[Record]) -> tuple[list[Record], int]:
    """The records with, for every input, only the preferred target (by source, then the
    shorter code, then id); and how many records lost to a rival were dropped."""
    best: dict[str, Record] = {}
    order: list[str] = []
    dropped = 0
    for record in records:
        key = input_key(record)
        if key not in best:
            best[key] = record
            order.append(key)
            continue
        if best[key].target != record.target:
            dropped += 1
        if _preference(record) < _preference(best[key]):
            best[key] = record
    return [best[key] for key in order], dropped


def _preference(record: Record) -> tuple[int, int, str]:
    source = record.meta.source
    wanted = record.target
    code = wanted.ibis if isinstance(wanted, SqlToIbisTarget) else ""
    code = code or str(wanted.to_dict())
    return SOURCE_RANK.get(source, len(SOURCE_RANK)), len(code), record.id
