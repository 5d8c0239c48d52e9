"""Whether text can still become a Python program, and where a statement it continues ends.

Constrained decoding (:mod:`.constrained_decoding`) asks these two questions for every token a
model proposes. :func:`can_continue` answers "is there some ending that makes this parse?" by
closing what is open (a string, brackets, a comment) after trying a few fillers for a dangling
operand, and asking :func:`ast.parse`; :func:`statement_end` answers "has the continuation written
a whole statement?" so that generation stops there rather than rambling on.

>>> can_continue("result = t.filter(_.amount >")
True
>>> can_continue("result = t.select('na")
True
>>> can_continue("result = t.filter(_.a > 1))")
False
>>> can_continue("result = t.group_by(]")
False
>>> statement_end("result = t", ".limit(3)\\nprint(result)")
9
>>> statement_end("result = t", ".limit(3")
"""

from __future__ import annotations

import ast

_OPENING = {"(": ")", "[": "]", "{": "}"}
_CLOSING = {value: key for key, value in _OPENING.items()}
# what a dangling operand, keyword argument or lambda could be followed by to make it whole
_FILLERS = ("", "x", " x", "x:x", " x:x", "x in x")


def _scan(code: str) -> tuple[list[str], str | None, bool] | None:
    """The brackets still open, the quote of an unterminated string, and whether the text ends
    in a comment; None when a closing bracket does not match."""
    brackets: list[str] = []
    quote: str | None = None
    index, size = 0, len(code)
    while index < size:
        char = code[index]
        if quote is not None:
            if char == "\\":
                index += 2
                continue
            if code.startswith(quote, index):
                index += len(quote)
                quote = None
                continue
            if char == "\n" and len(quote) == 1:
                return None  # a one-line string cannot run over a line end
            index += 1
            continue
        if char == "#":
            newline = code.find("\n", index)
            if newline < 0:
                return brackets, None, True
            index = newline
            continue
        if char in "'\"":
            quote = code[index : index + 3] if code.startswith(char * 3, index) else char
            index += len(quote)
            continue
        if char in _OPENING:
            brackets.append(char)
        elif char in _CLOSING:
            if not brackets or brackets[-1] != _CLOSING[char]:
                return None
            brackets.pop()
        index += 1
    return brackets, quote, False


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):  # ValueError: a null byte
        return False
    return True


def can_continue(code: str) -> bool:
    """Whether some continuation of ``code`` parses as a Python program."""
    scanned = _scan(code)
    if scanned is None:
        return False
    brackets, quote, in_comment = scanned
    if quote is not None:
        closed = code + quote
        return _parses(closed + _closers(brackets))
    base = code + ("\n" if in_comment else "")
    closers = _closers(brackets)
    return any(_parses(base + filler + closers) for filler in _FILLERS)


def parses(code: str) -> bool:
    """Whether ``code`` is a whole Python program as it is.

    >>> parses("result = t.limit(3)"), parses("result = t.limit(")
    (True, False)
    """
    return _parses(code)


def closing_brackets(code: str) -> str | None:
    """The brackets that close what ``code`` leaves open, innermost first ("" when none); None
    when a closing bracket in it closes nothing or a string is left open.

    >>> closing_brackets("r = (t.agg(n=[1"), closing_brackets("r = t)"), closing_brackets("r = t")
    (']))', None, '')
    """
    scanned = _scan(code)
    if scanned is None or scanned[1] is not None:
        return None
    return _closers(scanned[0])


def _closers(brackets: list[str]) -> str:
    """What closes the open ``brackets`` (outermost first), innermost first."""
    return "".join(_OPENING[b] for b in reversed(brackets))


def binds_result(code: str) -> bool:
    """Whether the program assigns ``result`` at its top level (the tasks' convention)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return any(
        isinstance(statement, ast.Assign | ast.AnnAssign)
        and any(
            isinstance(target, ast.Name) and target.id == "result"
            for target in (
                statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            )
        )
        for statement in tree.body
    )


def statement_end(prefix: str, continuation: str) -> int | None:
    """Where in ``continuation`` the statement it continues ends: the first line end, after
    something was written, at which ``prefix`` plus the continuation so far is a whole program
    (that binds ``result`` when ``prefix`` follows that convention); None while there is none.

    >>> statement_end("x = t.filter(_.a > 1)", "\\nresult = x.limit(3)\\n")
    20
    >>> statement_end("result = t", "\\n")
    """
    wants_result = "result" in prefix
    start = 0
    while True:
        newline = continuation.find("\n", start)
        if newline < 0:
            return None
        written = continuation[:newline]
        if written.strip():
            code = prefix + written
            if parses(code) and (not wants_result or binds_result(code)):
                return newline
        start = newline + 1
