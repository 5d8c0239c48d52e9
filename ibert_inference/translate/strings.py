"""Strings: SUBSTRING, TRIM, CONCAT and ||, REPLACE, STRPOS, LEFT/RIGHT, padding, regexes.

>>> from ibert_inference.translate import sql_to_ibis
>>> schema = {"t": {"s": "string"}}
>>> print(sql_to_ibis("SELECT SUBSTRING(s, 2, 3) AS part FROM t", schema).code, end="")
result = t.select(part=_.s.substr(1, 3))
"""

from __future__ import annotations

import re

from sqlglot import exp

from ibert_inference.translate.codegen import Code
from ibert_inference.translate.expressions import (
    ExpressionTranslator,
    _pair,
    as_expr,
    binary,
    function,
    lit,
    method,
)
from ibert_inference.translate.parse import unsupported


def first_match_only(pattern: str, replacement: str) -> tuple[str, str]:
    r"""A pattern and replacement that, replaced everywhere (Ibis ``re_replace``), replace only
    the first match: anchored at the start, the text before the match kept as group 1.

    >>> first_match_only("a(n)", "<\\1>")
    ('(?s)^(.*?)(?:a(n))', '\\1<\\2>')
    """
    shifted = re.sub(r"\\(\d)", lambda m: "\\" + str(int(m.group(1)) + 1), replacement)
    return f"(?s)^(.*?)(?:{pattern})", "\\1" + shifted


class StringMixin(ExpressionTranslator):
    """String handlers for :class:`ExpressionTranslator`."""

    def on_like(self, node: exp.Like) -> Code:
        return self._like(node, "like")

    def on_ilike(self, node: exp.ILike) -> Code:
        return self._like(node, "ilike")

    def _like(self, node: exp.Like | exp.ILike, name: str) -> Code:
        """``x LIKE p``; ``x LIKE ANY ('a%', 'b%')`` (Snowflake) as the OR of the patterns."""
        subject, pattern = self.translate(node.this), node.expression
        if not isinstance(pattern, exp.Any):
            return method(subject, name, self.translate(pattern))
        patterns = pattern.this.expressions if isinstance(pattern.this, exp.Tuple) else []
        if not patterns:
            raise unsupported(f"{name.upper()} ANY over anything but a list of patterns", node)
        result = method(subject, name, self.translate(patterns[0]))
        for other in patterns[1:]:
            result = binary(result, "|", method(subject, name, self.translate(other)))
        return result

    def on_escape(self, node: exp.Escape) -> Code:
        """``LIKE '%\\_%' ESCAPE '\\'``: Ibis's like has no escape; a literal infix, prefix or
        suffix becomes contains / startswith / endswith."""
        like, escape = node.this, node.expression
        pattern = like.expression
        if not (
            isinstance(like, exp.Like)
            and isinstance(pattern, exp.Literal)
            and isinstance(escape, exp.Literal)
            and len(escape.this) == 1
        ):
            raise unsupported("LIKE ... ESCAPE", node)
        text, esc = pattern.this, escape.this
        leading, trailing = (
            text.startswith("%"),
            text.endswith("%") and not text.endswith(esc + "%"),
        )
        core = text[1 if leading else 0 : len(text) - 1 if trailing else len(text)]
        literal, i = [], 0
        while i < len(core):
            if core[i] == esc and i + 1 < len(core):
                literal.append(core[i + 1])
                i += 2
                continue
            if core[i] in "%_":
                raise unsupported("LIKE ... ESCAPE with wildcards inside the pattern", node)
            literal.append(core[i])
            i += 1
        name = {(True, True): "contains", (False, True): "startswith", (True, False): "endswith"}
        subject = self.translate(like.this)
        if not leading and not trailing:
            return binary(subject, "==", lit("".join(literal)))
        return method(subject, name[(leading, trailing)], lit("".join(literal)))

    def on_substring(self, node: exp.Substring) -> Code:
        position = node.args.get("start") or exp.Literal.number(1)
        if not _from_one_on(position):
            # SQL reads a position of 0 or less in its own ways (DuckDB: 0 is before the first
            # character, -1 the last one; Postgres: before the string), Ibis substr as an offset
            # from the end: only a position known to be 1 or more means the same in both
            raise unsupported(
                "SUBSTRING from a position that may be 0 or less (SQL and Ibis count those "
                "differently); a literal position of 1 or more, or STRPOS/LENGTH + 1, translates",
                node,
            )
        subject = self.translate(node.this)
        start = self.translate(position)
        start0 = lit(start.val - 1) if start.literal else binary(start, "-", lit(1))
        length = node.args.get("length")
        if length is None:
            return method(subject, "substr", start0)
        return method(subject, "substr", start0, self.translate(length))

    def on_trim(self, node: exp.Trim) -> Code:
        if node.expression is not None:
            raise unsupported("TRIM with characters", node)
        position = (node.args.get("position") or "BOTH").upper()
        name = {"LEADING": "lstrip", "TRAILING": "rstrip"}.get(position, "strip")
        return method(self.translate(node.this), name)

    def on_concat(self, node: exp.Concat) -> Code:
        parts = [self.translate(e) for e in node.expressions]
        key = self.behaviour("concat")
        if key == "skip_nulls" or (key is None and node.args.get("coalesce")):
            parts = [p if p.literal else method(p, "fill_null", lit("")) for p in parts]
        return self._concat(parts)

    def on_dpipe(self, node: exp.DPipe) -> Code:
        parts = [self.translate(node.this), self.translate(node.expression)]
        return self._concat(parts)

    def _concat(self, parts: list[Code]) -> Code:
        # A leading string literal stays a Python str: "%" + _.name works, ibis.literal + _ not.
        result = as_expr(parts[0]) if all(p.literal for p in parts) else parts[0]
        for part in parts[1:]:
            result = binary(result, "+", part)
        return result

    def on_replace(self, node: exp.Replace) -> Code:
        return method(
            self.translate(node.this),
            "replace",
            self.translate(node.expression),
            self.translate(node.args["replacement"]),
        )

    def on_strposition(self, node: exp.StrPosition) -> Code:
        found = method(self.translate(node.this), "find", self.translate(node.args["substr"]))
        return binary(found, "+", lit(1))

    def on_left(self, node: exp.Left) -> Code:
        return method(self.translate(node.this), "left", self.translate(node.expression))

    def on_right(self, node: exp.Right) -> Code:
        return method(self.translate(node.this), "right", self.translate(node.expression))

    def on_pad(self, node: exp.Pad) -> Code:
        name = "lpad" if node.args.get("is_left") else "rpad"
        args = [self.translate(node.expression)]
        if node.args.get("fill_pattern") is not None:
            args.append(self.translate(node.args["fill_pattern"]))
        return method(self.translate(node.this), name, *args)

    def on_contains(self, node: exp.Contains) -> Code:
        return method(self.translate(node.this), "contains", self.translate(node.expression))

    def on_startswith(self, node: exp.StartsWith) -> Code:
        return method(self.translate(node.this), "startswith", self.translate(node.expression))

    def on_regexplike(self, node: exp.RegexpLike) -> Code:
        return method(self.translate(node.this), "re_search", self.translate(node.expression))

    def on_regexpreplace(self, node: exp.RegexpReplace) -> Code:
        if node.args.get("position") or node.args.get("occurrence"):
            raise unsupported("REGEXP_REPLACE with a position or occurrence", node)
        flags = node.args.get("modifiers")
        flags_text = flags.name if isinstance(flags, exp.Literal) else ""
        if flags is not None and (
            not isinstance(flags, exp.Literal) or set(flags_text) - set("gi")
        ):
            raise unsupported("REGEXP_REPLACE flags other than 'g' and 'i'", node)
        key = self.behaviour("regexp_replace")
        every = "g" in flags_text or key == "all_matches"
        if key is None:
            every = every or not node.args.get("single_replace")
        pattern = self.translate(node.expression)
        replacement = self.translate(node.args["replacement"])
        if not every or "i" in flags_text:
            if not (pattern.literal and replacement.literal):
                raise unsupported("REGEXP_REPLACE of the first match with a computed pattern", node)
            text, replaced = pattern.val, replacement.val
            if not every:
                text, replaced = first_match_only(text, replaced)
            if "i" in flags_text:
                text = "(?i)" + text
            pattern, replacement = lit(text), lit(replaced)
        return method(self.translate(node.this), "re_replace", pattern, replacement)

    def on_regexpextract(self, node: exp.RegexpExtract) -> Code:
        if node.args.get("position") or node.args.get("occurrence") or node.args.get("parameters"):
            raise unsupported("REGEXP_EXTRACT with a position, occurrence or flags", node)
        group = node.args.get("group")
        index = self.translate(group) if group is not None else lit(0)
        return method(
            self.translate(node.this), "re_extract", self.translate(node.expression), index
        )

    def on_md5(self, node: exp.MD5) -> Code:
        """MD5 as the hex digest SQL engines return (dbt's surrogate keys), Ibis's own hash."""
        return method(self.translate(node.this), "hexdigest", lit("md5"))

    def on_splitpart(self, node: exp.SplitPart) -> Code:
        """SPLIT_PART(s, d, n): the n-th part from 1, from the end where n < 0, '' past the
        last part or for 0 (SQL), where Ibis gives NULL; a NULL argument stays NULL."""
        subject = self.translate(node.this)
        delimiter = self.translate(node.args["delimiter"])
        parts = method(subject, "split", delimiter)
        index = self.translate(node.args["part_index"])
        present = method(subject, "notnull")
        if not delimiter.literal:
            present = binary(present, "&", method(delimiter, "notnull"))
        if index.literal:
            if index.val == 0:
                return function("cases", _pair(present, lit("")))
            position = index.val - 1 if index.val > 0 else index.val
            part = Code(f"{parts.operand()}[{position}]", parts.val[position])
        else:
            before = binary(index, "-", lit(1))
            forward = Code(f"{parts.operand()}[{before.src}]", parts.val[before.val])
            backward = Code(f"{parts.operand()}[{index.src}]", parts.val[index.val])
            part = function(
                "cases",
                _pair(binary(index, ">=", lit(1)), forward),
                _pair(binary(index, "<=", lit(-1)), backward),
            )
            present = binary(present, "&", method(index, "notnull"))
        return function("cases", _pair(present, method(part, "fill_null", lit(""))))


def _from_one_on(position: exp.Expr) -> bool:
    """Whether ``position`` is 1 or more whatever the row: a literal, or a count, length or
    string position plus a literal of at least 1 (``STRPOS(email, '@') + 1``)."""
    if isinstance(position, exp.Paren):
        return _from_one_on(position.this)
    if isinstance(position, exp.Literal):
        return not position.is_string and _number(position.this) >= 1
    if isinstance(position, exp.Add):
        left, right = position.this, position.expression
        return (_from_one_on(left) and _never_negative(right)) or (
            _from_one_on(right) and _never_negative(left)
        )
    return False


def _never_negative(value: exp.Expr) -> bool:
    if isinstance(value, exp.Paren):
        return _never_negative(value.this)
    if isinstance(value, exp.Literal):
        return not value.is_string and _number(value.this) >= 0
    if isinstance(value, exp.Add):
        return _never_negative(value.this) and _never_negative(value.expression)
    return isinstance(value, exp.StrPosition | exp.Length | exp.Count | exp.Abs)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return -1.0
