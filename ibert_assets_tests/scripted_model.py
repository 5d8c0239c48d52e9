"""A stand-in for ModelResource at the model boundary: replies from a script, calls recorded."""

from __future__ import annotations

from collections.abc import Iterable


class ScriptedModel:
    def __init__(self, replies: Iterable[str]):
        self.replies = list(replies)
        self.calls: list[list[list[dict[str, str]]]] = []
        self.options: list[dict] = []  # the keyword arguments of each call (budgets, temperature)

    def generate(self, conversations, **options):
        self.calls.append(conversations)
        self.options.append(options)
        out = []
        for _ in conversations:
            out.append(self.replies.pop(0) if self.replies else "")
        return out
