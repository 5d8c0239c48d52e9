"""Errors of the Dagster side that the build treats apart from ordinary failures."""

from __future__ import annotations

import dagster as dg

from ibert_inference.errors import IbertError

# Metadata of the step failure that marks a source as unreachable, and what to call such sources.
UNREACHABLE_KEY = "ibert/unreachable"
SOURCE_KIND_KEY = "ibert/source_kind"


class SourceUnreachableError(IbertError):
    """An input source (a remote repository) cannot be reached.

    ``ibert-build`` reports these once and skips their partitions, unless ``--strict``; Dagster
    runs (the UI, the weekly re-mining schedule) fail the step as for any other error.
    ``reason`` is short ("no network", or what the source said) so that many can be grouped.
    """

    kind = ("source", "sources")  # what to call one of them, and several

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message

    def failure(self) -> dg.Failure:
        """The step failure Dagster shows, marked so that the build can tell it apart."""
        return dg.Failure(
            description=str(self),
            metadata={UNREACHABLE_KEY: self.reason, SOURCE_KIND_KEY: "/".join(self.kind)},
        )
