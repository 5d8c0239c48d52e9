"""YAML for build inputs and settings, bounded: no aliases, and a size limit.

An alias bomb ("billion laughs": nine anchors, each a list of nine aliases to the one before)
is a few hundred bytes that expand to a billion nodes once the document is turned into Python
objects. iBERT's YAML files (templates, task templates, model settings) need no anchors, so an
alias is refused where it appears, before anything is expanded.

>>> load_yaml("a: [1, 2]", "example.yaml")
{'a': [1, 2]}
>>> load_yaml("a: &x [1]\\nb: *x", "bomb.yaml")
Traceback (most recent call last):
...
ibert_inference.bounded_yaml.YamlInputError: bomb.yaml:2: YAML aliases (*x) are not allowed: write the value out
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from ibert_inference.errors import IbertError

MAX_YAML_BYTES = 1_000_000


class YamlInputError(IbertError, ValueError):
    """A YAML input is too large, malformed, or uses aliases; ``line`` and ``problem`` say where
    and what."""

    def __init__(self, where: str, line: int, problem: str):
        super().__init__(f"{where}:{line}: {problem}")
        self.line, self.problem = line, problem


class NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses aliases as soon as it meets one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"YAML aliases (*{event.anchor}) are not allowed: write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def load_yaml(text: str, where: str) -> Any:
    """Parse ``text`` (from ``where``, for messages) with aliases refused and size bounded."""
    return _bounded(yaml.load, text, where)


def compose_yaml(text: str, where: str) -> Any:
    """The node tree of ``text`` (for line numbers), with the same bounds as :func:`load_yaml`."""
    return _bounded(yaml.compose, text, where)


def _bounded(parse: Callable[..., Any], text: str, where: str) -> Any:
    """``parse(text)`` by the alias-refusing loader, once the size is checked; errors name
    ``where`` and the line."""
    check_size(text, where)
    try:
        return parse(text, Loader=NoAliasLoader)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, where) from None


def check_size(text: str, where: str) -> None:
    if len(text) > MAX_YAML_BYTES:
        raise YamlInputError(
            where, 1, f"{len(text):,} characters; a YAML input is at most {MAX_YAML_BYTES:,}"
        )


def _yaml_error(exc: yaml.YAMLError, where: str) -> YamlInputError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 1
    return YamlInputError(where, line, getattr(exc, "problem", None) or str(exc))
