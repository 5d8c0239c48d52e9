"""Stand-ins for the model at its boundary (``LanguageModel``): replies from a script, calls
recorded, demonstrations as given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class ModelDouble:
    """What every stand-in does besides replying: nothing to load; ``shown`` demonstrations
    (none unless a test gives some), the requests they were asked for recorded."""

    shown: Sequence[tuple[str, str]] = ()

    def load(self) -> None:
        return None

    def demonstrations(self, task: str, given: dict) -> list[tuple[str, str]]:
        self.__dict__.setdefault("asked", []).append((task, given))
        return list(self.shown)

    def nearest_examples(self, task: str, given: dict, k: int, schema=None) -> list:
        """Verified records to adapt (none unless a test gives some as ``examples``)."""
        return list(getattr(self, "examples", ()))[:k]


class ScriptedModel(ModelDouble):
    def __init__(self, replies: Iterable[str], shown: Sequence[tuple[str, str]] = ()):
        self.replies = list(replies)
        self.shown = shown
        self.calls: list[list[list[dict[str, str]]]] = []
        self.options: list[dict] = []  # the keyword arguments of each call (budgets, temperature)

    def generate(self, conversations, **options):
        self.calls.append(conversations)
        self.options.append(options)
        out = []
        for _ in conversations:
            out.append(self.replies.pop(0) if self.replies else "")
        return out

    def continue_code(self, conversation, prefix, *, count=1, **options):
        """Continuations are scripted replies too; a call is recorded as ``count`` copies of
        its conversation, and its prefix with its options."""
        self.calls.append([conversation] * count)
        self.options.append({**options, "prefix": prefix, "count": count})
        return [self.replies.pop(0) if self.replies else "" for _ in range(count)]
