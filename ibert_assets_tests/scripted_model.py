"""A stand-in for ModelResource at the model boundary: replies from a script, calls recorded."""

from __future__ import annotations

from collections.abc import Iterable


class ScriptedModel:
    def __init__(self, replies: Iterable[str]):
        self.replies = list(replies)
        self.calls: list[list[list[dict[str, str]]]] = []

    def generate(self, conversations, *, max_new_tokens=None, temperature=None):
        self.calls.append(conversations)
        out = []
        for _ in conversations:
            out.append(self.replies.pop(0) if self.replies else "")
        return out
