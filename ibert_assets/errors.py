"""Errors of the Dagster side that the build treats apart from ordinary failures."""

from __future__ import annotations

from ibert_inference.errors import IbertError


class SourceUnreachableError(IbertError):
    """An input source (a remote repository) cannot be reached.

    ``ibert-build`` reports these once and skips their partitions, unless ``--strict``; Dagster
    runs (the UI, the weekly re-mining schedule) fail the step as for any other error.
    ``reason`` is short ("no network", or what the source said) so that many can be grouped.
    """

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message
