"""Arrays: literal arrays, SPLIT, indexing, ARRAY_SORT, ARRAY_SIZE / ARRAY_LENGTH, ARRAY_CONTAINS,
ARRAY_TO_STRING.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"tags": "array<string>"}}
>>> print(sql_to_ibis("SELECT array_length(array_sort(tags)) AS n FROM t", schema).code, end="")
result = t.select(n=_.tags.sort().length())
"""

from __future__ import annotations

import ibis
from sqlglot import exp

from ibert_inference.translate.codegen import Code
from ibert_inference.translate.expressions import ExpressionTranslator, method
from ibert_inference.translate.parse import unsupported


class ArrayMixin(ExpressionTranslator):
    """Array handlers for :class:`ExpressionTranslator`."""

    def on_array(self, node: exp.Array) -> Code:
        items = [self.translate(e) for e in node.expressions]
        if not items:
            raise unsupported("an empty array literal (its element type is unknown)", node)
        src = "ibis.array([" + ", ".join(i.src for i in items) + "])"
        return Code(src, ibis.array([i.val for i in items]))

    def on_split(self, node: exp.Split) -> Code:
        """SPLIT(s, d) into an array of strings; a computed or empty delimiter is refused (the
        dialects differ on it)."""
        delimiter = node.expression
        if not (isinstance(delimiter, exp.Literal) and delimiter.is_string and delimiter.this):
            raise unsupported("SPLIT with a computed or empty delimiter", node)
        return method(self.translate(node.this), "split", self.translate(delimiter))

    def on_bracket(self, node: exp.Bracket) -> Code:
        """``array[i]`` with a literal index, counted from the dialect's first index (0 in
        Snowflake, 1 in DuckDB and Postgres): sqlglot's parser already counts it from 0."""
        (index,) = node.expressions if len(node.expressions) == 1 else (None,)
        if not (isinstance(index, exp.Literal) and index.is_int):
            raise unsupported("array subscript other than one literal index", node)
        position = int(index.this)
        if position < 0:
            raise unsupported("array subscript before the first element", node)
        array = self.translate(node.this)
        if not array.val.type().is_array():
            raise unsupported("subscript of a value that is not an array", node)
        return Code(f"{array.operand()}[{position}]", array.val[position])

    def on_sortarray(self, node: exp.SortArray) -> Code:
        ascending = node.args.get("asc")
        if ascending is not None and not (isinstance(ascending, exp.Boolean) and ascending.this):
            raise unsupported("ARRAY_SORT in descending order", node)
        return method(self.translate(node.this), "sort")

    def on_arraysize(self, node: exp.ArraySize) -> Code:
        dimension = node.args.get("expression")
        if dimension is not None and not (
            isinstance(dimension, exp.Literal) and dimension.this == "1"
        ):
            raise unsupported("ARRAY_LENGTH of a dimension other than 1", node)
        return method(self.translate(node.this), "length")

    def on_arraycontains(self, node: exp.ArrayContains) -> Code:
        return method(self.translate(node.this), "contains", self.translate(node.expression))

    def on_arraytostring(self, node: exp.ArrayToString) -> Code:
        if node.args.get("null") is not None:
            raise unsupported("ARRAY_TO_STRING with a NULL replacement", node)
        return method(self.translate(node.this), "join", self.translate(node.expression))
